package dev.tokenledger.instrumentation.apachehttpclient.v5_0;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.tokenledger.agent.HeadersContract;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.io.entity.BasicHttpEntity;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.message.BasicClassicHttpRequest;
import org.apache.hc.core5.http.message.BasicClassicHttpResponse;
import org.junit.jupiter.api.Test;

/**
 * {@link ApacheHeaders}: Apache's message headers by any case of their name, first value, absent as
 * null; a response's content encoding is its entity's (the client's decompression leaves the header
 * but hands over decoded content).
 */
class ApacheHeadersTest {

  @Test
  void aRequestsHeadersAreReadInAnyCase() {
    BasicClassicHttpRequest request = new BasicClassicHttpRequest("POST", "/v1/chat/completions");
    request.addHeader("Authorization", "Bearer sk-1");
    request.addHeader("OpenAI-Project", "proj_first");
    request.addHeader("openai-project", "proj_second");
    ApacheHeaders headers = new ApacheHeaders(request);
    HeadersContract.assertReads(headers, "authorization", "Bearer sk-1");
    assertEquals("proj_first", headers.get("OPENAI-PROJECT"), "the first of a repeated header");
    HeadersContract.assertAbsent(headers, "OpenAI-Organization", "Content-Encoding");
  }

  @Test
  void aResponsesContentEncodingIsItsEntitys() {
    BasicClassicHttpResponse response = new BasicClassicHttpResponse(200);
    response.addHeader("Content-Encoding", "gzip");
    response.addHeader("x-request-id", "req_1");
    BasicHttpEntity decoded = new BasicHttpEntity(new java.io.ByteArrayInputStream(new byte[0]), ContentType.APPLICATION_JSON);
    ApacheHeaders headers = new ApacheHeaders(response, decoded);
    assertNull(headers.get("Content-Encoding"), "decompressed by the client");
    assertNull(headers.get("content-encoding"));
    assertEquals("req_1", headers.get("X-Request-Id"));

    ByteArrayEntity encoded = new ByteArrayEntity(new byte[0], ContentType.APPLICATION_JSON, "br");
    assertEquals("br", new ApacheHeaders(response, encoded).get("CONTENT-ENCODING"));
  }

  @Test
  void withoutAnEntityTheHeaderIsRead() {
    BasicClassicHttpResponse response = new BasicClassicHttpResponse(200);
    response.addHeader("Content-Encoding", "gzip");
    assertEquals("gzip", new ApacheHeaders(response).get("content-encoding"));
    assertNull(new ApacheHeaders(new BasicClassicHttpResponse(204)).get("Content-Type"));
  }
}
