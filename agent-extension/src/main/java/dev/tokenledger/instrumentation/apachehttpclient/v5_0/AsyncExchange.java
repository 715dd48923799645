package dev.tokenledger.instrumentation.apachehttpclient.v5_0;

import dev.tokenledger.agent.OpenAiCall;
import dev.tokenledger.usage.RateLimitedLog;
import dev.tokenledger.usage.RequestInfo;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.nio.ByteBuffer;
import java.util.concurrent.CancellationException;
import org.apache.hc.core5.http.EntityDetails;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.HttpResponse;

/**
 * One execution of the async client as the request producer, the response consumer and the future's
 * callback see it: they share this, and it turns what they see into calls on the {@link OpenAiCall}.
 * The call is known from the start when the request could be read up front; otherwise it starts
 * when the client sends the request head, and stays null for calls to other hosts (then everything
 * here does nothing). Callbacks come from the client's I/O threads and the application's (a cancel);
 * nothing here throws.
 */
final class AsyncExchange {

  private final HttpHost target;
  /** The application's context at {@code execute}, the parent of a call that starts later on an I/O thread. */
  private final Context parent;
  private volatile OpenAiCall call;
  private volatile RequestInfo.Scanner requestScanner;
  private volatile boolean requestSeen;
  private volatile boolean responded;
  private volatile boolean ended;

  /** An exchange whose call started up front. */
  AsyncExchange(OpenAiCall call, String requestContentType, boolean hasBody) {
    this.target = null;
    this.parent = null;
    this.call = call;
    this.requestSeen = true;
    if (hasBody) {
      this.requestScanner = call.scanRequestBody(requestContentType);
    }
  }

  /**
   * An exchange whose request is only known when the client sends it to {@code target} (or the
   * request's authority), from an I/O thread: the call then starts in {@code parent}, the context
   * the application executed it in, for its trace and its baggage.
   */
  AsyncExchange(HttpHost target, Context parent) {
    this.target = target;
    this.parent = parent;
  }

  OpenAiCall call() {
    return call;
  }

  /** The request head as the client sends it: starts the call if it did not start up front. */
  void onRequest(HttpRequest request, EntityDetails entity) {
    if (requestSeen) {
      return;
    }
    requestSeen = true;
    try {
      OpenAiCall started;
      Scope scope = parent == null ? null : parent.makeCurrent();
      try {
        started = ApacheRequests.startCall(target, request, null, entity == null ? null : entity.getContentType());
      } finally {
        if (scope != null) {
          scope.close();
        }
      }
      if (started != null && entity != null) {
        requestScanner = started.scanRequestBody(entity.getContentType());
      }
      call = started;
    } catch (Throwable t) {
      RateLimitedLog.warn("apache-httpclient", "TokenLedger could not inspect an Apache HttpClient request: " + t);
    }
  }

  /** Where the request body goes as the client writes it; null when there is nothing to scan. */
  RequestInfo.Scanner requestScanner() {
    return requestScanner;
  }

  /** The first production of the request body is over: retries and redirects send it again unscanned. */
  void requestBodySent() {
    requestScanner = null;
  }

  void onResponse(HttpResponse response, EntityDetails entity) {
    OpenAiCall current = call;
    if (current == null || ended) {
      return;
    }
    try {
      responded = true;
      requestScanner = null;
      current.onResponse(response.getCode(), new ApacheHeaders(response, entity));
      if (entity == null) {
        end(true);
      }
    } catch (Throwable t) {
      RateLimitedLog.warn("apache-httpclient", "TokenLedger could not observe an Apache HttpClient response: " + t);
      end(false);
    }
  }

  /** Body bytes handed to the application's consumer; read through a duplicate. */
  void onBytes(ByteBuffer src) {
    OpenAiCall current = call;
    if (current == null || ended || src == null) {
      return;
    }
    try {
      current.onBytes(src.duplicate());
    } catch (Throwable t) {
      RateLimitedLog.warn("apache-httpclient", "TokenLedger could not read an Apache HttpClient response: " + t);
    }
  }

  /** The body ended ({@code reachedEnd}) or stopped early. */
  void end(boolean reachedEnd) {
    OpenAiCall current = call;
    if (current == null || ended) {
      return;
    }
    ended = true;
    try {
      current.end(reachedEnd);
    } catch (Throwable t) {
      RateLimitedLog.warn("apache-httpclient", "TokenLedger could not end an Apache HttpClient call: " + t);
    }
  }

  /** The exchange failed: before a response, a failed request; after one, a body that broke off. */
  void fail(Throwable error) {
    OpenAiCall current = call;
    if (current == null || ended) {
      return;
    }
    ended = true;
    try {
      current.endWithError(error != null ? error : new CancellationException());
    } catch (Throwable t) {
      RateLimitedLog.warn("apache-httpclient", "TokenLedger could not end an Apache HttpClient call: " + t);
    }
  }

  /** The application cancelled, or the client let go of the consumer without an end: whatever came so far. */
  void abandon() {
    if (responded) {
      end(false);
    } else {
      fail(new CancellationException("Request execution cancelled"));
    }
  }
}
