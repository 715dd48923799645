package dev.tokenledger.demo.realtime;

import jakarta.websocket.ClientEndpoint;
import jakarta.websocket.ClientEndpointConfig;
import jakarta.websocket.CloseReason;
import jakarta.websocket.OnClose;
import jakarta.websocket.OnError;
import jakarta.websocket.OnMessage;
import jakarta.websocket.OnOpen;
import jakarta.websocket.Session;
import jakarta.websocket.WebSocketContainer;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;

/**
 * The Jakarta WebSocket client API with annotated endpoints ({@code @ClientEndpoint} and
 * {@code @OnMessage} methods), here with Tyrus: {@code jakarta-annotated} connects an endpoint
 * instance ({@code connectToServer(Object, URI)}) whose text method takes whole messages;
 * {@code jakarta-annotated-class} connects the endpoint class ({@code connectToServer(Class, URI)}),
 * the container makes the instance, and its text method takes fragments. An annotated endpoint names
 * its configurator by class, so the handshake headers and the inbox of the next connection are
 * handed over through static fields (the demo connects one at a time).
 */
public final class AnnotatedJakartaRealtime implements RealtimeTransport {

  /** The handshake headers of the next connection. */
  private static volatile Map<String, String> nextHeaders = Map.of();
  /** The inbox of the next connection made from the endpoint class. */
  private static volatile RealtimeInbox nextInbox;

  private final boolean byClass;
  private final WebSocketContainer container = JakartaRealtime.newContainer();

  public AnnotatedJakartaRealtime(boolean byClass) {
    this.byClass = byClass;
  }

  @Override
  public String name() {
    return byClass ? "jakarta-annotated-class" : "jakarta-annotated";
  }

  @Override
  public Socket connect(URI uri, Map<String, String> headers, RealtimeInbox inbox) throws Exception {
    nextHeaders = Map.copyOf(headers);
    Session session;
    if (byClass) {
      nextInbox = inbox;
      session = container.connectToServer(FragmentsEndpoint.class, uri);
    } else {
      session = container.connectToServer(new WholeMessagesEndpoint(inbox), uri);
    }
    return JakartaRealtime.socket(session, inbox);
  }

  /** Sets the handshake headers of the next connection. */
  public static final class Handshake extends ClientEndpointConfig.Configurator {
    @Override
    public void beforeRequest(Map<String, List<String>> headers) {
      nextHeaders.forEach((k, v) -> headers.put(k, List.of(v)));
    }
  }

  /** Whole text messages and binary messages, to the inbox it was made with. */
  @ClientEndpoint(configurator = Handshake.class)
  public static final class WholeMessagesEndpoint {
    private final RealtimeInbox inbox;

    public WholeMessagesEndpoint(RealtimeInbox inbox) {
      this.inbox = inbox;
    }

    @OnOpen
    public void opened(Session session) {
      session.setMaxTextMessageBufferSize((int) JakartaRealtime.MAX_MESSAGE);
      session.setMaxBinaryMessageBufferSize((int) JakartaRealtime.MAX_MESSAGE);
    }

    @OnMessage
    public void text(String message) {
      inbox.text(message);
    }

    @OnMessage
    public void binary(ByteBuffer message) {
      JakartaRealtime.binary(inbox, message);
    }

    @OnClose
    public void closed(CloseReason reason) {
      JakartaRealtime.closed(inbox, reason);
    }

    @OnError
    public void failed(Throwable error) {
      inbox.ended("failed");
    }
  }

  /** Text in fragments, assembled here, and binary messages; made by the container. */
  @ClientEndpoint(configurator = Handshake.class)
  public static final class FragmentsEndpoint {
    private final RealtimeInbox inbox = nextInbox;
    private final StringBuilder text = new StringBuilder();

    @OnOpen
    public void opened(Session session) {
      session.setMaxTextMessageBufferSize((int) JakartaRealtime.MAX_MESSAGE);
      session.setMaxBinaryMessageBufferSize((int) JakartaRealtime.MAX_MESSAGE);
    }

    @OnMessage
    public void text(String part, boolean last) {
      text.append(part);
      if (last) {
        inbox.text(text.toString());
        text.setLength(0);
      }
    }

    @OnMessage
    public void binary(ByteBuffer message) {
      JakartaRealtime.binary(inbox, message);
    }

    @OnClose
    public void closed(Session session, CloseReason reason) {
      JakartaRealtime.closed(inbox, reason);
    }

    @OnError
    public void failed(Session session, Throwable error) {
      inbox.ended("failed");
    }
  }
}
