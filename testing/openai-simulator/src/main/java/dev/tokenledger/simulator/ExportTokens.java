package dev.tokenledger.simulator;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Token counts in OpenAI's usage-export vocabulary (docs/token-vocabulary.md): per-modality input counts are
 * <em>uncached</em>, cached input is split by modality, cache writes are their own bucket, and
 * reasoning is a subset of output text. The simulator decides these numbers first and derives every
 * provider-shaped usage object from them, so the ground truth never depends on parsing its own output.
 *
 * <p>Only the leaf buckets are stored; the totals are computed, so the invariants of docs/token-vocabulary.md hold by
 * construction.
 */
public record ExportTokens(
    long inputText,
    long inputAudio,
    long inputImage,
    long inputCachedText,
    long inputCachedAudio,
    long inputCachedImage,
    long inputCacheWrite,
    long outputText,
    long outputAudio,
    long outputImage,
    long outputReasoning) {

  /** The 15 export field names, in the order OpenAI's export lists them (plus reasoning last). */
  public static final List<String> FIELDS =
      List.of(
          "input_tokens",
          "output_tokens",
          "input_cached_tokens",
          "input_cache_write_tokens",
          "input_uncached_tokens",
          "input_text_tokens",
          "input_audio_tokens",
          "input_image_tokens",
          "input_cached_text_tokens",
          "input_cached_audio_tokens",
          "input_cached_image_tokens",
          "output_text_tokens",
          "output_audio_tokens",
          "output_image_tokens",
          "output_reasoning_tokens");

  public static final ExportTokens ZERO = new ExportTokens(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

  public ExportTokens {
    long[] all = {
      inputText, inputAudio, inputImage, inputCachedText, inputCachedAudio, inputCachedImage,
      inputCacheWrite, outputText, outputAudio, outputImage, outputReasoning
    };
    for (long v : all) {
      if (v < 0) {
        throw new IllegalArgumentException("negative token count");
      }
    }
    if (outputReasoning > outputText) {
      throw new IllegalArgumentException("reasoning tokens are a subset of output text tokens");
    }
  }

  public long inputUncached() {
    return inputText + inputAudio + inputImage;
  }

  public long inputCached() {
    return inputCachedText + inputCachedAudio + inputCachedImage;
  }

  public long inputTokens() {
    return inputUncached() + inputCached() + inputCacheWrite;
  }

  public long outputTokens() {
    return outputText + outputAudio + outputImage;
  }

  /** All 15 export fields by name (zeros included), insertion-ordered as {@link #FIELDS}. */
  public Map<String, Long> toMap() {
    Map<String, Long> m = new LinkedHashMap<>();
    m.put("input_tokens", inputTokens());
    m.put("output_tokens", outputTokens());
    m.put("input_cached_tokens", inputCached());
    m.put("input_cache_write_tokens", inputCacheWrite);
    m.put("input_uncached_tokens", inputUncached());
    m.put("input_text_tokens", inputText);
    m.put("input_audio_tokens", inputAudio);
    m.put("input_image_tokens", inputImage);
    m.put("input_cached_text_tokens", inputCachedText);
    m.put("input_cached_audio_tokens", inputCachedAudio);
    m.put("input_cached_image_tokens", inputCachedImage);
    m.put("output_text_tokens", outputText);
    m.put("output_audio_tokens", outputAudio);
    m.put("output_image_tokens", outputImage);
    m.put("output_reasoning_tokens", outputReasoning);
    return Collections.unmodifiableMap(m);
  }

  /**
   * Checks the invariants of docs/token-vocabulary.md on a map of export fields (e.g. a ground-truth row or a ledger
   * row read back from ClickHouse). Returns an empty string when they hold, else a description.
   */
  public static String invariantViolations(Map<String, Long> t) {
    StringBuilder sb = new StringBuilder();
    for (String f : FIELDS) {
      if (!t.containsKey(f)) {
        sb.append("missing field ").append(f).append("; ");
      }
    }
    if (sb.length() > 0) {
      return sb.toString();
    }
    long input = t.get("input_tokens");
    long uncached = t.get("input_uncached_tokens");
    long cached = t.get("input_cached_tokens");
    long write = t.get("input_cache_write_tokens");
    if (input != uncached + cached + write) {
      sb.append("input_tokens != uncached + cached + cache_write; ");
    }
    if (uncached
        != t.get("input_text_tokens") + t.get("input_audio_tokens") + t.get("input_image_tokens")) {
      sb.append("input_uncached_tokens != text + audio + image; ");
    }
    if (cached
        != t.get("input_cached_text_tokens")
            + t.get("input_cached_audio_tokens")
            + t.get("input_cached_image_tokens")) {
      sb.append("input_cached_tokens != cached text + audio + image; ");
    }
    if (t.get("output_tokens")
        != t.get("output_text_tokens") + t.get("output_audio_tokens") + t.get("output_image_tokens")) {
      sb.append("output_tokens != text + audio + image; ");
    }
    if (t.get("output_reasoning_tokens") > t.get("output_text_tokens")) {
      sb.append("output_reasoning_tokens > output_text_tokens; ");
    }
    for (Map.Entry<String, Long> e : t.entrySet()) {
      if (e.getValue() < 0) {
        sb.append(e.getKey()).append(" < 0; ");
      }
    }
    return sb.toString();
  }
}
