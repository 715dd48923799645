package dev.tokenledger.usage;

import java.util.Arrays;

/**
 * The token usage of one billable response in the export vocabulary of {@link UsageField}, plus the
 * non-token billing units (transcription seconds, speech input characters) and the counts of the
 * provider's usage object as it sent them. Immutable.
 *
 * <p>Records built by {@link UsageParser} always satisfy {@link #invariantViolation()}: whenever the
 * provider's numbers are negative or do not add up, the parser clamps them (the reported totals win
 * over the breakdowns) and marks the record {@link #splitInferred()}. The {@link Builder} itself does
 * not repair anything, so that a broken record can be constructed and detected.
 */
public final class TokenUsage {

  /**
   * Longest raw usage JSON kept, in chars (usage objects are ASCII, so this is also bytes). Real
   * usage objects are well under 1 KiB; anything longer is not a usage object we understand, and
   * rather than keep a truncated (invalid) JSON text the raw text is dropped. The token fields do not
   * depend on it.
   */
  public static final int MAX_RAW_JSON_CHARS = 16 * 1024;

  private static final UsageField[] FIELDS = UsageField.values();
  private static final TokenUsage ZERO = new Builder().build();

  private final long[] values;
  private final double audioSeconds;
  private final long inputCharacters;
  private final boolean splitInferred;
  private final String rawJson;
  private final String anomaly;

  private TokenUsage(Builder b) {
    this.values = b.values.clone();
    this.audioSeconds = b.audioSeconds;
    this.inputCharacters = b.inputCharacters;
    this.splitInferred = b.splitInferred;
    this.rawJson = b.rawJson;
    this.anomaly = b.anomaly;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** No tokens, no seconds, no characters, no raw JSON. */
  public static TokenUsage zero() {
    return ZERO;
  }

  public long get(UsageField field) {
    return values[field.ordinal()];
  }

  /** Seconds of audio for duration-billed transcription ({@code usage.type = "duration"}); else 0. */
  public double audioSeconds() {
    return audioSeconds;
  }

  /** Unicode code points of the request's {@code input} text (audio speech, billed per character). */
  public long inputCharacters() {
    return inputCharacters;
  }

  /**
   * True when part of the modality or cache split was assumed rather than reported (docs/token-vocabulary.md:
   * {@code tokenledger.usage.split=inferred}), or when inconsistent provider numbers were clamped.
   */
  public boolean splitInferred() {
    return splitInferred;
  }

  /**
   * The provider's usage object with its counts as they were sent and nothing else (no string
   * member); "" when there was none or it exceeded the cap.
   */
  public String rawJson() {
    return rawJson;
  }

  /**
   * A short note when the provider's numbers were inconsistent (e.g. {@code total_tokens} not equal
   * to input + output, negative counts); null when they were not. Never contains content.
   */
  public String anomaly() {
    return anomaly;
  }

  /** True when every token field is zero (seconds and characters are not tokens). */
  public boolean isZeroTokens() {
    for (long v : values) {
      if (v != 0) {
        return false;
      }
    }
    return true;
  }

  /** Null when {@code total} equals the sum of {@code parts}, else the equation that fails. */
  private String sumViolation(UsageField total, UsageField... parts) {
    long sum = 0;
    StringBuilder terms = new StringBuilder();
    for (UsageField part : parts) {
      sum += get(part);
      terms.append(terms.length() == 0 ? "" : " + ").append(part.exportName()).append(' ').append(get(part));
    }
    return get(total) == sum ? null : total.exportName() + " " + get(total) + " != " + terms;
  }

  /**
   * Null when the record is consistent, else a description of the first broken rule. Checks the
   * four invariants of docs/token-vocabulary.md, and also that no count is negative and that reasoning (a subset
   * of output text) does not exceed output text, since a record breaking those could not have come
   * from a consistent bill either.
   */
  public String invariantViolation() {
    for (UsageField f : FIELDS) {
      if (get(f) < 0) {
        return f.exportName() + " is negative (" + get(f) + ")";
      }
    }
    String violation =
        sumViolation(UsageField.INPUT_TOKENS, UsageField.INPUT_UNCACHED_TOKENS,
            UsageField.INPUT_CACHED_TOKENS, UsageField.INPUT_CACHE_WRITE_TOKENS);
    if (violation == null) {
      violation = sumViolation(UsageField.INPUT_UNCACHED_TOKENS, UsageField.INPUT_TEXT_TOKENS,
          UsageField.INPUT_AUDIO_TOKENS, UsageField.INPUT_IMAGE_TOKENS);
    }
    if (violation == null) {
      violation = sumViolation(UsageField.INPUT_CACHED_TOKENS, UsageField.INPUT_CACHED_TEXT_TOKENS,
          UsageField.INPUT_CACHED_AUDIO_TOKENS, UsageField.INPUT_CACHED_IMAGE_TOKENS);
    }
    if (violation == null) {
      violation = sumViolation(UsageField.OUTPUT_TOKENS, UsageField.OUTPUT_TEXT_TOKENS,
          UsageField.OUTPUT_AUDIO_TOKENS, UsageField.OUTPUT_IMAGE_TOKENS);
    }
    if (violation != null) {
      return violation;
    }
    long outText = get(UsageField.OUTPUT_TEXT_TOKENS);
    long reasoning = get(UsageField.OUTPUT_REASONING_TOKENS);
    if (reasoning > outText) {
      return "output_reasoning_tokens " + reasoning + " > output_text_tokens " + outText;
    }
    if (!(audioSeconds >= 0) || Double.isInfinite(audioSeconds)) {
      return "audio_seconds is not a finite non-negative number (" + audioSeconds + ")";
    }
    if (inputCharacters < 0) {
      return "input_characters is negative (" + inputCharacters + ")";
    }
    return null;
  }

  /** A builder copied from this record, e.g. to add the request's input characters. */
  public Builder toBuilder() {
    Builder b = new Builder();
    System.arraycopy(values, 0, b.values, 0, values.length);
    b.audioSeconds = audioSeconds;
    b.inputCharacters = inputCharacters;
    b.splitInferred = splitInferred;
    b.rawJson = rawJson;
    b.anomaly = anomaly;
    return b;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof TokenUsage)) {
      return false;
    }
    TokenUsage other = (TokenUsage) o;
    return Arrays.equals(values, other.values)
        && Double.compare(audioSeconds, other.audioSeconds) == 0
        && inputCharacters == other.inputCharacters
        && splitInferred == other.splitInferred
        && rawJson.equals(other.rawJson)
        && (anomaly == null ? other.anomaly == null : anomaly.equals(other.anomaly));
  }

  @Override
  public int hashCode() {
    int h = Arrays.hashCode(values);
    h = 31 * h + Double.valueOf(audioSeconds).hashCode();
    h = 31 * h + (int) (inputCharacters ^ (inputCharacters >>> 32));
    h = 31 * h + (splitInferred ? 1 : 0);
    return 31 * h + rawJson.hashCode();
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("TokenUsage{");
    boolean first = true;
    for (UsageField f : FIELDS) {
      long v = get(f);
      if (v != 0) {
        if (!first) {
          sb.append(", ");
        }
        sb.append(f.exportName()).append('=').append(v);
        first = false;
      }
    }
    if (audioSeconds != 0) {
      sb.append(first ? "" : ", ").append("audio_seconds=").append(audioSeconds);
      first = false;
    }
    if (inputCharacters != 0) {
      sb.append(first ? "" : ", ").append("input_characters=").append(inputCharacters);
      first = false;
    }
    if (splitInferred) {
      sb.append(first ? "" : ", ").append("split=inferred");
      first = false;
    }
    if (anomaly != null) {
      sb.append(first ? "" : ", ").append("anomaly=").append(anomaly);
    }
    return sb.append('}').toString();
  }

  /** Collects field values; {@link #build()} copies them, so a builder may be reused. */
  public static final class Builder {
    private final long[] values = new long[FIELDS.length];
    private double audioSeconds;
    private long inputCharacters;
    private boolean splitInferred;
    private String rawJson = "";
    private String anomaly;

    private Builder() {}

    public Builder set(UsageField field, long value) {
      values[field.ordinal()] = value;
      return this;
    }

    public Builder audioSeconds(double seconds) {
      this.audioSeconds = seconds;
      return this;
    }

    public Builder inputCharacters(long characters) {
      this.inputCharacters = characters;
      return this;
    }

    public Builder splitInferred(boolean inferred) {
      this.splitInferred = inferred;
      return this;
    }

    /**
     * The provider's usage object, reduced to its counts ({@link CountsOnlyJson}: numbers as sent,
     * nested objects of them) and kept up to {@link #MAX_RAW_JSON_CHARS}; null, a text that is not
     * a JSON object, or a longer one becomes "".
     */
    public Builder rawJson(String json) {
      String counts = CountsOnlyJson.of(json);
      this.rawJson = counts == null || counts.length() > MAX_RAW_JSON_CHARS ? "" : counts;
      return this;
    }

    public Builder anomaly(String note) {
      this.anomaly = note;
      return this;
    }

    public TokenUsage build() {
      return new TokenUsage(this);
    }
  }
}
