package dev.tokenledger.instrumentation.netty.v4_1;

import dev.tokenledger.agent.Headers;
import io.netty.handler.codec.http.HttpHeaders;

/** Netty's HTTP headers as the transport-neutral {@link Headers} (case-insensitive, first value). */
final class NettyHeaders implements Headers {

  private final HttpHeaders headers;

  NettyHeaders(HttpHeaders headers) {
    this.headers = headers;
  }

  @Override
  public String get(String name) {
    return headers.get(name);
  }
}
