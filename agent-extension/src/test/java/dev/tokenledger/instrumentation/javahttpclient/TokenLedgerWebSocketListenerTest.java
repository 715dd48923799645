package dev.tokenledger.instrumentation.javahttpclient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.agent.RealtimeConnection;
import dev.tokenledger.agent.TestTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.context.Context;
import java.net.URI;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The JDK listener wrapper passes every call on unchanged — same arguments, same order, the
 * application's own results and exceptions — and leaves the text buffer's position alone; the
 * Realtime connection sees the messages on the way. The WebSocket passed in is a stand-in (the
 * wrapper never calls it); the real client runs in the integration tests.
 */
@ExtendWith(TestTelemetry.Extension.class) // the wrapped listeners are made through the transport's singletons
class TokenLedgerWebSocketListenerTest {

  static final String DONE =
      "{\"type\":\"response.done\",\"response\":{\"id\":\"resp_J1\",\"status\":\"completed\","
          + "\"usage\":{\"input_tokens\":10,\"output_tokens\":4,\"input_token_details\":{\"text_tokens\":10},"
          + "\"output_token_details\":{\"text_tokens\":1,\"audio_tokens\":3}}}}";

  /** Records every call and returns its own stage objects. */
  static final class AppListener implements WebSocket.Listener {
    final List<String> calls = new ArrayList<>();
    final CompletableFuture<Void> stage = new CompletableFuture<>();
    RuntimeException toThrow;

    private CompletionStage<?> record(String call) {
      calls.add(call);
      if (toThrow != null) {
        throw toThrow;
      }
      return stage;
    }

    @Override
    public void onOpen(WebSocket webSocket) {
      record("open");
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      return record("text:" + data + ":" + last);
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
      return record("binary:" + data.remaining() + ":" + last);
    }

    @Override
    public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
      return record("ping");
    }

    @Override
    public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
      return record("pong");
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      return record("close:" + statusCode + ":" + reason);
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      record("error:" + error.getMessage());
    }
  }

  private static RealtimeConnection connection() {
    RealtimeConnection connection =
        TestTelemetry.INSTRUMENTER.startConnection(URI.create("wss://api.openai.com/v1/realtime?model=gpt-realtime"), null);
    assertNotNull(connection);
    return connection;
  }

  @Test
  void everyCallIsPassedOnUnchanged() {
    AppListener app = new AppListener();
    TokenLedgerWebSocketListener listener = new TokenLedgerWebSocketListener(app, connection());
    listener.onOpen(null);
    CharBuffer first = CharBuffer.wrap(DONE.substring(0, 40));
    assertSame(app.stage, listener.onText(null, first, false));
    assertEquals(0, first.position(), "the buffer's position is untouched");
    assertSame(app.stage, listener.onText(null, DONE.substring(40), true));
    assertSame(app.stage, listener.onBinary(null, ByteBuffer.wrap(new byte[] {1, 2, 3}), true));
    assertSame(app.stage, listener.onPing(null, ByteBuffer.allocate(1)));
    assertSame(app.stage, listener.onPong(null, ByteBuffer.allocate(1)));
    assertSame(app.stage, listener.onClose(null, 1000, "bye"));
    listener.onError(null, new IllegalStateException("late"));
    assertEquals(
        List.of("open", "text:" + DONE.substring(0, 40) + ":false", "text:" + DONE.substring(40) + ":true",
            "binary:3:true", "ping", "pong", "close:1000:bye", "error:late"),
        app.calls);
    assertEquals(1, TestTelemetry.LOGS.getFinishedLogRecordItems().size(), "the response.done was seen");
    assertEquals(10L, TestTelemetry.LOGS.getFinishedLogRecordItems().get(0).getAttributes()
        .get(AttributeKey.longKey("tokenledger.usage.input_tokens")));
  }

  @Test
  void theApplicationsExceptionsPropagateUnchanged() {
    AppListener app = new AppListener();
    app.toThrow = new IllegalArgumentException("app failure");
    TokenLedgerWebSocketListener listener = new TokenLedgerWebSocketListener(app, connection());
    assertSame(app.toThrow, assertThrows(IllegalArgumentException.class, () -> listener.onText(null, DONE, true)));
    assertSame(app.toThrow, assertThrows(IllegalArgumentException.class, () -> listener.onClose(null, 1000, "")));
    assertTrue(TestTelemetry.LOGS.getFinishedLogRecordItems().size() == 1, "recorded before the app threw");
  }

  @Test
  void defaultMethodsOfTheApplicationsListenerStillRun() {
    List<Long> requested = new ArrayList<>();
    WebSocket ws = new RequestRecorder(requested);
    WebSocket.Listener defaults = new WebSocket.Listener() {};
    TokenLedgerWebSocketListener listener = new TokenLedgerWebSocketListener(defaults, connection());
    listener.onOpen(ws);
    listener.onText(ws, "{\"type\":\"x\"}", true);
    assertEquals(List.of(1L, 1L), requested, "the defaults' request(1) calls happen as without the wrapper");
  }

  @Test
  void onlyRealtimeUrisAreWrapped() {
    AppListener app = new AppListener();
    Object[] plain = JavaWebSockets.onBuildAsync(null, URI.create("wss://example.com/v1/realtime?model=x"), app);
    assertSame(app, plain[0]);
    Object[] realtime = JavaWebSockets.onBuildAsync(null, URI.create("wss://api.openai.com/v1/realtime?model=x"), app);
    assertTrue(realtime[0] instanceof TokenLedgerWebSocketListener);
    assertSame(app, ((TokenLedgerWebSocketListener) realtime[0]).delegate());
    // While buildAsync sends the handshake, the connection's context is current: the client's HTTP
    // span of the handshake is the connection span's child.
    assertSame(((RealtimeConnection) realtime[1]).context(), Context.current());
    Object[] again = JavaWebSockets.onBuildAsync(null, URI.create("wss://api.openai.com/v1/realtime"), (WebSocket.Listener) realtime[0]);
    assertSame(realtime[0], again[0], "never wrapped twice");
    // A failed handshake ends the connection span without a connection count.
    JavaWebSockets.onBuildAsyncReturned(realtime, CompletableFuture.failedFuture(new java.io.IOException("401")), null);
    assertEquals(1, TestTelemetry.SPANS.getFinishedSpanItems().size());
    assertSame(Context.root(), Context.current());
  }

  /** A WebSocket whose only used method is request(n). */
  static final class RequestRecorder implements WebSocket {
    private final List<Long> requested;

    RequestRecorder(List<Long> requested) {
      this.requested = requested;
    }

    @Override
    public void request(long n) {
      requested.add(n);
    }

    @Override
    public CompletableFuture<WebSocket> sendText(CharSequence data, boolean last) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletableFuture<WebSocket> sendBinary(ByteBuffer data, boolean last) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletableFuture<WebSocket> sendPing(ByteBuffer message) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletableFuture<WebSocket> sendPong(ByteBuffer message) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletableFuture<WebSocket> sendClose(int statusCode, String reason) {
      throw new UnsupportedOperationException();
    }

    @Override
    public String getSubprotocol() {
      return "";
    }

    @Override
    public boolean isOutputClosed() {
      return false;
    }

    @Override
    public boolean isInputClosed() {
      return false;
    }

    @Override
    public void abort() {}
  }
}
