package dev.tokenledger.instrumentation.apachehttpclient.v5_0;

import dev.tokenledger.agent.OpenAiCall;
import dev.tokenledger.usage.RateLimitedLog;
import dev.tokenledger.usage.RequestInfo;
import io.opentelemetry.context.Scope;
import java.io.ByteArrayOutputStream;
import org.apache.hc.client5.http.impl.classic.CloseableHttpResponse;
import org.apache.hc.core5.http.ClassicHttpRequest;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.HttpHost;

/**
 * What the advice on the classic client does. The call starts at the outermost {@code execute}
 * (where the upstream agent starts its HTTP span, so ours can be its parent) or, for entry points
 * that bypass {@code execute} ({@code executeOpen}), at {@code doExecute}; the response body is
 * taken at {@code doExecute}, through which every entry point goes, before any response handler
 * reads it. Entries are told apart by the request object, which the entry points hand down
 * unchanged, and by whether its response has come: another request executed from a response
 * handler, or the same one sent again, is a call of its own, nested in the first.
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
    final ClassicHttpRequest request;
    final HttpEntity originalEntity;
    /** The call this one is nested in, current again after this one's exit. */
    Started outer;
    /**
     * {@code doExecute} has handed over this call's response: an entry for the same request from
     * now on (a response handler sending it again) is another call.
     */
    boolean responded;

    Started(OpenAiCall call, Scope scope, ClassicHttpRequest request, HttpEntity originalEntity) {
      this.call = call;
      this.scope = scope;
      this.request = request;
      this.originalEntity = originalEntity;
    }
  }

  /**
   * Entry of any {@code execute}/{@code doExecute}: starts a call unless an outer entry did for this
   * request and is still waiting for its response.
   */
  public static Started enter(HttpHost target, ClassicHttpRequest request) {
    Started current = CURRENT.get();
    if (current != null && isFor(current, request) && !current.responded) {
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
    started.scope.close();
    if (started.originalEntity != null) {
      started.request.setEntity(started.originalEntity);
    }
    if (thrown != null) {
      // Before a response, or from a response handler (then the body's end has been seen already).
      started.call.endWithError(thrown);
    }
  }

  /** Exit of {@code doExecute} for {@code request}: the response head is here and its body not yet read. */
  public static void onResponse(ClassicHttpRequest request, CloseableHttpResponse response) {
    Started started = CURRENT.get();
    if (started == null || response == null || !isFor(started, request) || started.responded) {
      return;
    }
    started.responded = true;
    OpenAiCall call = started.call;
    try {
      HttpEntity entity = response.getEntity();
      call.onResponse(response.getCode(), new ApacheHeaders(response, entity));
      if (entity == null) {
        call.end(true);
      } else {
        response.setEntity(new TeeEntity(entity, call));
      }
    } catch (Throwable t) {
      RateLimitedLog.warn("apache-httpclient", "TokenLedger could not observe an Apache HttpClient response: " + t);
      call.end(false);
    }
  }

  private static boolean isFor(Started started, ClassicHttpRequest request) {
    return started.request == request;
  }

  private static Started start(HttpHost target, ClassicHttpRequest request) {
    try {
      HttpEntity found = request.getEntity();
      // Sent again from a response handler, the request still holds the first call's scanner.
      HttpEntity entity = found instanceof ScanningRequestEntity ? ((ScanningRequestEntity) found).delegate() : found;
      byte[] body = copyOf(entity);
      OpenAiCall call =
          ApacheRequests.startCall(target, request, body, entity == null ? null : entity.getContentType());
      if (call == null) {
        return null;
      }
      HttpEntity original = null;
      if (entity != null && body == null) {
        // Read as the client writes it instead of writing it twice; put back after the call.
        request.setEntity(new ScanningRequestEntity(entity, call.scanRequestBody(entity.getContentType())));
        original = found;
      }
      return new Started(call, call.makeCurrent(), request, original);
    } catch (Throwable t) {
      RateLimitedLog.warn("apache-httpclient", "TokenLedger could not inspect an Apache HttpClient request: " + t);
      return null;
    }
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
