package dev.tokenledger.instrumentation.httpurlconnection;

import dev.tokenledger.usage.RateLimitedLog;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.net.HttpURLConnection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The state of each live connection to an OpenAI host, by the connection's identity, held no longer
 * than the connection itself. A connection the application drops without reading its body to the
 * end, closing it or disconnecting (only asking for the status, say) still ends its call, with what
 * was read: when the collector has taken it, at the next visit of any connection here.
 *
 * <p>Connections to other hosts are never added: an application that never calls OpenAI through
 * this client only pays for a volatile read per method.
 */
final class TrackedConnections {

  private final Map<Key, ConnectionState> states = new HashMap<Key, ConnectionState>();
  private final ReferenceQueue<HttpURLConnection> collected = new ReferenceQueue<HttpURLConnection>();
  private volatile boolean empty = true;

  /** The connection's state, or null. */
  ConnectionState get(HttpURLConnection connection) {
    if (empty || connection == null) {
      return null;
    }
    ConnectionState state;
    List<ConnectionState> dropped;
    synchronized (states) {
      dropped = expunge();
      state = states.get(new Key(connection, null));
    }
    endAll(dropped);
    return state;
  }

  /** The connection's state, added empty if there was none. */
  ConnectionState getOrAdd(HttpURLConnection connection) {
    ConnectionState state;
    List<ConnectionState> dropped;
    synchronized (states) {
      dropped = expunge();
      state = states.get(new Key(connection, null));
      if (state == null) {
        state = new ConnectionState();
        states.put(new Key(connection, collected), state);
        empty = false;
      }
    }
    endAll(dropped);
    return state;
  }

  /** How many connections are held; for tests. */
  int size() {
    synchronized (states) {
      endAll(expunge());
      return states.size();
    }
  }

  /** Removes the states of collected connections; they are ended outside the lock. */
  private List<ConnectionState> expunge() {
    List<ConnectionState> dropped = null;
    for (Object ref; (ref = collected.poll()) != null; ) {
      ConnectionState state = states.remove(ref);
      if (state != null) {
        if (dropped == null) {
          dropped = new ArrayList<ConnectionState>();
        }
        dropped.add(state);
      }
    }
    return dropped;
  }

  private static void endAll(List<ConnectionState> dropped) {
    if (dropped == null) {
      return;
    }
    for (ConnectionState state : dropped) {
      try {
        state.end("connection dropped before a response");
      } catch (Throwable t) {
        RateLimitedLog.warn("http-url-connection", "TokenLedger could not end a dropped HttpURLConnection call: " + t);
      }
    }
  }

  /** A connection by identity (the JDK's classes do not override equals), weakly. */
  static final class Key extends WeakReference<HttpURLConnection> {
    private final int hash;

    Key(HttpURLConnection connection, ReferenceQueue<HttpURLConnection> queue) {
      super(connection, queue);
      this.hash = System.identityHashCode(connection);
    }

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public boolean equals(Object other) {
      if (this == other) {
        return true;
      }
      if (!(other instanceof Key)) {
        return false;
      }
      Object referent = get();
      return referent != null && referent == ((Key) other).get();
    }
  }
}
