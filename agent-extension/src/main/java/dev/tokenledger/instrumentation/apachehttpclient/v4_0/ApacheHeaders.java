package dev.tokenledger.instrumentation.apachehttpclient.v4_0;

import dev.tokenledger.agent.Headers;
import org.apache.http.Header;
import org.apache.http.HttpEntity;
import org.apache.http.HttpMessage;

/**
 * HttpClient 4's message headers as the transport-neutral {@link Headers}. For a response, the
 * content encoding is the entity's: the client's decompression swaps in an entity with none (and
 * drops the header), a client without it leaves both.
 */
final class ApacheHeaders implements Headers {
  private final HttpMessage message;
  private final HttpEntity entity;

  ApacheHeaders(HttpMessage message) {
    this(message, null);
  }

  ApacheHeaders(HttpMessage message, HttpEntity entity) {
    this.message = message;
    this.entity = entity;
  }

  @Override
  public String get(String name) {
    Header header;
    if (entity != null && "Content-Encoding".equalsIgnoreCase(name)) {
      header = entity.getContentEncoding();
    } else {
      header = message.getFirstHeader(name);
    }
    return header == null ? null : header.getValue();
  }
}
