package dev.tokenledger.instrumentation.httpurlconnection;

import dev.tokenledger.agent.OpenAiCall;
import dev.tokenledger.agent.OpenAiInstrumenter;
import dev.tokenledger.usage.RateLimitedLog;
import io.opentelemetry.context.Scope;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;

/**
 * What the advice on the JDK's {@code HttpURLConnection} does, kept out of the advice so it can be
 * read and tested as plain code. One connection is one call, started at the first method that
 * sends (or prepares to send) the request, and remembered in {@link TrackedConnections} until the
 * connection is collected. The response head is taken as soon as {@code getInputStream} has read it
 * (also when it throws for a 4xx/5xx status); the body is shown to the call as the application reads
 * the stream {@code getInputStream} or {@code getErrorStream} returns, and the call ends at the
 * body's end, at its close, at {@code disconnect()}, or when the application drops the connection.
 *
 * <p>Every method here is called from advice and never throws.
 */
public final class HttpUrlConnectionCalls {

  static final String LOG = "http-url-connection";

  private final OpenAiInstrumenter instrumenter;
  private final TrackedConnections tracked = new TrackedConnections();

  HttpUrlConnectionCalls(OpenAiInstrumenter instrumenter) {
    this.instrumenter = instrumenter;
  }

  /** The advice state of a method that runs in a tracked call's context. */
  static final class Entered {
    final ConnectionState state;
    /** No other sending method of the connection was running on this thread when this one began. */
    final boolean outermost;
    private final Scope scope;

    Entered(ConnectionState state) {
      this.state = state;
      this.scope = state.call().makeCurrent();
      this.outermost = state.enterMethod(); // last: exit undoes it only for a state that was entered
    }

    /** The entered state, with its scope closed; null when the method was not tracked. */
    static ConnectionState exit(Object entered) {
      if (!(entered instanceof Entered)) {
        return null;
      }
      Entered e = (Entered) entered;
      try {
        e.scope.close();
      } catch (Throwable t) {
        RateLimitedLog.warn(LOG, "TokenLedger could not close a context scope: " + t);
      }
      e.state.exitMethod();
      return e.state;
    }

    static boolean outermost(Object entered) {
      return entered instanceof Entered && ((Entered) entered).outermost;
    }
  }

  /**
   * Entry of {@code connect}, {@code getOutputStream} ({@code forOutput}) or {@code getInputStream}:
   * starts the connection's call unless an earlier method did, and makes it current while the method
   * (and the upstream agent's advice inside ours) runs. Null when the connection is not tracked.
   */
  public Object enter(HttpURLConnection connection, boolean forOutput) {
    try {
      ConnectionState state = tracked.get(connection);
      if (state == null) {
        URL url = connection.getURL();
        if (url == null || !instrumenter.isOpenAiHost(url.getHost())) {
          return null; // other hosts are never kept: one host match per method is all they cost
        }
        state = tracked.getOrAdd(connection);
      }
      if (state.claimStart()) {
        // Outside any lock of ours: the JDK's getters may take the connection's own lock.
        state.started(start(connection, state.authorization(), forOutput));
      }
      return state.call() == null ? null : new Entered(state);
    } catch (Throwable t) {
      RateLimitedLog.warn(LOG, "TokenLedger could not inspect an HttpURLConnection request: " + t);
      return null;
    }
  }

  /** Exit of {@code connect}. */
  public void connectReturned(Object entered, Throwable thrown) {
    ConnectionState state = Entered.exit(entered);
    if (state != null && thrown != null) {
      state.failed(thrown);
    }
  }

  /** Exit of {@code getOutputStream}: the request body's stream, scanned as the application writes it. */
  public Object[] outputStreamReturned(
      HttpURLConnection connection, Object entered, OutputStream returned, Throwable thrown) {
    ConnectionState state = Entered.exit(entered);
    if (state == null) {
      return null;
    }
    if (thrown != null) {
      state.failed(thrown);
      return null;
    }
    try {
      OutputStream shown = state.requestBody(returned, contentType(connection));
      return shown == returned ? null : new Object[] {shown};
    } catch (Throwable t) {
      RateLimitedLog.warn(LOG, "TokenLedger could not watch an HttpURLConnection request body: " + t);
      return null;
    }
  }

  /**
   * Exit of {@code getInputStream}. It has read the response head when it returns, and also when it
   * throws for a 4xx/5xx status ({@code responseCode} says which); anything else it throws before a
   * response is the request's failure.
   *
   * <p>The JDK calls {@code getInputStream} from within itself ({@code getResponseCode} and the
   * header getters go through it) after every head it reads, also the heads of redirects it follows
   * and of authentication challenges it answers, and before it has parsed the status. Only the
   * outermost call returns the head the application gets.
   */
  public Object[] inputStreamReturned(
      HttpURLConnection connection, Object entered, InputStream returned, Throwable thrown, int responseCode) {
    boolean outermost = Entered.outermost(entered);
    ConnectionState state = Entered.exit(entered);
    if (state == null || !outermost) {
      return null;
    }
    try {
      if (thrown != null && responseCode < 400) {
        state.failed(thrown);
        return null;
      }
      state.responded(connection, responseCode);
      if (thrown != null || returned == null) {
        return null;
      }
      InputStream shown = state.responseBody(returned, connection);
      return shown == returned ? null : new Object[] {shown};
    } catch (Throwable t) {
      RateLimitedLog.warn(LOG, "TokenLedger could not observe an HttpURLConnection response: " + t);
      return null;
    }
  }

  /** Exit of {@code getErrorStream}: the body of a 4xx/5xx response, which getInputStream refused. */
  public Object[] errorStreamReturned(HttpURLConnection connection, InputStream returned, int responseCode) {
    if (returned == null) {
      return null;
    }
    try {
      ConnectionState state = tracked.get(connection);
      if (state == null || state.call() == null || responseCode < 400) {
        return null;
      }
      state.responded(connection, responseCode);
      InputStream shown = state.responseBody(returned, connection);
      return shown == returned ? null : new Object[] {shown};
    } catch (Throwable t) {
      RateLimitedLog.warn(LOG, "TokenLedger could not observe an HttpURLConnection error body: " + t);
      return null;
    }
  }

  /** Exit of {@code disconnect}: whatever of the body was not read is never read now. */
  public void disconnected(HttpURLConnection connection) {
    try {
      ConnectionState state = tracked.get(connection);
      if (state != null) {
        state.end("disconnect() before a response");
      }
    } catch (Throwable t) {
      RateLimitedLog.warn(LOG, "TokenLedger could not end an HttpURLConnection call: " + t);
    }
  }

  /**
   * Exit of {@code setRequestProperty} ({@code replace}) and {@code addRequestProperty}. The JDK never
   * shows the {@code Authorization} header again ({@code getRequestProperty} hides it), so it is kept
   * here, for connections to OpenAI hosts only, until the call starts.
   */
  public void requestPropertySet(HttpURLConnection connection, String name, String value, boolean replace) {
    try {
      if (!RequestHeaders.AUTHORIZATION.equalsIgnoreCase(name) || value == null) {
        return;
      }
      URL url = connection.getURL();
      if (url == null || !instrumenter.isOpenAiHost(url.getHost())) {
        return;
      }
      tracked.getOrAdd(connection).keepAuthorization(value, replace);
    } catch (Throwable t) {
      RateLimitedLog.warn(LOG, "TokenLedger could not read an HttpURLConnection request header: " + t);
    }
  }

  /**
   * The connection's call, from the request as it stands before it is sent, or null when it is not a
   * billable OpenAI call. The JDK turns a GET with output into a POST when the body's stream is taken;
   * the call is started as that POST.
   */
  private OpenAiCall start(HttpURLConnection connection, String authorization, boolean forOutput) {
    try {
      URL url = connection.getURL();
      String method = connection.getRequestMethod();
      if ("GET".equals(method) && (forOutput || connection.getDoOutput())) {
        method = "POST";
      }
      int port = url.getPort() != -1 ? url.getPort() : url.getDefaultPort();
      return instrumenter.startCall(
          method,
          url.getHost(),
          port,
          url.getPath(),
          url.getQuery(),
          new RequestHeaders(connection, authorization),
          null,
          0,
          null);
    } catch (Throwable t) {
      RateLimitedLog.warn(LOG, "TokenLedger could not inspect an HttpURLConnection request: " + t);
      return null;
    }
  }

  /** How many connections are kept (for tests). */
  int trackedConnections() {
    return tracked.size();
  }

  private static String contentType(HttpURLConnection connection) {
    try {
      return connection.getRequestProperty("Content-Type");
    } catch (Throwable t) {
      return null;
    }
  }
}
