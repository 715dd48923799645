package dev.tokenledger.instrumentation.okhttp.v3_0;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.tokenledger.agent.HeadersContract;
import org.junit.jupiter.api.Test;

/** {@link OkHttpHeaders}: OkHttp's headers read by any case of their name; absent ones are null. */
class OkHttpHeadersTest {

  static final okhttp3.Headers HEADERS = new okhttp3.Headers.Builder()
      .add("Authorization", "Bearer sk-1")
      .add("OpenAI-Project", "proj_1")
      .add("content-type", "application/json")
      .add("x-request-id", "req_1")
      .build();

  @Test
  void namesAreCaseInsensitive() {
    HeadersContract.assertReads(new OkHttpHeaders(HEADERS), "authorization", "Bearer sk-1", "openai-project", "proj_1",
        "Content-Type", "application/json", "X-Request-ID", "req_1");
  }

  @Test
  void absentHeadersAreNull() {
    HeadersContract.assertAbsent(new OkHttpHeaders(HEADERS), "OpenAI-Organization", "api-key");
    assertNull(new OkHttpHeaders(new okhttp3.Headers.Builder().build()).get("Authorization"));
  }

  @Test
  void aRepeatedHeaderGivesItsFirstValueAsTheOtherTransportsDo() {
    okhttp3.Headers repeated = new okhttp3.Headers.Builder()
        .add("OpenAI-Project", "proj_first")
        .add("openai-project", "proj_second")
        .build();
    assertEquals("proj_first", new OkHttpHeaders(repeated).get("OpenAI-Project"));
  }
}
