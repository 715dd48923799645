package dev.tokenledger.usage;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The one place where the counts of every provider usage shape ({@link UsageShape}) are fitted into
 * the export fields ({@link UsageField}; docs/token-vocabulary.md gives the mapping of each shape).
 * Nothing here throws, and every record it returns keeps the invariants.
 *
 * <h2>The rules, once for all shapes</h2>
 *
 * <ol>
 *   <li><b>Totals win.</b> {@code input_tokens}/{@code prompt_tokens} and
 *       {@code output_tokens}/{@code completion_tokens} are what is billed; breakdowns are fitted
 *       into them. Negative numbers count as 0; non-integral numbers are truncated.
 *   <li><b>Per-modality totals</b> (text/audio/image, each <em>including</em> its cached part, as
 *       Chat's {@code prompt_tokens_details} and Realtime's {@code input_token_details} report them)
 *       are taken as reported. If they sum to less than the total, the rest goes to the API's default
 *       modality (text, except: transcription input → audio, Images output → image, speech output
 *       → audio). That is exact when every other modality was reported, or when the API has only
 *       one modality on that side (embeddings and speech input are text, transcription output is
 *       text, speech output is audio); otherwise the record is marked inferred. If they sum to more
 *       than the total, they are reduced (default modality first, then text, image, audio) and the
 *       record is marked inferred with an anomaly.
 *   <li><b>Cached input</b> ({@code cached_tokens}, clamped to the input total) is split by
 *       modality as reported ({@code cached_tokens_details}); when not reported (Chat, Responses),
 *       it is assigned text first, then audio, then image, each up to that modality's total — marked
 *       inferred whenever more than one modality had tokens to take it.
 *   <li><b>Cache writes</b> ({@code cache_write_tokens}, clamped to input − cached) are a subset of
 *       input disjoint from cached reads; they have no modality column but are subtracted from the
 *       modalities' uncached counts (text first), inferred when more than one modality could hold
 *       them.
 *   <li><b>Uncached per modality</b> = modality total − its cached − its cache writes (export
 *       meaning: {@code input_text_tokens} etc. are uncached).
 *   <li><b>Reasoning</b> is a subset of output text; it is clamped to output text (inferred). If a
 *       Chat/Responses output {@code text_tokens} plus reasoning (and the other modalities) equals the
 *       output total while text alone does not, text was reported without reasoning and reasoning is
 *       added to it (the export's output text includes reasoning).
 *   <li>{@code total_tokens} is never used to change a field; when it differs from input + output
 *       the record carries an {@link TokenUsage#anomaly()}.
 *   <li>Absent or null {@code *_details} mean "not reported", never zero.
 * </ol>
 */
public final class UsageParser {

  private static final Logger LOG = Logger.getLogger("dev.tokenledger.usage");

  static final int TEXT = 0;
  static final int AUDIO = 1;
  static final int IMAGE = 2;
  private static final String[] MODALITY = {"text", "audio", "image"};
  /** What an anomaly names, per modality (made once: counts are checked on every response). */
  private static final String[] MODALITY_INPUT = {"text input", "audio input", "image input"};
  private static final String[] CACHED_MODALITY = {"cached text", "cached audio", "cached image"};
  private static final String[] MODALITY_OUTPUT = {"text output", "audio output", "image output"};
  private static final UsageField[] UNCACHED = {
    UsageField.INPUT_TEXT_TOKENS, UsageField.INPUT_AUDIO_TOKENS, UsageField.INPUT_IMAGE_TOKENS
  };
  private static final UsageField[] CACHED = {
    UsageField.INPUT_CACHED_TEXT_TOKENS,
    UsageField.INPUT_CACHED_AUDIO_TOKENS,
    UsageField.INPUT_CACHED_IMAGE_TOKENS
  };
  private static final UsageField[] OUTPUT = {
    UsageField.OUTPUT_TEXT_TOKENS, UsageField.OUTPUT_AUDIO_TOKENS, UsageField.OUTPUT_IMAGE_TOKENS
  };

  private UsageParser() {}

  static TokenUsage failed(JsonObject usage, Throwable t) {
    LOG.log(Level.FINE, "usage mapping failed", t);
    String raw;
    try {
      raw = usage.toJson();
    } catch (Throwable ignored) {
      raw = "";
    }
    return TokenUsage.builder()
        .rawJson(raw)
        .splitInferred(true)
        .anomaly("usage could not be mapped: " + t.getClass().getSimpleName())
        .build();
  }

  /**
   * Largest count magnitude taken; beyond it a count is clamped. No bill comes near it, and it keeps
   * every sum the rules take (at most four counts) within the range of a long.
   */
  static final long MAX_COUNT = Long.MAX_VALUE / 4;

  /**
   * A count, or null when absent, null or not a number; non-integral numbers are truncated, and
   * counts beyond {@link #MAX_COUNT} either way are clamped to it.
   */
  static Long number(JsonObject o, String key) {
    if (o == null) {
      return null;
    }
    Object v = o.get(key);
    if (v instanceof Long) {
      long n = (Long) v;
      return n > MAX_COUNT ? MAX_COUNT : n < -MAX_COUNT ? -MAX_COUNT : n;
    }
    if (v instanceof Number) {
      double d = ((Number) v).doubleValue();
      if (d != d || Double.isInfinite(d)) {
        return null;
      }
      if (d > MAX_COUNT) {
        return MAX_COUNT;
      }
      if (d < -MAX_COUNT) {
        return -MAX_COUNT;
      }
      return (long) d;
    }
    return null;
  }

  static long orZero(Long v) {
    return v == null ? 0 : v;
  }

  static long sumOf(Long[] parts) {
    long s = 0;
    for (Long p : parts) {
      if (p != null && p > 0) {
        s += p;
      }
    }
    return s;
  }

  /** The provider's counts in one neutral form, before they are fitted into the export fields. */
  static final class Counts {
    long input;
    Long cached;
    Long cacheWrite;
    /** Per-modality input totals, each including its cached part; null = not reported. */
    final Long[] inputModality = new Long[3];
    /** Cached input per modality; null = not reported. */
    final Long[] cachedModality = new Long[3];
    int inputDefault = TEXT;
    boolean inputDefaultCertain;
    long output;
    final Long[] outputModality = new Long[3];
    Long reasoning;
    boolean reasoningMayBeOutsideText;
    int outputDefault = TEXT;
    boolean outputDefaultCertain;
    Long total;

    private boolean inferred;
    private StringBuilder anomalies;

    private void anomaly(String note) {
      inferred = true;
      note(note);
    }

    private void note(String note) {
      if (anomalies == null) {
        anomalies = new StringBuilder(note);
      } else if (anomalies.length() < 200) {
        anomalies.append("; ").append(note);
      }
    }

    private long nonNegative(Long v, String what) {
      if (v == null) {
        return 0;
      }
      if (v < 0) {
        anomaly(what + " is negative");
        return 0;
      }
      return v;
    }

    TokenUsage resolve(String rawJson) {
      // ---- input: modality totals ----
      long in = nonNegative(input, "input_tokens");
      long[] modalityTotal = new long[3];
      boolean[] reported = new boolean[3];
      long reportedSum = 0;
      for (int m = 0; m < 3; m++) {
        if (inputModality[m] != null) {
          modalityTotal[m] = nonNegative(inputModality[m], MODALITY_INPUT[m]);
          reported[m] = true;
          reportedSum += modalityTotal[m];
        }
      }
      fitModalities(modalityTotal, reported, reportedSum, in, inputDefault, inputDefaultCertain, "input");

      // ---- input: cached, cache writes ----
      boolean splitReported = false;
      long splitSum = 0;
      for (int m = 0; m < 3; m++) {
        if (cachedModality[m] != null) {
          splitReported = true;
          splitSum += Math.max(0, cachedModality[m]);
        }
      }
      long cachedTotal = cached != null ? nonNegative(cached, "cached_tokens") : splitSum;
      if (cachedTotal > in) {
        anomaly("cached_tokens exceeds input_tokens");
        cachedTotal = in;
      }
      long write = nonNegative(cacheWrite, "cache_write_tokens");
      if (write > in - cachedTotal) {
        anomaly("cache_write_tokens exceeds uncached input");
        write = in - cachedTotal;
      }
      long[] cachedPart = new long[3];
      if (splitReported) {
        long s = 0;
        for (int m = 0; m < 3; m++) {
          long v = nonNegative(cachedModality[m], CACHED_MODALITY[m]);
          if (v > modalityTotal[m]) {
            anomaly("cached " + MODALITY[m] + " exceeds " + MODALITY[m] + " input");
            v = modalityTotal[m];
          }
          cachedPart[m] = v;
          s += v;
        }
        if (s < cachedTotal) {
          anomaly("cached_tokens_details do not add up to cached_tokens");
          fill(cachedPart, modalityTotal, null, cachedTotal - s);
        } else if (s > cachedTotal) {
          anomaly("cached_tokens_details exceed cached_tokens");
          reduce(cachedPart, s - cachedTotal, TEXT);
        }
      } else if (cachedTotal > 0) {
        if (modalitiesWithRoom(modalityTotal, null) > 1) {
          inferred = true; // which modality was cached is not reported
        }
        fill(cachedPart, modalityTotal, null, cachedTotal);
      }
      long[] writePart = new long[3];
      if (write > 0) {
        if (modalitiesWithRoom(modalityTotal, cachedPart) > 1) {
          inferred = true;
        }
        fill(writePart, modalityTotal, cachedPart, write);
      }

      TokenUsage.Builder b = TokenUsage.builder().rawJson(rawJson);
      long uncached = 0;
      long cachedSum = 0;
      for (int m = 0; m < 3; m++) {
        long u = modalityTotal[m] - cachedPart[m] - writePart[m];
        b.set(UNCACHED[m], u);
        b.set(CACHED[m], cachedPart[m]);
        uncached += u;
        cachedSum += cachedPart[m];
      }
      b.set(UsageField.INPUT_TOKENS, in);
      b.set(UsageField.INPUT_CACHED_TOKENS, cachedSum);
      b.set(UsageField.INPUT_CACHE_WRITE_TOKENS, write);
      b.set(UsageField.INPUT_UNCACHED_TOKENS, uncached);

      // ---- output ----
      long out = nonNegative(output, "output_tokens");
      long[] outPart = new long[3];
      boolean[] outReported = new boolean[3];
      long outSum = 0;
      for (int m = 0; m < 3; m++) {
        if (outputModality[m] != null) {
          outPart[m] = nonNegative(outputModality[m], MODALITY_OUTPUT[m]);
          outReported[m] = true;
          outSum += outPart[m];
        }
      }
      long reason = nonNegative(reasoning, "reasoning_tokens");
      if (reasoningMayBeOutsideText && outReported[TEXT] && reason > 0 && outSum != out
          && outSum + reason == out) {
        outPart[TEXT] += reason; // text was reported without reasoning; the export's text includes it
        outSum += reason;
      }
      fitModalities(outPart, outReported, outSum, out, outputDefault, outputDefaultCertain, "output");
      if (reason > outPart[TEXT]) {
        anomaly("reasoning_tokens exceeds output text");
        reason = outPart[TEXT];
      }
      for (int m = 0; m < 3; m++) {
        b.set(OUTPUT[m], outPart[m]);
      }
      b.set(UsageField.OUTPUT_TOKENS, out);
      b.set(UsageField.OUTPUT_REASONING_TOKENS, reason);

      if (this.total != null && input >= 0 && output >= 0 && this.total != input + output) {
        note("total_tokens " + this.total + " != input + output " + (input + output));
      }
      return b.splitInferred(inferred).anomaly(anomalies == null ? null : anomalies.toString()).build();
    }

    /** Makes the parts sum to {@code sum}; see rule 2 of the class comment. */
    private void fitModalities(
        long[] part, boolean[] reported, long reportedSum, long sum, int dflt, boolean certain,
        String side) {
      if (reportedSum < sum) {
        boolean othersReported = true;
        for (int m = 0; m < 3; m++) {
          if (m != dflt && !reported[m]) {
            othersReported = false;
          }
        }
        if (reported[dflt]) {
          anomaly(side + " modality counts add up to less than the total");
        } else if (!(certain || othersReported)) {
          inferred = true;
        }
        part[dflt] += sum - reportedSum;
      } else if (reportedSum > sum) {
        anomaly(side + " modality counts exceed the total");
        reduce(part, reportedSum - sum, dflt);
      }
    }
  }

  /** Adds {@code amount} to {@code part}, text then audio then image, within each modality's room. */
  private static void fill(long[] part, long[] total, long[] taken, long amount) {
    for (int m = 0; m < 3 && amount > 0; m++) {
      long room = total[m] - part[m] - (taken == null ? 0 : taken[m]);
      long add = Math.min(room, amount);
      if (add > 0) {
        part[m] += add;
        amount -= add;
      }
    }
  }

  private static int modalitiesWithRoom(long[] total, long[] taken) {
    int n = 0;
    for (int m = 0; m < 3; m++) {
      if (total[m] - (taken == null ? 0 : taken[m]) > 0) {
        n++;
      }
    }
    return n;
  }

  /** Takes {@code excess} away: the given modality first, then text, image, audio. */
  private static void reduce(long[] part, long excess, int first) {
    int[] order = {first, TEXT, IMAGE, AUDIO};
    for (int i = 0; i < order.length && excess > 0; i++) {
      int m = order[i];
      long take = Math.min(part[m], excess);
      part[m] -= take;
      excess -= take;
    }
  }
}
