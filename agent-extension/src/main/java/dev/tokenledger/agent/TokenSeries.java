package dev.tokenledger.agent;

import static dev.tokenledger.agent.TokenLedgerAttributes.GEN_AI_TOKEN_TYPE;
import static dev.tokenledger.agent.TokenLedgerAttributes.TOKEN_CACHE;
import static dev.tokenledger.agent.TokenLedgerAttributes.TOKEN_MODALITY;

import dev.tokenledger.usage.UsageField;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The attribute sets of the token metrics' series: a record's common metric attributes plus the
 * token type (and modality and cache status). Building one sorts every attribute, and a record adds
 * to up to a dozen series, so the sets are kept per distinct set of common attributes — metric
 * attributes are low-cardinality by design, and beyond {@link #MAX_CACHED} distinct sets they are
 * simply built each time. A Realtime session recording a response every few seconds then pays for
 * one lookup only — or none, when its connection kept the instance of its last record.
 */
final class TokenSeries {

  static final int MAX_CACHED = 512;

  static final int INPUT_TOTAL = 0;
  static final int OUTPUT_TOTAL = 1;
  static final int INPUT_TEXT_UNCACHED = 2;
  static final int INPUT_AUDIO_UNCACHED = 3;
  static final int INPUT_IMAGE_UNCACHED = 4;
  static final int INPUT_TEXT_CACHED = 5;
  static final int INPUT_AUDIO_CACHED = 6;
  static final int INPUT_IMAGE_CACHED = 7;
  static final int INPUT_TEXT_CACHE_WRITE = 8;
  static final int OUTPUT_TEXT = 9;
  static final int OUTPUT_AUDIO = 10;
  static final int OUTPUT_IMAGE = 11;
  /** The slots from here on partition the tokens: each token is counted in exactly one of them. */
  static final int FIRST_PARTITION = INPUT_TEXT_UNCACHED;
  static final int SLOTS = 12;

  private static final String[] TYPE = {
    "input", "output", "input", "input", "input", "input", "input", "input", "input", "output", "output", "output"
  };
  private static final String[] MODALITY = {
    null, null, "text", "audio", "image", "text", "audio", "image", "text", "text", "audio", "image"
  };
  private static final String[] CACHE = {
    null, null, "uncached", "uncached", "uncached", "cached", "cached", "cached", "cache_write", null, null, null
  };

  /** The field each partition counts; providers report cache writes without a modality: text in practice. */
  private static final UsageField[] FIELD = {
    UsageField.INPUT_TOKENS,
    UsageField.OUTPUT_TOKENS,
    UsageField.INPUT_TEXT_TOKENS,
    UsageField.INPUT_AUDIO_TOKENS,
    UsageField.INPUT_IMAGE_TOKENS,
    UsageField.INPUT_CACHED_TEXT_TOKENS,
    UsageField.INPUT_CACHED_AUDIO_TOKENS,
    UsageField.INPUT_CACHED_IMAGE_TOKENS,
    UsageField.INPUT_CACHE_WRITE_TOKENS,
    UsageField.OUTPUT_TEXT_TOKENS,
    UsageField.OUTPUT_AUDIO_TOKENS,
    UsageField.OUTPUT_IMAGE_TOKENS
  };

  private static final ConcurrentHashMap<Attributes, TokenSeries> SETS = new ConcurrentHashMap<Attributes, TokenSeries>();

  /** The common attributes, one instance for every record that has them (while cached). */
  final Attributes common;
  /** False past {@link #MAX_CACHED}: built for one record, not to be kept. */
  final boolean shared;
  private final AtomicReferenceArray<Attributes> sets = new AtomicReferenceArray<Attributes>(SLOTS);

  private TokenSeries(Attributes common, boolean shared) {
    this.common = common;
    this.shared = shared;
  }

  /**
   * The series of records with {@code common}: one map lookup, then each series is an array read.
   * Its {@link #common} is the cached instance, which callers may keep and pass again (equal sets
   * are then found by identity).
   */
  static TokenSeries of(Attributes common) {
    TokenSeries series = SETS.get(common);
    if (series == null) {
      if (SETS.size() >= MAX_CACHED) {
        return new TokenSeries(common, false);
      }
      TokenSeries fresh = new TokenSeries(common, true);
      TokenSeries raced = SETS.putIfAbsent(common, fresh);
      series = raced == null ? fresh : raced;
    }
    return series;
  }

  /** The token field series {@code slot} counts. */
  static UsageField field(int slot) {
    return FIELD[slot];
  }

  /** The attributes of series {@code slot} (one of the constants). */
  Attributes get(int slot) {
    Attributes attributes = sets.get(slot);
    if (attributes == null) {
      attributes = build(common, slot);
      sets.lazySet(slot, attributes);
    }
    return attributes;
  }

  private static Attributes build(Attributes common, int slot) {
    AttributesBuilder builder = common.toBuilder().put(GEN_AI_TOKEN_TYPE, TYPE[slot]);
    if (MODALITY[slot] != null) {
      builder.put(TOKEN_MODALITY, MODALITY[slot]);
    }
    if (CACHE[slot] != null) {
      builder.put(TOKEN_CACHE, CACHE[slot]);
    }
    return builder.build();
  }
}
