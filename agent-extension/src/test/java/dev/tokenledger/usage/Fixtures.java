package dev.tokenledger.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Test fixtures and the expected-value helpers shared by the tests of this package. */
final class Fixtures {

  private Fixtures() {}

  static byte[] bytes(String name) {
    try (InputStream in = Fixtures.class.getResourceAsStream("/fixtures/" + name)) {
      assertNotNull(in, "fixture " + name);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      in.transferTo(out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String text(String name) {
    return new String(bytes(name), StandardCharsets.UTF_8);
  }

  /**
   * Expected export fields from the leaf buckets (uncached per modality, cached per modality, cache
   * writes, output per modality, reasoning); the totals follow from the invariants (docs/token-vocabulary.md#invariants).
   */
  static Map<UsageField, Long> leaves(
      long inText, long inAudio, long inImage,
      long cachedText, long cachedAudio, long cachedImage,
      long cacheWrite,
      long outText, long outAudio, long outImage,
      long reasoning) {
    Map<UsageField, Long> m = new EnumMap<>(UsageField.class);
    m.put(UsageField.INPUT_TEXT_TOKENS, inText);
    m.put(UsageField.INPUT_AUDIO_TOKENS, inAudio);
    m.put(UsageField.INPUT_IMAGE_TOKENS, inImage);
    m.put(UsageField.INPUT_CACHED_TEXT_TOKENS, cachedText);
    m.put(UsageField.INPUT_CACHED_AUDIO_TOKENS, cachedAudio);
    m.put(UsageField.INPUT_CACHED_IMAGE_TOKENS, cachedImage);
    m.put(UsageField.INPUT_CACHE_WRITE_TOKENS, cacheWrite);
    m.put(UsageField.OUTPUT_TEXT_TOKENS, outText);
    m.put(UsageField.OUTPUT_AUDIO_TOKENS, outAudio);
    m.put(UsageField.OUTPUT_IMAGE_TOKENS, outImage);
    m.put(UsageField.OUTPUT_REASONING_TOKENS, reasoning);
    long uncached = inText + inAudio + inImage;
    long cached = cachedText + cachedAudio + cachedImage;
    m.put(UsageField.INPUT_UNCACHED_TOKENS, uncached);
    m.put(UsageField.INPUT_CACHED_TOKENS, cached);
    m.put(UsageField.INPUT_TOKENS, uncached + cached + cacheWrite);
    m.put(UsageField.OUTPUT_TOKENS, outText + outAudio + outImage);
    return m;
  }

  /** Text-only input and output. */
  static Map<UsageField, Long> text(long inText, long cachedText, long cacheWrite, long outText, long reasoning) {
    return leaves(inText, 0, 0, cachedText, 0, 0, cacheWrite, outText, 0, 0, reasoning);
  }

  static Map<UsageField, Long> zeroTokens() {
    return leaves(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  }

  static void assertTokens(Map<UsageField, Long> expected, TokenUsage actual) {
    assertNull(actual.invariantViolation(), () -> "invariants of " + actual);
    for (UsageField f : UsageField.values()) {
      assertEquals(expected.get(f), actual.get(f), () -> f.exportName() + " of " + actual);
    }
  }

  /** Everything observable about records, for comparing runs. */
  static String signature(List<ResponseUsage> records) {
    return records.stream().map(Fixtures::signature).collect(Collectors.joining("\n"));
  }

  static String signature(ResponseUsage r) {
    TokenUsage u = r.usage();
    return String.join("|",
        String.valueOf(r.api()), r.source(), String.valueOf(r.status()), String.valueOf(r.responseId()),
        String.valueOf(r.responseModel()), String.valueOf(r.serviceTier()), String.valueOf(r.batch()),
        String.valueOf(r.batchRequestId()), String.valueOf(r.systemFingerprint()),
        String.valueOf(r.finishReasons()), String.valueOf(r.diagnostic()), u.toString(), u.rawJson(),
        String.valueOf(u.audioSeconds()), String.valueOf(u.inputCharacters()));
  }
}
