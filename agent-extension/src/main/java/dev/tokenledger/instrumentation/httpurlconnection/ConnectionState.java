package dev.tokenledger.instrumentation.httpurlconnection;

import dev.tokenledger.agent.ByteSinkOutputStream;
import dev.tokenledger.agent.OpenAiCall;
import dev.tokenledger.agent.TeeInputStream;
import dev.tokenledger.usage.RateLimitedLog;
import dev.tokenledger.usage.RequestInfo;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.ref.WeakReference;
import java.net.HttpURLConnection;

/**
 * What is known of one connection to an OpenAI host: the credential it was given, its call once
 * started, whether the response head has been seen, and the streams handed to the application (the
 * same stream asked for twice is wrapped once).
 *
 * <p>Held by {@link TrackedConnections} for as long as the connection lives, so nothing here may
 * reach the connection: the JDK's streams are inner objects of it, so they and our wrappers (which
 * keep the connection alive while the application reads) are held weakly.
 */
final class ConnectionState {

  private static final WeakReference<Object> NONE = new WeakReference<Object>(null);

  private String authorization;
  private boolean startAttempted;
  private volatile OpenAiCall call;
  private boolean responded;
  private RequestInfo.Scanner requestScanner;
  private WeakReference<Object> requestStream = NONE;
  private WeakReference<Object> requestWrapper = NONE;
  private WeakReference<Object> responseStream = NONE;
  private WeakReference<Object> responseWrapper = NONE;

  /**
   * How deep this thread is in the connection's sending methods, which the JDK calls from within one
   * another; removed when it leaves the outermost, so nothing stays behind on the thread.
   */
  private final ThreadLocal<int[]> methodDepth = new ThreadLocal<int[]>();

  /** A sending method begins on this thread: true when it is the outermost there. */
  boolean enterMethod() {
    int[] depth = methodDepth.get();
    if (depth == null) {
      depth = new int[1];
      methodDepth.set(depth);
    }
    return depth[0]++ == 0;
  }

  /** A sending method ends on this thread. */
  void exitMethod() {
    int[] depth = methodDepth.get();
    if (depth != null && --depth[0] <= 0) {
      methodDepth.remove();
    }
  }

  synchronized void keepAuthorization(String value, boolean replace) {
    if (replace || authorization == null) {
      authorization = value;
    }
  }

  synchronized String authorization() {
    return authorization;
  }

  /**
   * True for the one caller that is to start the call (the first sending method); a method running
   * meanwhile on another thread goes untracked rather than wait.
   */
  synchronized boolean claimStart() {
    if (startAttempted) {
      return false;
    }
    startAttempted = true;
    return true;
  }

  /** The outcome of the one start: the call, or null when the request is not a billable call. */
  void started(OpenAiCall call) {
    this.call = call;
  }

  OpenAiCall call() {
    return call;
  }

  /** The request failed before a response (a failure after one is the body's, seen by its stream). */
  void failed(Throwable thrown) {
    OpenAiCall current = call;
    if (current == null) {
      return;
    }
    synchronized (this) {
      if (responded) {
        return;
      }
    }
    current.endWithError(thrown);
  }

  /**
   * The response head has been read: shows it to the call, once. A body the JDK knows to be empty
   * ends the call at once: the application may never ask for its stream.
   */
  void responded(HttpURLConnection connection, int responseCode) {
    OpenAiCall current = call;
    if (current == null) {
      return;
    }
    synchronized (this) {
      if (responded) {
        return;
      }
      responded = true;
    }
    int status = responseCode > 0 ? responseCode : statusOf(connection);
    // The header getters re-enter getInputStream (and this class, which has responded by now).
    ResponseHeaders headers = new ResponseHeaders(connection.getHeaderFields());
    current.onResponse(status, headers);
    if (emptyBody(status, connection.getRequestMethod(), headers)) {
      current.end(true);
    }
  }

  /** The request body's stream, shown to the request scanner as the application writes it. */
  OutputStream requestBody(OutputStream stream, String contentType) {
    OpenAiCall current = call;
    if (current == null || stream == null) {
      return stream;
    }
    synchronized (this) {
      if (requestStream.get() == stream) {
        Object wrapper = requestWrapper.get();
        if (wrapper != null) {
          return (OutputStream) wrapper;
        }
      }
      if (requestScanner == null) {
        requestScanner = current.scanRequestBody(contentType);
      }
      OutputStream wrapper = new ByteSinkOutputStream(stream, requestScanner);
      requestStream = new WeakReference<Object>(stream);
      requestWrapper = new WeakReference<Object>(wrapper);
      return wrapper;
    }
  }

  /** The response body's stream, shown to the call exactly as the application reads it. */
  InputStream responseBody(InputStream stream, HttpURLConnection connection) {
    OpenAiCall current = call;
    if (current == null || stream == null || stream instanceof ConnectionInputStream) {
      return stream;
    }
    synchronized (this) {
      if (responseStream.get() == stream) {
        Object wrapper = responseWrapper.get();
        if (wrapper != null) {
          return (InputStream) wrapper;
        }
      }
      InputStream wrapper = new ConnectionInputStream(new TeeInputStream(stream, current), connection);
      responseStream = new WeakReference<Object>(stream);
      responseWrapper = new WeakReference<Object>(wrapper);
      return wrapper;
    }
  }

  /**
   * The application is done with the connection ({@code disconnect()}, or it was collected):
   * whatever of the body was not read is never read now, and a request without a response head got
   * none.
   */
  void end(String why) {
    OpenAiCall current = call;
    if (current == null) {
      return;
    }
    boolean hadResponse;
    synchronized (this) {
      hadResponse = responded;
    }
    if (hadResponse) {
      current.end(false);
    } else {
      current.endWithError(new DisconnectedBeforeResponse(why));
    }
  }

  private static int statusOf(HttpURLConnection connection) {
    try {
      return connection.getResponseCode();
    } catch (Throwable t) {
      RateLimitedLog.warn("http-url-connection", "TokenLedger could not read an HttpURLConnection status: " + t);
      return -1;
    }
  }

  /** As the JDK decides it: no body for HEAD, 1xx, 204, 304, or a zero Content-Length. */
  static boolean emptyBody(int status, String method, ResponseHeaders headers) {
    return "HEAD".equals(method)
        || (status >= 100 && status < 200)
        || status == HttpURLConnection.HTTP_NO_CONTENT
        || status == HttpURLConnection.HTTP_NOT_MODIFIED
        || "0".equals(trim(headers.get("Content-Length")));
  }

  private static String trim(String value) {
    return value == null ? null : value.trim();
  }
}
