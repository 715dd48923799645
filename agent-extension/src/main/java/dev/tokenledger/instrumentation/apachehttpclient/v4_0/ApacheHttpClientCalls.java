package dev.tokenledger.instrumentation.apachehttpclient.v4_0;

import dev.tokenledger.agent.OpenAiCall;
import dev.tokenledger.usage.RateLimitedLog;
import dev.tokenledger.usage.RequestInfo;
import io.opentelemetry.context.Scope;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import org.apache.http.Header;
import org.apache.http.HttpEntity;
import org.apache.http.HttpEntityEnclosingRequest;
import org.apache.http.HttpHost;
import org.apache.http.HttpRequest;
import org.apache.http.HttpResponse;
import org.apache.http.client.methods.HttpUriRequest;

/**
 * What the advice on HttpClient 4's {@code CloseableHttpClient} does. The call starts at the
 * outermost {@code execute} (the overloads delegate to each other; the upstream agent starts its
 * HTTP span there too, so ours can be its parent) and its context is current until that returns;
 * the response body is taken at {@code doExecute}, through which every overload goes once per
 * logical request (retries and redirects happen inside), before any response handler reads it.
 * Entries are told apart by the request object, which the overloads hand down unchanged: another
 * request executed from a response handler is a call of its own, nested in the first.
 */
public final class ApacheHttpClientCalls {

  /**
   * The innermost call in progress on this thread, between the outermost entry for its request and
   * that entry's exit. Another request executed meanwhile on this thread (from a response handler,
   * which runs inside {@code execute}) is a call of its own, nested in this one.
   */
  private static final ThreadLocal<Started> CURRENT = new ThreadLocal<Started>();

  /** Advice state: the call, its scope, and the request entity to put back at the end. */
  public static final class Started {
    final OpenAiCall call;
    final Scope scope;
    /** The request as the application passed it: the overloads hand the same object down. */
    final HttpRequest executed;
    final HttpEntityEnclosingRequest request;
    final HttpEntity originalEntity;
    /** The call this one is nested in, current again after this one's exit. */
    Started outer;
    boolean responded;

    Started(OpenAiCall call, Scope scope, HttpRequest executed, HttpEntityEnclosingRequest request, HttpEntity originalEntity) {
      this.call = call;
      this.executed = executed;
      this.scope = scope;
      this.request = request;
      this.originalEntity = originalEntity;
    }
  }

  /** Entry of any {@code execute}/{@code doExecute}: starts a call unless an outer entry did for this request. */
  public static Started enter(HttpHost target, HttpRequest request) {
    Started current = CURRENT.get();
    if (current != null && isFor(current, request)) {
      return null;
    }
    Started started = start(target, request);
    if (started != null) {
      started.outer = current;
      CURRENT.set(started);
    }
    return started;
  }

  /** Exit of the entry that started the call (others pass null): ends it if no response came. */
  public static void exit(Started started, Throwable thrown) {
    if (started == null) {
      return;
    }
    if (started.outer == null) {
      CURRENT.remove();
    } else {
      CURRENT.set(started.outer);
    }
    try {
      started.scope.close();
    } catch (Throwable t) {
      RateLimitedLog.warn("apache-httpclient-4", "TokenLedger could not close a context scope: " + t);
    }
    if (started.originalEntity != null) {
      started.request.setEntity(started.originalEntity);
    }
    if (thrown != null) {
      // Before a response, or from a response handler (then the body's end has been seen already).
      started.call.endWithError(thrown);
    }
  }

  /** Exit of {@code doExecute} for {@code request}: the response head is here and its body not yet read. */
  public static void onResponse(HttpRequest request, HttpResponse response) {
    Started started = CURRENT.get();
    if (started == null || response == null || !isFor(started, request) || started.responded) {
      return;
    }
    started.responded = true;
    OpenAiCall call = started.call;
    try {
      HttpEntity entity = response.getEntity();
      call.onResponse(response.getStatusLine().getStatusCode(), new ApacheHeaders(response, entity));
      if (entity == null) {
        call.end(true);
      } else {
        response.setEntity(new TeeEntity(entity, call));
      }
    } catch (Throwable t) {
      RateLimitedLog.warn("apache-httpclient-4", "TokenLedger could not observe an Apache HttpClient response: " + t);
      call.end(false);
    }
  }

  /** A response was closed: a body not read to its end by now ends incomplete. */
  public static void onResponseClosed(HttpResponse response) {
    try {
      HttpEntity entity = response == null ? null : response.getEntity();
      if (entity instanceof TeeEntity) {
        ((TeeEntity) entity).responseClosed();
      }
    } catch (Throwable t) {
      RateLimitedLog.warn("apache-httpclient-4", "TokenLedger could not observe a closed response: " + t);
    }
  }

  private static boolean isFor(Started started, HttpRequest request) {
    return started.executed == request;
  }

  private static Started start(HttpHost target, HttpRequest request) {
    try {
      URI uri = request instanceof HttpUriRequest
          ? ((HttpUriRequest) request).getURI()
          : URI.create(request.getRequestLine().getUri());
      if (uri == null) {
        return null;
      }
      String host = target != null ? target.getHostName() : uri.getHost();
      int port = target != null ? target.getPort() : uri.getPort();
      HttpEntityEnclosingRequest enclosing =
          request instanceof HttpEntityEnclosingRequest ? (HttpEntityEnclosingRequest) request : null;
      HttpEntity entity = enclosing == null ? null : enclosing.getEntity();
      byte[] body = copyOf(entity);
      String contentType = entity == null ? null : value(entity.getContentType());
      OpenAiCall call =
          ApacheHttpClientSingletons.instrumenter().startCall(
              request.getRequestLine().getMethod(),
              host,
              port,
              uri.getRawPath(),
              uri.getRawQuery(),
              new ApacheHeaders(request),
              body,
              body == null ? 0 : body.length,
              contentType);
      if (call == null) {
        return null;
      }
      HttpEntity original = null;
      if (entity != null && body == null) {
        // Read as the client writes it instead of writing it twice; put back after the call.
        enclosing.setEntity(new ScanningRequestEntity(entity, call.scanRequestBody(contentType)));
        original = entity;
      }
      return new Started(call, call.makeCurrent(), request, enclosing, original);
    } catch (Throwable t) {
      RateLimitedLog.warn("apache-httpclient-4", "TokenLedger could not inspect an Apache HttpClient request: " + t);
      return null;
    }
  }

  private static String value(Header header) {
    return header == null ? null : header.getValue();
  }

  /** A copy of a repeatable, small request entity; anything else is read as it is written. */
  private static byte[] copyOf(HttpEntity entity) {
    try {
      if (entity == null || !entity.isRepeatable()) {
        return null;
      }
      long length = entity.getContentLength();
      if (length < 0 || length > RequestInfo.MAX_REQUEST_BYTES) {
        return null;
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream((int) length);
      entity.writeTo(out);
      return out.toByteArray();
    } catch (Throwable t) {
      return null;
    }
  }

  private ApacheHttpClientCalls() {}
}
