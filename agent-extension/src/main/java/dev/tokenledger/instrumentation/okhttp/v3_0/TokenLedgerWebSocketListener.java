package dev.tokenledger.instrumentation.okhttp.v3_0;

import dev.tokenledger.agent.RealtimeConnection;
import okhttp3.Response;
import okhttp3.WebSocket;
import okhttp3.WebSocketListener;
import okio.ByteString;

/**
 * The application's {@code WebSocketListener}, with each server message shown to the Realtime
 * connection first. Every callback is passed on with the same arguments in the same order; the
 * application's exceptions propagate as they are, ours never happen (the connection's methods do
 * not throw). The handshake response's headers ({@code x-request-id}, {@code openai-project}) and
 * those of the handshake request as it was sent are read, never its body.
 */
final class TokenLedgerWebSocketListener extends WebSocketListener {

  private final WebSocketListener delegate;
  private final RealtimeConnection connection;

  TokenLedgerWebSocketListener(WebSocketListener delegate, RealtimeConnection connection) {
    this.delegate = delegate;
    this.connection = connection;
  }

  WebSocketListener delegate() {
    return delegate;
  }

  @Override
  public void onOpen(WebSocket webSocket, Response response) {
    if (response != null) {
      // The handshake passes the application's interceptors after newWebSocket: what they add
      // (a key, a project) is on the request that was sent.
      connection.onRequestSent(OkHttpHeaders.sentFor(response));
    }
    connection.onOpen(response == null ? null : new OkHttpHeaders(response.headers()));
    delegate.onOpen(webSocket, response);
  }

  @Override
  public void onMessage(WebSocket webSocket, String text) {
    connection.onText(text, true);
    delegate.onMessage(webSocket, text);
  }

  @Override
  public void onMessage(WebSocket webSocket, ByteString bytes) {
    connection.onBinary(true);
    delegate.onMessage(webSocket, bytes);
  }

  @Override
  public void onClosing(WebSocket webSocket, int code, String reason) {
    // The server's close frame: no message can follow it, so responses still open are lost.
    connection.onClosed(code);
    delegate.onClosing(webSocket, code, reason);
  }

  @Override
  public void onClosed(WebSocket webSocket, int code, String reason) {
    connection.onClosed(code);
    delegate.onClosed(webSocket, code, reason);
  }

  @Override
  public void onFailure(WebSocket webSocket, Throwable t, Response response) {
    connection.onFailure(t);
    delegate.onFailure(webSocket, t, response);
  }
}
