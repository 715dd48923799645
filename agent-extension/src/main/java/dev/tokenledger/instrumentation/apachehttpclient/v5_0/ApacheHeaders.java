package dev.tokenledger.instrumentation.apachehttpclient.v5_0;

import dev.tokenledger.agent.Headers;
import org.apache.hc.core5.http.EntityDetails;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.MessageHeaders;

/**
 * Apache's message headers as the transport-neutral {@link Headers}. For a response, the content
 * encoding is the entity's (the classic client's {@code HttpEntity}, the async client's
 * {@code EntityDetails}): the client's decompression leaves the {@code Content-Encoding} header in
 * place but hands over decoded content.
 */
final class ApacheHeaders implements Headers {
  private final MessageHeaders message;
  private final EntityDetails entity;

  ApacheHeaders(MessageHeaders message) {
    this(message, null);
  }

  ApacheHeaders(MessageHeaders message, EntityDetails entity) {
    this.message = message;
    this.entity = entity;
  }

  @Override
  public String get(String name) {
    if (entity != null && "Content-Encoding".equalsIgnoreCase(name)) {
      return entity.getContentEncoding();
    }
    Header header = message.getFirstHeader(name);
    return header == null ? null : header.getValue();
  }
}
