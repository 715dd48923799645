package dev.tokenledger.usage;

import java.util.Locale;

/**
 * The token fields of a usage record, named and meant exactly as OpenAI's usage-export columns
 * (docs/token-vocabulary.md). The per-modality input fields count <em>uncached</em> input only; cached input has
 * its own per-modality fields; cache writes are one bucket without a modality; reasoning is a subset
 * of output text and is never added to any total.
 */
public enum UsageField {
  INPUT_TOKENS,
  OUTPUT_TOKENS,
  INPUT_CACHED_TOKENS,
  INPUT_CACHE_WRITE_TOKENS,
  INPUT_UNCACHED_TOKENS,
  INPUT_TEXT_TOKENS,
  INPUT_AUDIO_TOKENS,
  INPUT_IMAGE_TOKENS,
  INPUT_CACHED_TEXT_TOKENS,
  INPUT_CACHED_AUDIO_TOKENS,
  INPUT_CACHED_IMAGE_TOKENS,
  OUTPUT_TEXT_TOKENS,
  OUTPUT_AUDIO_TOKENS,
  OUTPUT_IMAGE_TOKENS,
  OUTPUT_REASONING_TOKENS;

  private final String exportName = name().toLowerCase(Locale.ROOT);

  /** The export column name, e.g. {@code input_cached_audio_tokens}. */
  public String exportName() {
    return exportName;
  }
}
