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
import org.apache.hc.core5.net.URIAuthority;

/**
 * What the advice on {@code doExecute} does. The advice state is {@code {scope, call, request,
 * original request entity}}, or null when the request is not a billable OpenAI call.
 */
public final class ApacheHttpClientCalls {

  public static Object[] onExecute(HttpHost target, ClassicHttpRequest request) {
    try {
      String host;
      int port;
      if (target != null) {
        host = target.getHostName();
        port = target.getPort();
      } else {
        URIAuthority authority = request.getAuthority();
        if (authority == null) {
          return null;
        }
        host = authority.getHostName();
        port = authority.getPort();
      }
      String pathAndQuery = request.getPath();
      if (pathAndQuery == null) {
        return null;
      }
      int question = pathAndQuery.indexOf('?');
      String path = question < 0 ? pathAndQuery : pathAndQuery.substring(0, question);
      String query = question < 0 ? null : pathAndQuery.substring(question + 1);
      HttpEntity entity = request.getEntity();
      byte[] body = copyOf(entity);
      OpenAiCall call =
          OpenAiCall.start(
              request.getMethod(),
              host,
              port,
              path,
              query,
              new ApacheHeaders(request),
              body,
              body == null ? 0 : body.length,
              entity == null ? null : entity.getContentType());
      if (call == null) {
        return null;
      }
      if (entity != null && body == null) {
        // Read as the client writes it instead of writing it twice; put back after the call.
        request.setEntity(new ScanningRequestEntity(entity, call.scanRequestBody(entity.getContentType())));
      }
      return new Object[] {call.makeCurrent(), call, request, entity};
    } catch (Throwable t) {
      RateLimitedLog.warn("apache-httpclient", "TokenLedger could not inspect an Apache HttpClient request: " + t);
      return null;
    }
  }

  public static void onExecuted(Object[] state, CloseableHttpResponse response, Throwable thrown) {
    if (state == null) {
      return;
    }
    ((Scope) state[0]).close();
    OpenAiCall call = (OpenAiCall) state[1];
    if (state[3] != null) {
      ((ClassicHttpRequest) state[2]).setEntity((HttpEntity) state[3]);
    }
    if (thrown != null || response == null) {
      call.endWithError(thrown != null ? thrown : new IllegalStateException("no response"));
      return;
    }
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

  /** A copy of a repeatable, small request entity; anything else is left unread. */
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
