package dev.tokenledger.instrumentation.okhttp.v3_0;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

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
    OkHttpHeaders headers = new OkHttpHeaders(HEADERS);
    assertEquals("Bearer sk-1", headers.get("authorization"));
    assertEquals("Bearer sk-1", headers.get("AUTHORIZATION"));
    assertEquals("proj_1", headers.get("openai-project"));
    assertEquals("application/json", headers.get("Content-Type"));
    assertEquals("req_1", headers.get("X-Request-ID"));
  }

  @Test
  void absentHeadersAreNull() {
    OkHttpHeaders headers = new OkHttpHeaders(HEADERS);
    assertNull(headers.get("OpenAI-Organization"));
    assertNull(headers.get("api-key"));
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
