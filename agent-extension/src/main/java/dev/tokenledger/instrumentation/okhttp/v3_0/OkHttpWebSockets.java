package dev.tokenledger.instrumentation.okhttp.v3_0;

import dev.tokenledger.agent.RealtimeConnection;
import dev.tokenledger.usage.RateLimitedLog;
import okhttp3.HttpUrl;
import okhttp3.Request;
import okhttp3.WebSocketListener;

/**
 * What the advice on {@code OkHttpClient.newWebSocket} does. The advice state is
 * {@code {listener, connection}}: the listener to pass on (ours or the application's) and the
 * connection, if the request is for a Realtime endpoint.
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
          RealtimeConnection.start(
              url.host(), url.port(), url.encodedPath(), url.encodedQuery(), new OkHttpHeaders(request.headers()));
      if (connection == null) {
        return new Object[] {listener, null};
      }
      return new Object[] {new TokenLedgerWebSocketListener(listener, connection), connection};
    } catch (Throwable t) {
      RateLimitedLog.warn("okhttp-websocket", "TokenLedger could not inspect an OkHttp WebSocket: " + t);
      return new Object[] {listener, null};
    }
  }

  public static void onNewWebSocketReturned(Object[] state, Throwable thrown) {
    if (state != null && state[1] != null && thrown != null) {
      ((RealtimeConnection) state[1]).onFailure(thrown);
    }
  }

  private OkHttpWebSockets() {}
}
