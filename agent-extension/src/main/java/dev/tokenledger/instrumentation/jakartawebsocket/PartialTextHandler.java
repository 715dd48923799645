package dev.tokenledger.instrumentation.jakartawebsocket;

import dev.tokenledger.agent.RealtimeConnection;
import jakarta.websocket.MessageHandler;

/**
 * The application's {@code MessageHandler.Partial<String>}, with each fragment shown to the
 * Realtime connection first; fragments are passed on unchanged, in order, and the application's
 * exceptions propagate as they are (ours never happen).
 */
final class PartialTextHandler implements MessageHandler.Partial<String>, TextHandler {

  private final MessageHandler.Partial<String> delegate;
  private final RealtimeConnection connection;

  PartialTextHandler(MessageHandler.Partial<String> delegate, RealtimeConnection connection) {
    this.delegate = delegate;
    this.connection = connection;
  }

  @Override
  public MessageHandler delegate() {
    return delegate;
  }

  @Override
  public void onMessage(String partialMessage, boolean last) {
    connection.onText(partialMessage, last);
    delegate.onMessage(partialMessage, last);
  }
}
