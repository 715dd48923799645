package dev.tokenledger.instrumentation.httpurlconnection;

import dev.tokenledger.usage.RateLimitedLog;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.net.HttpURLConnection;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The state of each live connection to an OpenAI host, by the connection's identity, held no longer
 * than the connection itself. A connection the application drops without reading its body to the
 * end, closing it or disconnecting (only asking for the status, say) still ends its call, with what
 * was read, once the collector has taken it: a daemon thread, started when the first connection is
 * kept and gone again after a while with none, waits for collected connections and ends their calls,
 * so the record comes even if the application never touches a connection again.
 *
 * <p>Connections to other hosts are never added: an application that never calls OpenAI through
 * this client only pays for a volatile read per method, and one that does pays for a lock-free
 * lookup.
 */
final class TrackedConnections {

  private static final String LOG = "http-url-connection";

  private final ConcurrentMap<Key, ConnectionState> states = new ConcurrentHashMap<Key, ConnectionState>();
  private volatile boolean empty = true;

  /** The connection's state, or null. */
  ConnectionState get(HttpURLConnection connection) {
    if (empty || connection == null) {
      return null;
    }
    return states.get(new Key(connection, null));
  }

  /** The connection's state, added empty if there was none. */
  ConnectionState getOrAdd(HttpURLConnection connection) {
    ConnectionState state = states.get(new Key(connection, null));
    if (state != null) {
      return state;
    }
    ConnectionState added = new ConnectionState();
    Key key = new Key(connection, this);
    state = states.putIfAbsent(key, added);
    if (state != null) {
      return state;
    }
    empty = false;
    Reaper.watch(key);
    return added;
  }

  /** How many connections are held; for tests. */
  int size() {
    return states.size();
  }

  /** The connection was collected: its call ends with what was read. */
  void collected(Key key) {
    ConnectionState state = states.remove(key);
    if (state == null) {
      return;
    }
    try {
      state.end("connection dropped before a response");
    } catch (Throwable t) {
      RateLimitedLog.warn(LOG, "TokenLedger could not end a dropped HttpURLConnection call: " + t);
    }
  }

  /**
   * A connection by identity (the JDK's classes do not override equals), weakly. A key that is kept
   * knows its owner, to be removed from it once the connection is collected; a key made only to look
   * one up has none.
   */
  static final class Key extends WeakReference<HttpURLConnection> {
    private final int hash;
    final TrackedConnections owner;

    Key(HttpURLConnection connection, TrackedConnections owner) {
      super(connection, owner == null ? null : Reaper.QUEUE);
      this.hash = System.identityHashCode(connection);
      this.owner = owner;
    }

    @Override
    public int hashCode() {
      return hash;
    }

    /** A collected key equals only itself, so that it can still be removed. */
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

  /**
   * The one thread that ends the calls of collected connections. It waits on the queue the kept keys
   * are registered with, never on anything the application holds, and stops after a minute with no
   * connection left to watch (the next kept connection starts it again).
   */
  static final class Reaper implements Runnable {
    static final ReferenceQueue<HttpURLConnection> QUEUE = new ReferenceQueue<HttpURLConnection>();
    static final String THREAD_NAME = "tokenledger-http-url-connection-reaper";
    private static final long IDLE_MILLIS = 60_000;

    /** Kept keys not yet collected and handled, across all owners; guarded by the class. */
    private static int watched;
    private static boolean running;

    static void watch(Key key) {
      synchronized (Reaper.class) {
        watched++;
        if (running) {
          return;
        }
        running = true;
      }
      try {
        Thread thread = new Thread(new Reaper(), THREAD_NAME);
        thread.setDaemon(true);
        thread.setContextClassLoader(null);
        thread.start();
      } catch (Throwable t) {
        synchronized (Reaper.class) {
          running = false;
        }
        RateLimitedLog.warn(LOG, "TokenLedger could not start its HttpURLConnection reaper: " + t);
      }
    }

    @Override
    public void run() {
      while (true) {
        Reference<? extends HttpURLConnection> ref;
        try {
          ref = QUEUE.remove(IDLE_MILLIS);
        } catch (InterruptedException e) {
          ref = null;
        }
        if (ref == null) {
          synchronized (Reaper.class) {
            if (watched == 0) {
              running = false;
              return;
            }
          }
          continue;
        }
        synchronized (Reaper.class) {
          watched--;
        }
        if (ref instanceof Key && ((Key) ref).owner != null) {
          ((Key) ref).owner.collected((Key) ref);
        }
      }
    }
  }
}
