package dev.tokenledger.instrumentation.javahttpclient;

import dev.tokenledger.agent.Headers;
import java.net.http.HttpHeaders;

/** The JDK's headers as the transport-neutral {@link Headers}. */
final class JavaHttpHeaders implements Headers {
  private final HttpHeaders headers;

  JavaHttpHeaders(HttpHeaders headers) {
    this.headers = headers;
  }

  @Override
  public String get(String name) {
    return headers.firstValue(name).orElse(null);
  }
}
