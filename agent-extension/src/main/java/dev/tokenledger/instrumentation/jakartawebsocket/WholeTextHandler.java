package dev.tokenledger.instrumentation.jakartawebsocket;

import dev.tokenledger.agent.RealtimeConnection;
import jakarta.websocket.MessageHandler;

/**
 * The application's {@code MessageHandler.Whole<String>}, with each message shown to the Realtime
 * connection first; the message is passed on unchanged and the application's exceptions propagate
 * as they are (ours never happen). Declares {@code Whole<String>} itself so containers that read the
 * message type from the handler's class see the same type as the application's.
 */
final class WholeTextHandler implements MessageHandler.Whole<String>, TextHandler {

  private final MessageHandler.Whole<String> delegate;
  private final RealtimeConnection connection;

  WholeTextHandler(MessageHandler.Whole<String> delegate, RealtimeConnection connection) {
    this.delegate = delegate;
    this.connection = connection;
  }

  @Override
  public MessageHandler delegate() {
    return delegate;
  }

  @Override
  public void onMessage(String message) {
    connection.onText(message, true);
    delegate.onMessage(message);
  }
}
