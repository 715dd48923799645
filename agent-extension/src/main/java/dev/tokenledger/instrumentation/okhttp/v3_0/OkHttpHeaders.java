package dev.tokenledger.instrumentation.okhttp.v3_0;

import dev.tokenledger.agent.Headers;

/** OkHttp's headers as the transport-neutral {@link Headers}. */
final class OkHttpHeaders implements Headers {
  private final okhttp3.Headers headers;

  OkHttpHeaders(okhttp3.Headers headers) {
    this.headers = headers;
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
