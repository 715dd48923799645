package dev.tokenledger.instrumentation.httpurlconnection;

import dev.tokenledger.agent.TeeInputStream;
import java.io.FilterInputStream;

/**
 * The response body stream the application gets: the call's {@link TeeInputStream}, which also
 * keeps the connection reachable while the application reads, so that the connection's collection
 * ({@link TrackedConnections}) never ends a call whose body is still being read.
 */
final class ConnectionInputStream extends FilterInputStream {

  @SuppressWarnings("unused") // held for reachability only
  private final Object connection;

  ConnectionInputStream(TeeInputStream tee, Object connection) {
    super(tee);
    this.connection = connection;
  }
}
