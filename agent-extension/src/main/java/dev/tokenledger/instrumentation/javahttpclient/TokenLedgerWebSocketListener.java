package dev.tokenledger.instrumentation.javahttpclient;

import dev.tokenledger.agent.RealtimeConnection;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletionStage;

/**
 * The application's {@code WebSocket.Listener}, with each server message shown to the Realtime
 * connection first. Every call is passed on with the same arguments, in the same order, and its
 * result (the application's {@code CompletionStage}, which controls when the JDK may reuse the data)
 * returned unchanged; the application's exceptions propagate as they are, ours never happen (the
 * connection's methods do not throw). Text is read before the application gets it, with
 * {@code charAt} only, so the buffer's position is untouched; flow control ({@code request(n)}) stays
 * entirely the application's.
 */
final class TokenLedgerWebSocketListener implements WebSocket.Listener {

  private final WebSocket.Listener delegate;
  private final RealtimeConnection connection;

  TokenLedgerWebSocketListener(WebSocket.Listener delegate, RealtimeConnection connection) {
    this.delegate = delegate;
    this.connection = connection;
  }

  WebSocket.Listener delegate() {
    return delegate;
  }

  @Override
  public void onOpen(WebSocket webSocket) {
    connection.onOpen(null);
    delegate.onOpen(webSocket);
  }

  @Override
  public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
    connection.onText(data, last);
    return delegate.onText(webSocket, data, last);
  }

  @Override
  public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
    connection.onBinary(last);
    return delegate.onBinary(webSocket, data, last);
  }

  @Override
  public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
    return delegate.onPing(webSocket, message);
  }

  @Override
  public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
    return delegate.onPong(webSocket, message);
  }

  @Override
  public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
    connection.onClosed(statusCode);
    return delegate.onClose(webSocket, statusCode, reason);
  }

  @Override
  public void onError(WebSocket webSocket, Throwable error) {
    connection.onFailure(error);
    delegate.onError(webSocket, error);
  }
}
