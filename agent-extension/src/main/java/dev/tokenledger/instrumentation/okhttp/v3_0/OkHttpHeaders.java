package dev.tokenledger.instrumentation.okhttp.v3_0;

import dev.tokenledger.agent.Headers;

/** OkHttp's headers as the transport-neutral {@link Headers}. */
final class OkHttpHeaders implements Headers {
  private final okhttp3.Headers headers;

  OkHttpHeaders(okhttp3.Headers headers) {
    this.headers = headers;
  }

  @Override
  public String get(String name) {
    return headers.get(name);
  }
}
