package dev.tokenledger.instrumentation.javahttpclient;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tokenledger.agent.HeadersContract;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link JavaHttpHeaders}: the JDK's headers read by any case of their name; first value; absent is null. */
class JavaHttpHeadersTest {

  @Test
  void aRequestsHeadersAreReadInAnyCase() {
    HttpRequest request = HttpRequest.newBuilder(URI.create("https://api.openai.com/v1/chat/completions"))
        .header("Authorization", "Bearer sk-1")
        .header("OpenAI-Project", "proj_1")
        .header("Content-Type", "application/json")
        .GET()
        .build();
    JavaHttpHeaders headers = new JavaHttpHeaders(request.headers());
    HeadersContract.assertReads(headers, "authorization", "Bearer sk-1", "OPENAI-PROJECT", "proj_1",
        "content-type", "application/json");
    HeadersContract.assertAbsent(headers, "OpenAI-Organization");
  }

  @Test
  void aRepeatedHeaderGivesItsFirstValue() {
    HttpHeaders repeated = HttpHeaders.of(Map.of("x-request-id", List.of("req_first", "req_second")), (n, v) -> true);
    assertEquals("req_first", new JavaHttpHeaders(repeated).get("X-Request-Id"));
  }

  @Test
  void absentHeadersAreNull() {
    JavaHttpHeaders none = new JavaHttpHeaders(HttpHeaders.of(Map.of(), (n, v) -> true));
    HeadersContract.assertAbsent(none, "Authorization", "x-request-id");
  }
}
