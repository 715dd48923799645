package dev.tokenledger.instrumentation.httpurlconnection;

import java.io.IOException;

/**
 * How a call ends whose connection the application disconnected or dropped before any response
 * head was read: the request failed, or was never sent whole. Its class name is the
 * {@code error.type} of the span and of the failed-request count; never thrown.
 */
final class DisconnectedBeforeResponse extends IOException {

  private static final long serialVersionUID = 1L;

  DisconnectedBeforeResponse(String why) {
    super(why);
  }

  @Override
  public synchronized Throwable fillInStackTrace() {
    return this; // never thrown: the class name is all that is used
  }
}
