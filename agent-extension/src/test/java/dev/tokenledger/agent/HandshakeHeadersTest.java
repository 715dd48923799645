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

  @Test
  void theAttributingHeadersAreKeptAndReadInAnyCase() {
    HandshakeHeaders headers = new HandshakeHeaders();
    headers.put("Authorization", "Bearer sk-1");
    headers.put("API-KEY", "azure-key");
    headers.put("openai-project", "proj_1");
    headers.put("OpenAI-Organization", "org_1");
    headers.put("X-Request-Id", "req_1");
    assertEquals("Bearer sk-1", headers.get("authorization"));
    assertEquals("Bearer sk-1", headers.get("AUTHORIZATION"));
    assertEquals("azure-key", headers.get("api-key"));
    assertEquals("proj_1", headers.get("OpenAI-Project"));
    assertEquals("org_1", headers.get("openai-organization"));
    assertEquals("req_1", headers.get("x-request-id"));
  }

  @Test
  void everythingElseIsDroppedAndAbsentHeadersAreNull() {
    HandshakeHeaders headers = new HandshakeHeaders();
    headers.put("Cookie", "session=secret");
    headers.put("Sec-WebSocket-Key", "abc");
    headers.put("Content-Type", "application/json");
    assertNull(headers.get("Cookie"));
    assertNull(headers.get("Sec-WebSocket-Key"));
    assertNull(headers.get("Content-Type"));
    assertNull(headers.get("Authorization"), "kept but never given");
    assertNull(headers.get(null));
    assertNull(headers.get(""));
  }

  @Test
  void theFirstValueOfANameWins() {
    HandshakeHeaders headers = new HandshakeHeaders();
    headers.put("openai-project", "proj_first");
    headers.put("OpenAI-Project", "proj_second");
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
