package dev.tokenledger.demo.realtime;

import jakarta.websocket.ClientEndpointConfig;
import jakarta.websocket.CloseReason;
import jakarta.websocket.ContainerProvider;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.MessageHandler;
import jakarta.websocket.Session;
import jakarta.websocket.WebSocketContainer;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;

/**
 * The Jakarta WebSocket client API (here with Tyrus, as with Jetty, Tomcat or Spring's
 * {@code StandardWebSocketClient}): a programmatic {@link Endpoint} that adds its message handlers
 * in {@code onOpen}, either whole-message ({@link MessageHandler.Whole}) or partial
 * ({@link MessageHandler.Partial}, fragments assembled here).
 */
public final class JakartaRealtime implements RealtimeTransport {

  /** Realtime deltas can be several MB; the container's default buffer is smaller. */
  private static final long MAX_MESSAGE = 64L << 20;

  private final boolean partial;
  private final WebSocketContainer container;

  public JakartaRealtime(boolean partial) {
    this.partial = partial;
    container = ContainerProvider.getWebSocketContainer();
    container.setDefaultMaxTextMessageBufferSize((int) MAX_MESSAGE);
    container.setDefaultMaxBinaryMessageBufferSize((int) MAX_MESSAGE);
    container.setDefaultMaxSessionIdleTimeout(0);
    if (container instanceof org.glassfish.tyrus.client.ClientManager tyrus) {
      // Tyrus frames incoming data in a buffer of its own (4 MB by default), set on the container.
      tyrus.getProperties().put(org.glassfish.tyrus.client.ClientProperties.INCOMING_BUFFER_SIZE, (int) MAX_MESSAGE);
    }
  }

  @Override
  public String name() {
    return partial ? "jakarta-partial" : "jakarta";
  }

  @Override
  public Socket connect(URI uri, Map<String, String> headers, RealtimeInbox inbox) throws Exception {
    ClientEndpointConfig config = ClientEndpointConfig.Builder.create()
        .configurator(new ClientEndpointConfig.Configurator() {
          @Override
          public void beforeRequest(Map<String, List<String>> h) {
            headers.forEach((k, v) -> h.put(k, List.of(v)));
          }
        })
        .build();
    Session session = container.connectToServer(new Endpoint() {
      @Override
      public void onOpen(Session s, EndpointConfig c) {
        s.setMaxTextMessageBufferSize((int) MAX_MESSAGE);
        s.setMaxBinaryMessageBufferSize((int) MAX_MESSAGE);
        if (partial) {
          StringBuilder text = new StringBuilder();
          s.addMessageHandler(String.class, (MessageHandler.Partial<String>) (part, last) -> {
            text.append(part);
            if (last) {
              inbox.text(text.toString());
              text.setLength(0);
            }
          });
        } else {
          s.addMessageHandler(String.class, (MessageHandler.Whole<String>) inbox::text);
        }
        s.addMessageHandler(ByteBuffer.class, (MessageHandler.Whole<ByteBuffer>) b -> {
          byte[] bytes = new byte[b.remaining()];
          b.get(bytes);
          inbox.binary(bytes);
        });
      }

      @Override
      public void onClose(Session s, CloseReason reason) {
        inbox.ended(reason.getCloseCode().getCode() == 1006 ? "failed" : "closed");
      }

      @Override
      public void onError(Session s, Throwable t) {
        inbox.ended("failed");
      }
    }, config, uri);
    return new Socket() {
      @Override
      public void send(String text) throws IOException {
        session.getBasicRemote().sendText(text);
      }

      @Override
      public void close() {
        try {
          session.close(new CloseReason(CloseReason.CloseCodes.NORMAL_CLOSURE, ""));
          JdkRealtime.awaitEnd(inbox);
        } catch (IOException e) {
          inbox.ended("failed");
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }

      @Override
      public void abort() {
        try {
          session.close(new CloseReason(CloseReason.CloseCodes.GOING_AWAY, ""));
        } catch (IOException ignored) {
          // already gone
        }
      }
    };
  }
}
