package dev.tokenledger.demo.realtime;

import java.net.URI;
import java.util.Map;

/** A WebSocket client library, as an application would use it to talk to the Realtime API. */
public interface RealtimeTransport extends AutoCloseable {

  /** An open connection. */
  interface Socket {
    /** Sends one text message and returns once the library has taken it. */
    void send(String text) throws Exception;

    /** Starts the close handshake (1000) and waits briefly for it to finish. */
    void close();

    /** Ends the connection at once, without a close handshake. */
    void abort();
  }

  String name();

  /** Opens a connection; what arrives goes to {@code inbox}. */
  Socket connect(URI uri, Map<String, String> headers, RealtimeInbox inbox) throws Exception;

  @Override
  default void close() {}
}
