package dev.tokenledger.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/** HostMatcher, ApiKeyFingerprint, RateLimitedLog, UsageField and TokenUsage. */
class SmallPartsTest {

  @Test
  void defaultHosts() {
    HostMatcher m = HostMatcher.parse(HostMatcher.DEFAULT_HOSTS);
    assertTrue(m.matches("api.openai.com"));
    assertTrue(m.matches("API.OpenAI.com"));
    assertTrue(m.matches("api.openai.com."));
    assertTrue(m.matches("my-res.openai.azure.com"));
    assertTrue(m.matches("a.b.cognitiveservices.azure.com"));
    assertFalse(m.matches("openai.azure.com"));
    assertFalse(m.matches("evilopenai.azure.com"));
    assertFalse(m.matches("api.openai.com.evil.net"));
    assertFalse(m.matches("eu.api.openai.com"));
    assertFalse(m.matches(null));
    assertFalse(m.matches(""));
    assertTrue(HostMatcher.parse(null).matches("api.openai.com"));
  }

  @Test
  void customHosts() {
    HostMatcher m = HostMatcher.parse(" 127.0.0.1 , *.API.openai.com,localhost:8080,[::1],,");
    assertTrue(m.matches("127.0.0.1"));
    assertTrue(m.matches("eu.api.openai.com"));
    assertTrue(m.matches("localhost"));
    assertTrue(m.matches("localhost:9999"));
    assertTrue(m.matches("::1"));
    assertTrue(m.matches("[::1]"));
    assertFalse(m.matches("api.openai.com"));
    assertFalse(HostMatcher.parse("").matches("api.openai.com"));
    assertTrue(HostMatcher.parse("*").matches("anything.example"));
  }

  @Test
  void fingerprints() {
    assertEquals("sk-proj\u2026aB3d", ApiKeyFingerprint.of("Bearer sk-proj-abcdefghijklmnopqrstuvwxyz0123456789aB3d"));
    assertEquals("sk-svcacct\u2026XyZ9", ApiKeyFingerprint.of("bearer  sk-svcacct-0123456789abcdefghijXyZ9"));
    assertEquals("sk-admin\u2026wxyz", ApiKeyFingerprint.of("Bearer sk-admin-0123456789abcdefghijklmnopqrstuvwxyz"));
    assertEquals("sk-None\u20261234", ApiKeyFingerprint.of("sk-None-abcdefghijklmnop1234"));
    assertEquals("sk\u2026bkFJ", ApiKeyFingerprint.of("sk-abcdefghijklmnopqrT3BlbkFJ"));
    assertEquals("ek", ApiKeyFingerprint.of("Bearer ek_68f1c2a9e0d1c2b3a4f5a1b2"), "per-session secrets: class only");
    assertEquals("azure\u2026cdef", ApiKeyFingerprint.of("0123456789abcdef0123456789abcdef"));
    assertEquals("jwt", ApiKeyFingerprint.of("Bearer eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2ln"));
    assertEquals("key\u2026wxyz", ApiKeyFingerprint.of("gsk_0123456789abcdefghijklmnopqrstuvwxyz"));
    assertEquals("sk", ApiKeyFingerprint.of("Bearer sk-short"));
    assertNull(ApiKeyFingerprint.of(null));
    assertNull(ApiKeyFingerprint.of("   "));
    assertNull(ApiKeyFingerprint.of("Bearer "));
    assertNull(ApiKeyFingerprint.of("Basic dXNlcjpwYXNz"));
    String key = "sk-proj-Zq9xW3vT7uY1rE5oP2aS4dF6gH8jK0lL";
    String fp = ApiKeyFingerprint.of(key);
    assertTrue(fp.length() <= "sk-svcacct".length() + 5, fp);
    assertFalse(fp.contains(key.substring(8, 12)), "nothing but the class and the last four");
  }

  @Test
  void rateLimitedLogSuppressesWithinTheInterval() {
    Logger logger = Logger.getLogger("dev.tokenledger.test." + System.nanoTime());
    logger.setUseParentHandlers(false);
    List<LogRecord> logged = new ArrayList<>();
    logger.addHandler(new Handler() {
      @Override
      public void publish(LogRecord record) {
        logged.add(record);
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    });
    long[] now = {1_000_000_000L};
    RateLimitedLog log = new RateLimitedLog(logger, 10_000_000_000L, new RateLimitedLog.Clock() {
      @Override
      long nanoTime() {
        return now[0];
      }
    });
    assertTrue(log.log("malformed", "first"));
    assertFalse(log.log("malformed", "second"));
    assertFalse(log.log("malformed", "third"));
    assertTrue(log.log("other", "other category"));
    assertEquals(2, log.suppressed("malformed"));
    now[0] += 10_000_000_000L;
    assertTrue(log.log("malformed", "fourth"));
    assertEquals(0, log.suppressed("malformed"));
    assertEquals(3, logged.size());
    assertEquals(Level.WARNING, logged.get(0).getLevel());
    assertEquals("fourth (2 similar message(s) suppressed)", logged.get(2).getMessage());
    RateLimitedLog.warn("test", "the shared instance never throws");
  }

  @Test
  void usageFieldNamesAndOrder() {
    UsageField[] f = UsageField.values();
    assertEquals(15, f.length);
    assertEquals("input_tokens", f[0].exportName());
    assertEquals("input_cached_audio_tokens", UsageField.INPUT_CACHED_AUDIO_TOKENS.exportName());
    assertEquals("output_reasoning_tokens", f[14].exportName());
    assertEquals(UsageField.INPUT_UNCACHED_TOKENS, f[4]);
  }

  @Test
  void tokenUsageInvariantsAndBuilder() {
    assertNull(TokenUsage.zero().invariantViolation());
    assertTrue(TokenUsage.zero().isZeroTokens());
    assertEquals("", TokenUsage.zero().rawJson());

    TokenUsage ok = TokenUsage.builder()
        .set(UsageField.INPUT_TOKENS, 10).set(UsageField.INPUT_UNCACHED_TOKENS, 6)
        .set(UsageField.INPUT_TEXT_TOKENS, 6).set(UsageField.INPUT_CACHED_TOKENS, 4)
        .set(UsageField.INPUT_CACHED_AUDIO_TOKENS, 4).set(UsageField.OUTPUT_TOKENS, 3)
        .set(UsageField.OUTPUT_TEXT_TOKENS, 3).set(UsageField.OUTPUT_REASONING_TOKENS, 2)
        .audioSeconds(1.5).inputCharacters(9).splitInferred(true).rawJson("{\"a\":1}").build();
    assertNull(ok.invariantViolation());
    assertEquals(1.5, ok.audioSeconds());
    assertEquals(9, ok.inputCharacters());
    assertTrue(ok.splitInferred());
    assertEquals("{\"a\":1}", ok.rawJson());
    assertEquals(ok, ok.toBuilder().build());

    assertNotNull(ok.toBuilder().set(UsageField.INPUT_TOKENS, 11).build().invariantViolation());
    assertNotNull(ok.toBuilder().set(UsageField.INPUT_TEXT_TOKENS, 5).build().invariantViolation());
    assertNotNull(ok.toBuilder().set(UsageField.INPUT_CACHED_AUDIO_TOKENS, 3).build().invariantViolation());
    assertNotNull(ok.toBuilder().set(UsageField.OUTPUT_AUDIO_TOKENS, 1).build().invariantViolation());
    assertNotNull(ok.toBuilder().set(UsageField.OUTPUT_REASONING_TOKENS, 4).build().invariantViolation());
    assertNotNull(TokenUsage.builder().set(UsageField.OUTPUT_AUDIO_TOKENS, -1)
        .set(UsageField.OUTPUT_TOKENS, -1).build().invariantViolation());
    assertNotNull(TokenUsage.builder().audioSeconds(Double.NaN).build().invariantViolation());

    StringBuilder counts = new StringBuilder("{\"n0\":0");
    for (int i = 1; counts.length() <= TokenUsage.MAX_RAW_JSON_CHARS; i++) {
      counts.append(",\"n").append(i).append("\":").append(i);
    }
    String longRaw = counts.append('}').toString();
    TokenUsage capped = ok.toBuilder().rawJson(longRaw).build();
    assertEquals("", capped.rawJson());
    assertEquals(ok.get(UsageField.INPUT_TOKENS), capped.get(UsageField.INPUT_TOKENS), "nothing else is lost");
    assertEquals("", TokenUsage.builder().rawJson(null).build().rawJson());
  }

  @Test
  void responseUsageMissingFactory() {
    ResponseUsage r = ResponseUsage.missing("response could not be read");
    assertEquals("missing", r.source());
    assertTrue(r.usage().isZeroTokens());
    assertEquals("response could not be read", r.diagnostic());
    assertTrue(r.finishReasons().isEmpty());
    assertFalse(r.batch());
  }
}
