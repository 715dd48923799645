package dev.tokenledger.instrumentation.okhttp.v3_0;

import dev.tokenledger.agent.RealtimeConnection;
import dev.tokenledger.usage.RateLimitedLog;
import io.opentelemetry.context.Scope;
import okhttp3.HttpUrl;
import okhttp3.Request;
import okhttp3.WebSocketListener;

/**
 * What the advice on {@code OkHttpClient.newWebSocket} does. The advice state is
 * {@code {listener, connection, scope}}: the listener Byte Buddy passes on in the application's place
 * (ours or the application's own; an array, so that a suppressed failure, which returns null,
 * replaces nothing), the {@link RealtimeConnection}, if the request is for a Realtime endpoint, and
 * the scope of its context. {@code newWebSocket} enqueues the handshake before it returns, so with
 * the connection's context current the client's HTTP span of the handshake is the connection span's
 * child, as on every transport (and the call is known to be read).
 */
public final class OkHttpWebSockets {

  public static Object[] onNewWebSocket(Request request, WebSocketListener listener) {
    try {
      if (request == null || listener == null || listener instanceof TokenLedgerWebSocketListener) {
        return new Object[] {listener, null};
      }
      // OkHttp has already turned ws:/wss: into http:/https:; only host, path and query matter here.
      HttpUrl url = request.url();
      RealtimeConnection connection =
          OkHttpSingletons.instrumenter().startConnection(
              url.host(), url.port(), url.encodedPath(), url.encodedQuery(), new OkHttpHeaders(request.headers()));
      if (connection == null) {
        return new Object[] {listener, null};
      }
      return new Object[] {
        new TokenLedgerWebSocketListener(listener, connection), connection, connection.context().makeCurrent()
      };
    } catch (Throwable t) {
      RateLimitedLog.warn("okhttp-websocket", "TokenLedger could not inspect an OkHttp WebSocket: " + t);
      return new Object[] {listener, null};
    }
  }

  public static void onNewWebSocketReturned(Object[] state, Throwable thrown) {
    if (state != null && state.length > 2 && state[2] instanceof Scope) {
      ((Scope) state[2]).close();
    }
    RealtimeConnection connection = connectionOf(state);
    if (connection != null && thrown != null) {
      connection.onFailure(thrown);
    }
  }

  private static RealtimeConnection connectionOf(Object[] state) {
    return state != null && state.length > 1 && state[1] instanceof RealtimeConnection
        ? (RealtimeConnection) state[1]
        : null;
  }

  private OkHttpWebSockets() {}
}
