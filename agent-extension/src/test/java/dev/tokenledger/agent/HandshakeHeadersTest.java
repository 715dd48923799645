package dev.tokenledger.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link HandshakeHeaders}: the attributing headers of a WebSocket handshake, kept as a client shows
 * them (one at a time, in any case), read back case-insensitively; everything else is dropped.
 */
class HandshakeHeadersTest {

  /** The headers a client showed, one {@code put} a name/value pair, in order. */
  static HandshakeHeaders shown(String... pairs) {
    HandshakeHeaders headers = new HandshakeHeaders();
    for (int i = 0; i < pairs.length; i += 2) {
      headers.put(pairs[i], pairs[i + 1]);
    }
    return headers;
  }

  @Test
  void theAttributingHeadersAreKeptAndReadInAnyCase() {
    HandshakeHeaders headers = shown("Authorization", "Bearer sk-1", "API-KEY", "azure-key", "openai-project", "proj_1",
        "OpenAI-Organization", "org_1", "X-Request-Id", "req_1");
    HeadersContract.assertReads(headers, "authorization", "Bearer sk-1", "api-key", "azure-key", "OpenAI-Project", "proj_1",
        "openai-organization", "org_1", "x-request-id", "req_1");
  }

  @Test
  void everythingElseIsDroppedAndAbsentHeadersAreNull() {
    HandshakeHeaders headers =
        shown("Cookie", "session=secret", "Sec-WebSocket-Key", "abc", "Content-Type", "application/json");
    HeadersContract.assertAbsent(headers, "Cookie", "Sec-WebSocket-Key", "Content-Type");
    assertNull(headers.get("Authorization"), "kept but never given");
    assertNull(headers.get(null));
    assertNull(headers.get(""));
  }

  @Test
  void theFirstValueOfANameWins() {
    HandshakeHeaders headers = shown("openai-project", "proj_first", "OpenAI-Project", "proj_second");
    headers.putAll("x-request-id", Arrays.asList("req_a", "req_b"));
    assertEquals("proj_first", headers.get("openai-project"));
    assertEquals("req_a", headers.get("x-request-id"));
  }

  @Test
  void nullsAreIgnored() {
    HandshakeHeaders headers = new HandshakeHeaders();
    headers.put(null, "value");
    headers.put("Authorization", null);
    headers.putAll("Authorization", null);
    headers.putAll("Authorization", Arrays.asList(null, "Bearer later"));
    assertEquals("Bearer later", headers.get("Authorization"), "a null value does not take the name's place");
  }

  @Test
  void isKeptNamesTheKeptHeadersInAnyCase() {
    for (String name : List.of("authorization", "Api-Key", "OPENAI-PROJECT", "OpenAI-Organization", "x-request-ID")) {
      assertTrue(HandshakeHeaders.isKept(name), name);
    }
    for (String name : List.of("cookie", "authorization2", "x-request", "", "openai-beta")) {
      assertFalse(HandshakeHeaders.isKept(name), name);
    }
    assertFalse(HandshakeHeaders.isKept(null));
  }
}
