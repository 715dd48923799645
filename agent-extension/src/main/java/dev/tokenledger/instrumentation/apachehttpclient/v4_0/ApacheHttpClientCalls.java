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
 */
public final class ApacheHttpClientCalls {

  /** The call in progress on this thread, between the outermost entry and its exit. */
  private static final ThreadLocal<Started> CURRENT = new ThreadLocal<Started>();

  /** Advice state: the call, its scope, and the request entity to put back at the end. */
  public static final class Started {
    final OpenAiCall call;
    final Scope scope;
    final HttpEntityEnclosingRequest request;
    final HttpEntity originalEntity;
    boolean responded;

    Started(OpenAiCall call, Scope scope, HttpEntityEnclosingRequest request, HttpEntity originalEntity) {
      this.call = call;
      this.scope = scope;
      this.request = request;
      this.originalEntity = originalEntity;
    }
  }

  /** Entry of any {@code execute}/{@code doExecute}: starts a call unless an outer entry did. */
  public static Started enter(HttpHost target, HttpRequest request) {
    if (CURRENT.get() != null) {
      return null;
    }
    Started started = start(target, request);
    if (started != null) {
      CURRENT.set(started);
    }
    return started;
  }

  /** Exit of the entry that started the call (others pass null): ends it if no response came. */
  public static void exit(Started started, Throwable thrown) {
    if (started == null) {
      return;
    }
    CURRENT.remove();
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

  /** Exit of {@code doExecute}: the response head is here and its body not yet read. */
  public static void onResponse(HttpResponse response) {
    Started started = CURRENT.get();
    if (started == null || response == null || started.responded) {
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
      return new Started(call, call.makeCurrent(), enclosing, original);
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
