package dev.tokenledger.instrumentation.apachehttpclient.v5_0;

import dev.tokenledger.agent.OpenAiCall;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.net.URIAuthority;

/** Where an HttpClient 5 request goes, classic or async, told to the instrumenter. */
final class ApacheRequests {

  /**
   * Starts tracking {@code request} to {@code target} (or, when null, to the request's own
   * authority); null when it is not an OpenAI call or says too little to tell.
   */
  static OpenAiCall startCall(HttpHost target, HttpRequest request, byte[] body, String contentType) {
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
    return ApacheHttpClientSingletons.instrumenter().startCall(
        request.getMethod(),
        host,
        port,
        path,
        query,
        new ApacheHeaders(request),
        body,
        body == null ? 0 : body.length,
        contentType);
  }

  private ApacheRequests() {}
}
