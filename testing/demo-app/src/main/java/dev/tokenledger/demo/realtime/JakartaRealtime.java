package dev.tokenledger.demo.realtime;

import jakarta.websocket.ClientEndpointConfig;
import jakarta.websocket.CloseReason;
import jakarta.websocket.ContainerProvider;
import jakarta.websocket.DecodeException;
import jakarta.websocket.Decoder;
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
 * in {@code onOpen}: whole-message ({@link MessageHandler.Whole}), partial
 * ({@link MessageHandler.Partial}, fragments assembled here), or one lambda given to the one-argument
 * {@code addMessageHandler}. The container cannot read a lambda's message type: Tyrus takes it as
 * {@code Object} and hands it every message through the first decoder that accepts it, so the app
 * configures a decoder of its own for the server's events (binary messages come as
 * {@code ByteBuffer}).
 */
public final class JakartaRealtime implements RealtimeTransport {

  /** Realtime deltas can be several MB; the container's default buffer is smaller. */
  static final long MAX_MESSAGE = 64L << 20;

  enum Handlers {
    WHOLE("jakarta"),
    PARTIAL("jakarta-partial"),
    LAMBDA("jakarta-lambda");

    final String clientName;

    Handlers(String clientName) {
      this.clientName = clientName;
    }
  }

  private final Handlers handlers;
  private final WebSocketContainer container;

  public JakartaRealtime(Handlers handlers) {
    this.handlers = handlers;
    this.container = newContainer();
  }

  /** A container that takes messages of up to {@link #MAX_MESSAGE}. */
  static WebSocketContainer newContainer() {
    WebSocketContainer container = ContainerProvider.getWebSocketContainer();
    container.setDefaultMaxTextMessageBufferSize((int) MAX_MESSAGE);
    container.setDefaultMaxBinaryMessageBufferSize((int) MAX_MESSAGE);
    container.setDefaultMaxSessionIdleTimeout(0);
    if (container instanceof org.glassfish.tyrus.client.ClientManager tyrus) {
      // Tyrus frames incoming data in a buffer of its own (4 MB by default), set on the container.
      tyrus.getProperties().put(org.glassfish.tyrus.client.ClientProperties.INCOMING_BUFFER_SIZE, (int) MAX_MESSAGE);
    }
    return container;
  }

  @Override
  public String name() {
    return handlers.clientName;
  }

  /** A server event as the app's decoder makes it: the event's JSON text. */
  public record ServerEvent(String json) {}

  /** The app's decoder of server events. */
  public static final class ServerEventDecoder implements Decoder.Text<ServerEvent> {
    @Override
    public ServerEvent decode(String text) throws DecodeException {
      return new ServerEvent(text);
    }

    @Override
    public boolean willDecode(String text) {
      return true;
    }
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
        .decoders(handlers == Handlers.LAMBDA ? List.of(ServerEventDecoder.class) : List.of())
        .build();
    Session session = container.connectToServer(new Endpoint() {
      @Override
      public void onOpen(Session s, EndpointConfig c) {
        s.setMaxTextMessageBufferSize((int) MAX_MESSAGE);
        s.setMaxBinaryMessageBufferSize((int) MAX_MESSAGE);
        switch (handlers) {
          case PARTIAL -> {
            StringBuilder text = new StringBuilder();
            s.addMessageHandler(String.class, (MessageHandler.Partial<String>) (part, last) -> {
              text.append(part);
              if (last) {
                inbox.text(text.toString());
                text.setLength(0);
              }
            });
          }
          case WHOLE -> s.addMessageHandler(String.class, (MessageHandler.Whole<String>) inbox::text);
          case LAMBDA -> s.addMessageHandler((MessageHandler.Whole<Object>) message -> {
            if (message instanceof ServerEvent event) {
              inbox.text(event.json());
            } else if (message instanceof ByteBuffer b) {
              binary(inbox, b);
            }
          });
        }
        if (handlers != Handlers.LAMBDA) {
          s.addMessageHandler(ByteBuffer.class, (MessageHandler.Whole<ByteBuffer>) b -> binary(inbox, b));
        }
      }

      @Override
      public void onClose(Session s, CloseReason reason) {
        closed(inbox, reason);
      }

      @Override
      public void onError(Session s, Throwable t) {
        inbox.ended("failed");
      }
    }, config, uri);
    return socket(session, inbox);
  }

  static void binary(RealtimeInbox inbox, ByteBuffer b) {
    byte[] bytes = new byte[b.remaining()];
    b.get(bytes);
    inbox.binary(bytes);
  }

  static void closed(RealtimeInbox inbox, CloseReason reason) {
    inbox.ended(reason.getCloseCode().getCode() == 1006 ? "failed" : "closed");
  }

  static Socket socket(Session session, RealtimeInbox inbox) {
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
