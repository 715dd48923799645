package dev.tokenledger.instrumentation.okhttp.v3_0;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.agent.RealtimeConnection;
import dev.tokenledger.agent.TestTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.context.Context;
import java.util.ArrayList;
import java.util.List;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.WebSocket;
import okhttp3.WebSocketListener;
import okio.ByteString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The OkHttp listener wrapper passes every callback on unchanged (same objects, same order, the
 * application's exceptions as they are) and feeds the Realtime connection, including the handshake
 * response's headers. A real OkHttp client runs in the integration tests; here the callbacks are
 * driven directly with OkHttp's own request and response types.
 */
@ExtendWith(TestTelemetry.Extension.class) // the wrapped listeners are made through the transport's singletons
class TokenLedgerWebSocketListenerTest {

  static final String DONE =
      "{\"type\":\"response.done\",\"response\":{\"id\":\"resp_O1\",\"status\":\"cancelled\","
          + "\"usage\":{\"input_tokens\":10,\"output_tokens\":4}}}";

  static final class AppListener extends WebSocketListener {
    final List<Object> calls = new ArrayList<>();
    RuntimeException toThrow;

    private void record(Object... call) {
      calls.add(List.of(call));
      if (toThrow != null) {
        throw toThrow;
      }
    }

    @Override
    public void onOpen(WebSocket webSocket, Response response) {
      record("open", response);
    }

    @Override
    public void onMessage(WebSocket webSocket, String text) {
      record("text", text);
    }

    @Override
    public void onMessage(WebSocket webSocket, ByteString bytes) {
      record("bytes", bytes);
    }

    @Override
    public void onClosing(WebSocket webSocket, int code, String reason) {
      record("closing", code, reason);
    }

    @Override
    public void onClosed(WebSocket webSocket, int code, String reason) {
      record("closed", code, reason);
    }

    @Override
    public void onFailure(WebSocket webSocket, Throwable t, Response response) {
      record("failure", t);
    }
  }

  static Request request() {
    return new Request.Builder()
        .url("https://api.openai.com/v1/realtime?model=gpt-realtime")
        .header("Authorization", "Bearer sk-proj-abcdefghijklmnopqrstuvwxyz0123aB3d")
        .header("OpenAI-Project", "proj_ok")
        .build();
  }

  static Response handshake(Request request) {
    return new Response.Builder()
        .request(request)
        .protocol(Protocol.HTTP_1_1)
        .code(101)
        .message("Switching Protocols")
        .header("x-request-id", "req_ok1")
        .build();
  }

  @Test
  void everyCallbackIsPassedOnUnchanged() {
    AppListener app = new AppListener();
    Request request = request();
    Object[] state = OkHttpWebSockets.onNewWebSocket(request, app);
    assertTrue(state[0] instanceof TokenLedgerWebSocketListener);
    // While newWebSocket enqueues the handshake, the connection's context is current: the client's
    // HTTP span of the handshake is the connection span's child.
    assertSame(((RealtimeConnection) state[1]).context(), Context.current());
    OkHttpWebSockets.onNewWebSocketReturned(state, null);
    assertSame(Context.root(), Context.current());
    WebSocketListener listener = (WebSocketListener) state[0];
    Response response = handshake(request);
    ByteString bytes = ByteString.of((byte) 1, (byte) 2);
    IllegalStateException failure = new IllegalStateException("reset");
    listener.onOpen(null, response);
    listener.onMessage(null, DONE);
    listener.onMessage(null, bytes);
    listener.onClosing(null, 1000, "done");
    listener.onClosed(null, 1000, "done");
    listener.onFailure(null, failure, null);
    assertEquals(
        List.of(List.of("open", response), List.of("text", DONE), List.of("bytes", bytes),
            List.of("closing", 1000, "done"), List.of("closed", 1000, "done"), List.of("failure", failure)),
        app.calls);
    // The ledger row carries the handshake's headers.
    assertEquals(1, TestTelemetry.LOGS.getFinishedLogRecordItems().size());
    Attributes row = TestTelemetry.LOGS.getFinishedLogRecordItems().get(0).getAttributes();
    assertEquals("req_ok1", row.get(AttributeKey.stringKey("openai.request.id")));
    assertEquals("proj_ok", row.get(AttributeKey.stringKey("openai.project")));
    assertEquals("cancelled", row.get(AttributeKey.stringKey("tokenledger.status")));
    assertEquals("sk-proj…aB3d", row.get(AttributeKey.stringKey("tokenledger.api_key.fingerprint")));
  }

  @Test
  void theApplicationsExceptionsPropagateUnchanged() {
    AppListener app = new AppListener();
    app.toThrow = new IllegalArgumentException("app failure");
    Object[] state = OkHttpWebSockets.onNewWebSocket(request(), app);
    OkHttpWebSockets.onNewWebSocketReturned(state, null);
    WebSocketListener listener = (WebSocketListener) state[0];
    assertSame(app.toThrow, assertThrows(IllegalArgumentException.class, () -> listener.onMessage(null, DONE)));
    assertSame(app.toThrow, assertThrows(IllegalArgumentException.class, () -> listener.onClosed(null, 1000, "")));
  }

  @Test
  void onlyRealtimeRequestsAreWrappedAndNeverTwice() {
    AppListener app = new AppListener();
    Request other = new Request.Builder().url("https://example.com/v1/realtime?model=x").build();
    assertSame(app, OkHttpWebSockets.onNewWebSocket(other, app)[0]);
    Request chat = new Request.Builder().url("https://api.openai.com/v1/chat/completions").build();
    assertSame(app, OkHttpWebSockets.onNewWebSocket(chat, app)[0]);
    Object[] state = OkHttpWebSockets.onNewWebSocket(request(), app);
    OkHttpWebSockets.onNewWebSocketReturned(state, null);
    Object wrapped = state[0];
    assertSame(wrapped, OkHttpWebSockets.onNewWebSocket(request(), (WebSocketListener) wrapped)[0]);
    assertSame(app, ((TokenLedgerWebSocketListener) wrapped).delegate());
  }
}
