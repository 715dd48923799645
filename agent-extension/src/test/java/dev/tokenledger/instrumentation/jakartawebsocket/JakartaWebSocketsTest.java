package dev.tokenledger.instrumentation.jakartawebsocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.agent.TestTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import jakarta.websocket.ClientEndpointConfig;
import jakarta.websocket.CloseReason;
import jakarta.websocket.HandshakeResponse;
import jakarta.websocket.MessageHandler;
import jakarta.websocket.Session;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What the Jakarta advice does, on a stand-in {@code Session} (a dynamic proxy of the API interface:
 * only the URI and open state are asked for): text handlers of Realtime sessions are wrapped and
 * pass every message on unchanged, other handlers and sessions are left alone, the application keeps
 * seeing its own handlers, the handshake headers seen by the configurator attribute the usage, and
 * a session whose handler's message type only the container knows is read where the container
 * dispatches its messages. Tyrus runs in the integration tests.
 */
@ExtendWith(TestTelemetry.Extension.class)
class JakartaWebSocketsTest {

  static final String DONE =
      "{\"type\":\"response.done\",\"response\":{\"id\":\"resp_K1\",\"status\":\"completed\","
          + "\"usage\":{\"input_tokens\":10,\"output_tokens\":4}}}";
  static final String CREATED = "{\"type\":\"response.created\",\"response\":{\"id\":\"resp_K2\"}}";

  static Session session(String uri, boolean[] open) {
    return (Session) Proxy.newProxyInstance(
        JakartaWebSocketsTest.class.getClassLoader(), new Class<?>[] {Session.class}, (proxy, method, args) -> {
          switch (method.getName()) {
            case "getRequestURI":
              return URI.create(uri);
            case "isOpen":
              return open[0];
            case "hashCode":
              return System.identityHashCode(proxy);
            case "equals":
              return proxy == args[0];
            default:
              return null;
          }
        });
  }

  /** A handler class whose message type the container reads from its declaration. */
  static final class AppText implements MessageHandler.Whole<String> {
    final List<String> got = new ArrayList<>();
    RuntimeException toThrow;

    @Override
    public void onMessage(String message) {
      got.add(message);
      if (toThrow != null) {
        throw toThrow;
      }
    }
  }

  @Test
  void textHandlersOfRealtimeSessionsAreWrappedAndPassEverythingOn() {
    boolean[] open = {true};
    Session session = session("ws://api.openai.com/v1/realtime?model=gpt-realtime", open);
    AppText app = new AppText();
    Object wrapped = JakartaWebSockets.wrap(session, null, app);
    assertTrue(wrapped instanceof WholeTextHandler, "one-argument form: type read from the class");
    assertSame(wrapped, JakartaWebSockets.wrap(session, String.class, wrapped), "never wrapped twice");
    ((WholeTextHandler) wrapped).onMessage(DONE);
    assertEquals(List.of(DONE), app.got);
    assertEquals(1, TestTelemetry.LOGS.getFinishedLogRecordItems().size());

    app.toThrow = new IllegalStateException("app failure");
    assertSame(app.toThrow, assertThrows(IllegalStateException.class, () -> ((WholeTextHandler) wrapped).onMessage(CREATED)));

    // The application sees and removes its own handler.
    Set<MessageHandler> held = new LinkedHashSet<>(List.of((MessageHandler) wrapped));
    assertEquals(Set.of(app), JakartaWebSockets.unwrap(held));
    assertSame(wrapped, JakartaWebSockets.registered(session, app));

    // The container reports the close: the open response becomes missing.
    JakartaWebSockets.closed(session, new CloseReason(CloseReason.CloseCodes.GOING_AWAY, "bye"));
    List<LogRecordData> rows = TestTelemetry.LOGS.getFinishedLogRecordItems();
    assertEquals(2, rows.size());
    assertEquals("missing", rows.get(1).getAttributes().get(AttributeKey.stringKey("tokenledger.usage.source")));
    assertEquals("resp_K2", rows.get(1).getAttributes().get(AttributeKey.stringKey("gen_ai.response.id")));
  }

  @Test
  void partialHandlersSeeEveryFragment() {
    Session session = session("wss://api.openai.com/v1/realtime?model=gpt-realtime", new boolean[] {true});
    List<String> got = new ArrayList<>();
    MessageHandler.Partial<String> app = (part, last) -> got.add(part + "|" + last);
    Object wrapped = JakartaWebSockets.wrap(session, String.class, app);
    assertTrue(wrapped instanceof PartialTextHandler);
    PartialTextHandler handler = (PartialTextHandler) wrapped;
    handler.onMessage(DONE.substring(0, 17), false);
    handler.onMessage(DONE.substring(17), true);
    assertEquals(List.of(DONE.substring(0, 17) + "|false", DONE.substring(17) + "|true"), got);
    assertEquals(1, TestTelemetry.LOGS.getFinishedLogRecordItems().size());
    JakartaWebSockets.closed(session, "closed by the application");
  }

  @Test
  void otherHandlersAndSessionsAreLeftAlone() {
    Session realtime = session("wss://api.openai.com/v1/realtime?model=m", new boolean[] {true});
    MessageHandler.Whole<ByteBuffer> binary = b -> { };
    assertSame(binary, JakartaWebSockets.wrap(realtime, ByteBuffer.class, binary));
    MessageHandler.Whole<String> lambda = s -> { };
    assertSame(lambda, JakartaWebSockets.wrap(realtime, null, lambda), "type unknown: left for the container to judge");
    Session other = session("wss://example.com/chat", new boolean[] {true});
    AppText app = new AppText();
    assertSame(app, JakartaWebSockets.wrap(other, String.class, app));
    assertSame(app, JakartaWebSockets.registered(other, app));
    assertNull(JakartaWebSockets.unwrap(null));
    JakartaWebSockets.closed(realtime, null);
  }

  @Test
  void errorsEndOnlyClosedSessions() {
    boolean[] open = {true};
    Session session = session("wss://api.openai.com/v1/realtime?model=m", open);
    PartialTextHandler handler =
        (PartialTextHandler) JakartaWebSockets.wrap(session, String.class, (MessageHandler.Partial<String>) (p, l) -> { });
    handler.onMessage(CREATED, true);
    JakartaWebSockets.failed(session, new RuntimeException("a handler threw"));
    assertEquals(0, TestTelemetry.LOGS.getFinishedLogRecordItems().size(), "the session is still open");
    open[0] = false;
    JakartaWebSockets.failed(session, new java.io.IOException("reset"));
    assertEquals(1, TestTelemetry.LOGS.getFinishedLogRecordItems().size());
  }

  @Test
  void handshakeHeadersFromTheConfiguratorAttributeTheSession() {
    ClientEndpointConfig.Configurator configurator = new ClientEndpointConfig.Configurator();
    ClientEndpointConfig config = ClientEndpointConfig.Builder.create().configurator(configurator).build();
    Map<String, List<String>> request = new java.util.HashMap<>();
    request.put("Authorization", List.of("Bearer sk-proj-abcdefghijklmnopqrstuvwxyz0123aB3d"));
    request.put("OpenAI-Project", List.of("proj_j"));
    request.put("X-Other", List.of("ignored"));
    JakartaWebSockets.onBeforeRequest(configurator, request);
    HandshakeResponse response = () -> Map.of("x-request-id", List.of("req_j1")); // a one-method interface
    JakartaWebSockets.onAfterResponse(configurator, response);
    Session session = session("wss://api.openai.com/v1/realtime?model=m", new boolean[] {true});
    JakartaWebSockets.opened(session, config);
    WholeTextHandler handler = (WholeTextHandler) JakartaWebSockets.wrap(session, String.class, new AppText());
    handler.onMessage(DONE);
    Attributes row = TestTelemetry.LOGS.getFinishedLogRecordItems().get(0).getAttributes();
    assertEquals("proj_j", row.get(AttributeKey.stringKey("openai.project")));
    assertEquals("req_j1", row.get(AttributeKey.stringKey("openai.request.id")));
    assertEquals("sk-proj…aB3d", row.get(AttributeKey.stringKey("tokenledger.api_key.fingerprint")));
    JakartaWebSockets.closed(session, null);
  }

  @Test
  void parallelHandshakesOnOneConfiguratorAreNotAttributedToEachOther() {
    ClientEndpointConfig.Configurator configurator = new ClientEndpointConfig.Configurator();
    ClientEndpointConfig config = ClientEndpointConfig.Builder.create().configurator(configurator).build();
    JakartaWebSockets.onBeforeRequest(configurator, Map.of(
        "Authorization", List.of("Bearer sk-proj-abcdefghijklmnopqrstuvwxyz0123AAAA"), "OpenAI-Project", List.of("proj_a")));
    JakartaWebSockets.onBeforeRequest(configurator, Map.of(
        "Authorization", List.of("Bearer sk-proj-abcdefghijklmnopqrstuvwxyz0123BBBB"), "OpenAI-Project", List.of("proj_b")));
    Session first = session("wss://api.openai.com/v1/realtime?model=m", new boolean[] {true});
    Session second = session("wss://api.openai.com/v1/realtime?model=m", new boolean[] {true});
    JakartaWebSockets.opened(first, config);
    JakartaWebSockets.opened(second, config);
    ((WholeTextHandler) JakartaWebSockets.wrap(first, String.class, new AppText())).onMessage(DONE);
    ((WholeTextHandler) JakartaWebSockets.wrap(second, String.class, new AppText())).onMessage(DONE);
    List<io.opentelemetry.sdk.logs.data.LogRecordData> rows = TestTelemetry.LOGS.getFinishedLogRecordItems();
    assertEquals(2, rows.size());
    for (io.opentelemetry.sdk.logs.data.LogRecordData row : rows) {
      assertNull(row.getAttributes().get(AttributeKey.stringKey("openai.project")), "which handshake is whose is unknown");
      assertNull(row.getAttributes().get(AttributeKey.stringKey("tokenledger.api_key.fingerprint")));
    }
    JakartaWebSockets.closed(first, null);
    JakartaWebSockets.closed(second, null);

    // the configurator's next, lone handshake is attributed again
    JakartaWebSockets.onBeforeRequest(configurator, Map.of("OpenAI-Project", List.of("proj_c")));
    Session third = session("wss://api.openai.com/v1/realtime?model=m", new boolean[] {true});
    JakartaWebSockets.opened(third, config);
    ((WholeTextHandler) JakartaWebSockets.wrap(third, String.class, new AppText())).onMessage(DONE);
    assertEquals("proj_c", TestTelemetry.LOGS.getFinishedLogRecordItems().get(2).getAttributes()
        .get(AttributeKey.stringKey("openai.project")));
    JakartaWebSockets.closed(third, null);
  }

  /** A handler of the container's own, declaring {@code Whole} raw, its type known only to the container. */
  interface ContainerHandler extends MessageHandler.Whole {
    Class<?> getType();
  }

  @Test
  void aFailedHandshakeLeavesNothingBehindForTheConfiguratorsNextSession() {
    ClientEndpointConfig.Configurator configurator = new ClientEndpointConfig.Configurator();
    ClientEndpointConfig config = ClientEndpointConfig.Builder.create().configurator(configurator).build();
    // The first handshake is refused (Tyrus calls afterResponse on a refusal too); the container's
    // connectToServer throws and no endpoint opens.
    JakartaWebSockets.onBeforeRequest(configurator, Map.of(
        "Authorization", List.of("Bearer sk-proj-abcdefghijklmnopqrstuvwxyz0123AAAA"), "OpenAI-Project", List.of("proj_a")));
    JakartaWebSockets.onAfterResponse(configurator, () -> Map.of("x-request-id", List.of("req_refused")));
    JakartaWebSockets.connectFailed(config);
    // The application connects again with the same configuration, and this time it opens.
    JakartaWebSockets.onBeforeRequest(configurator, Map.of(
        "Authorization", List.of("Bearer sk-proj-abcdefghijklmnopqrstuvwxyz0123BBBB"), "OpenAI-Project", List.of("proj_b")));
    JakartaWebSockets.onAfterResponse(configurator, () -> Map.of("x-request-id", List.of("req_opened")));
    Session session = session("wss://api.openai.com/v1/realtime?model=m", new boolean[] {true});
    JakartaWebSockets.opened(session, config);
    ((WholeTextHandler) JakartaWebSockets.wrap(session, String.class, new AppText())).onMessage(DONE);
    Attributes row = TestTelemetry.LOGS.getFinishedLogRecordItems().get(0).getAttributes();
    assertEquals("sk-proj…BBBB", row.get(AttributeKey.stringKey("tokenledger.api_key.fingerprint")));
    assertEquals("proj_b", row.get(AttributeKey.stringKey("openai.project")));
    assertEquals("req_opened", row.get(AttributeKey.stringKey("openai.request.id")));
    JakartaWebSockets.closed(session, null);
  }

  @Test
  void aSessionWhoseHandlerTypeOnlyTheContainerKnowsIsReadAsTheContainerDispatches() {
    boolean[] open = {true};
    Session session = session("wss://api.openai.com/v1/realtime?model=gpt-realtime", open);
    List<Object> got = new ArrayList<>();
    MessageHandler.Whole<String> lambda = got::add;
    assertSame(lambda, JakartaWebSockets.wrap(session, null, lambda), "passed to the container as it is");
    JakartaWebSockets.dispatched(session, DONE, true);
    assertEquals(0, TestTelemetry.LOGS.getFinishedLogRecordItems().size(), "not before the container accepted it");

    JakartaWebSockets.added(session, lambda);
    JakartaWebSockets.added(session, lambda);
    JakartaWebSockets.dispatched(session, java.nio.ByteBuffer.wrap(DONE.getBytes()), true);
    JakartaWebSockets.dispatched(session, Boolean.FALSE, true);
    assertEquals(0, TestTelemetry.LOGS.getFinishedLogRecordItems().size(), "text only");
    JakartaWebSockets.dispatched(session, DONE.substring(0, 30), false);
    JakartaWebSockets.dispatched(session, DONE.substring(30), true);
    assertEquals(1, TestTelemetry.LOGS.getFinishedLogRecordItems().size(), "fragments make one message");
    JakartaWebSockets.dispatched(session, CREATED, true);
    assertTrue(got.isEmpty(), "the handler itself is the container's business");

    open[0] = false;
    JakartaWebSockets.closed(session, new CloseReason(CloseReason.CloseCodes.NORMAL_CLOSURE, ""));
    List<LogRecordData> rows = TestTelemetry.LOGS.getFinishedLogRecordItems();
    assertEquals(2, rows.size(), "the open response became missing at the close");
    JakartaWebSockets.dispatched(session, DONE, true);
    assertEquals(2, TestTelemetry.LOGS.getFinishedLogRecordItems().size(), "nothing after the close");
  }

  @Test
  void aContainersOwnHandlerTypeIsTheContainers() {
    ContainerHandler annotated = new ContainerHandler() {
      @Override
      public void onMessage(Object message) {}

      @Override
      public Class<?> getType() {
        return String.class;
      }
    };
    assertNull(JakartaWebSockets.messageType(annotated.getClass(), MessageHandler.Whole.class));
    Session session = session("ws://api.openai.com/v1/realtime?model=gpt-realtime", new boolean[] {true});
    assertSame(annotated, JakartaWebSockets.wrap(session, null, annotated));
    JakartaWebSockets.added(session, annotated);
    JakartaWebSockets.dispatched(session, DONE, true);
    assertEquals(1, TestTelemetry.LOGS.getFinishedLogRecordItems().size());
    JakartaWebSockets.closed(session, null);
  }

  @Test
  void textIsReadOnceWhenAHandlerOfOursReadsItAlready() {
    Session session = session("wss://api.openai.com/v1/realtime?model=gpt-realtime", new boolean[] {true});
    MessageHandler.Whole<ByteBuffer> binary = b -> { };
    JakartaWebSockets.added(session, (MessageHandler.Whole<Object>) o -> { });
    WholeTextHandler text = (WholeTextHandler) JakartaWebSockets.wrap(session, String.class, new AppText());
    JakartaWebSockets.added(session, text);
    JakartaWebSockets.added(session, binary);
    // the container hands the message to our wrapper: dispatch and wrapper see it, one reads it
    JakartaWebSockets.dispatched(session, DONE, true);
    text.onMessage(DONE);
    assertEquals(1, TestTelemetry.LOGS.getFinishedLogRecordItems().size());
    JakartaWebSockets.closed(session, null);
  }

  @Test
  void declaredHandlersAndOtherSessionsAreNotReadAtDispatch() {
    Session realtime = session("wss://api.openai.com/v1/realtime?model=m", new boolean[] {true});
    JakartaWebSockets.added(realtime, new AppText());
    JakartaWebSockets.added(realtime, (MessageHandler.Whole<ByteBuffer>) new MessageHandler.Whole<ByteBuffer>() {
      @Override
      public void onMessage(ByteBuffer message) {}
    });
    JakartaWebSockets.dispatched(realtime, DONE, true);
    Session other = session("wss://example.com/chat", new boolean[] {true});
    JakartaWebSockets.added(other, (MessageHandler.Whole<String>) s -> { });
    JakartaWebSockets.dispatched(other, DONE, true);
    JakartaWebSockets.dispatched(null, DONE, true);
    JakartaWebSockets.added(null, null);
    assertEquals(0, TestTelemetry.LOGS.getFinishedLogRecordItems().size());
    assertEquals(0, TestTelemetry.SPANS.getFinishedSpanItems().size());
    JakartaWebSockets.closed(realtime, null);
  }

  @Test
  void genericDeclarationsNameTheirRawType() {
    class Events implements MessageHandler.Whole<List<String>> {
      @Override
      public void onMessage(List<String> message) {}
    }
    class Generic<T> implements MessageHandler.Whole<T> {
      @Override
      public void onMessage(T message) {}
    }
    assertEquals(List.class, JakartaWebSockets.messageType(Events.class, MessageHandler.Whole.class));
    assertNull(JakartaWebSockets.messageType(Generic.class, MessageHandler.Whole.class));
    MessageHandler.Partial<String> partial = (p, l) -> { };
    assertNull(JakartaWebSockets.messageType(partial.getClass(), MessageHandler.Partial.class));
  }
}
