package dev.tokenledger.instrumentation.okhttp.v3_0;

import dev.tokenledger.agent.Headers;
import okhttp3.Request;
import okhttp3.Response;

/** OkHttp's headers as the transport-neutral {@link Headers}. */
final class OkHttpHeaders implements Headers {
  private final okhttp3.Headers headers;

  OkHttpHeaders(okhttp3.Headers headers) {
    this.headers = headers;
  }

  /**
   * The headers of the request that went on the wire for {@code response}: after the application's
   * own interceptors (application and network) and OkHttp's additions, which the request an
   * application interceptor is handed does not have yet. The network response holds that request;
   * a response that did not come from the network (a cache hit, one an interceptor made) holds the
   * request as far as it got.
   */
  static OkHttpHeaders sentFor(Response response) {
    Response network = response.networkResponse();
    Request sent = network != null ? network.request() : response.request();
    return new OkHttpHeaders(sent.headers());
  }

  /** The first value, as the other transports give it (OkHttp's own {@code get} gives the last). */
  @Override
  public String get(String name) {
    for (int i = 0, n = headers.size(); i < n; i++) {
      if (headers.name(i).equalsIgnoreCase(name)) {
        return headers.value(i);
      }
    }
    return null;
  }
}
