package dev.tokenledger.usage;

import static dev.tokenledger.usage.UsageParser.AUDIO;
import static dev.tokenledger.usage.UsageParser.IMAGE;
import static dev.tokenledger.usage.UsageParser.TEXT;
import static dev.tokenledger.usage.UsageParser.number;
import static dev.tokenledger.usage.UsageParser.orZero;
import static dev.tokenledger.usage.UsageParser.sumOf;

/**
 * The families of field names in which OpenAI reports usage. Each shape only says where its counts
 * are; {@link #parse} then fits them into the export fields by the rules written once in
 * {@link UsageParser} (see docs/token-vocabulary.md for the mapping of every shape).
 */
public enum UsageShape {

  /**
   * Chat Completions and legacy Completions ({@code CompletionUsage}): {@code prompt_tokens},
   * {@code completion_tokens}, {@code prompt_tokens_details.{cached,cache_write,text,audio,image}_tokens},
   * {@code completion_tokens_details.{reasoning,audio,text}_tokens}. Cached tokens carry no modality
   * split, so they go to text first (inferred when audio or image input is present). Chat never
   * outputs images, so once {@code completion_tokens_details} is present, output text =
   * completion − audio is exact. Azure shapes with details missing or null are all-text, inferred.
   */
  COMPLETION {
    @Override
    void read(JsonObject usage, UsageParser.Counts c) {
      Long prompt = number(usage, "prompt_tokens");
      c.input = prompt != null ? prompt : orZero(number(usage, "input_tokens"));
      JsonObject pd = usage.getObject("prompt_tokens_details");
      c.cached = number(pd, "cached_tokens");
      c.cacheWrite = number(pd, "cache_write_tokens");
      readModalities(pd, c.inputModality);
      Long completion = number(usage, "completion_tokens");
      c.output = completion != null ? completion : orZero(number(usage, "output_tokens"));
      JsonObject cd = usage.getObject("completion_tokens_details");
      c.outputModality[TEXT] = number(cd, "text_tokens");
      c.outputModality[AUDIO] = number(cd, "audio_tokens");
      if (cd != null) {
        Long image = number(cd, "image_tokens");
        c.outputModality[IMAGE] = image != null ? image : Long.valueOf(0);
      }
      c.reasoning = number(cd, "reasoning_tokens");
      c.reasoningMayBeOutsideText = true;
    }
  },

  /**
   * Responses API ({@code ResponseUsage}): {@code input_tokens},
   * {@code input_tokens_details.{cached_tokens,cache_write_tokens}}, {@code output_tokens},
   * {@code output_tokens_details.reasoning_tokens}. Responses reports no modality split: input and
   * output are text, inferred whenever non-zero. (Modality details, should they appear, are used
   * like Chat's.) Also the shape of {@code responses/compact} and batch aggregates.
   */
  RESPONSES {
    @Override
    void read(JsonObject usage, UsageParser.Counts c) {
      c.input = orZero(number(usage, "input_tokens"));
      JsonObject id = usage.getObject("input_tokens_details");
      c.cached = number(id, "cached_tokens");
      c.cacheWrite = number(id, "cache_write_tokens");
      readModalities(id, c.inputModality);
      c.output = orZero(number(usage, "output_tokens"));
      JsonObject od = usage.getObject("output_tokens_details");
      readModalities(od, c.outputModality);
      c.reasoning = number(od, "reasoning_tokens");
      c.reasoningMayBeOutsideText = true;
    }
  },

  /**
   * Realtime {@code response.done} usage: {@code input_token_details.{text,audio,image}_tokens}
   * each <em>include</em> their cached part; {@code cached_tokens_details.{text,audio,image}_tokens}
   * split the cached part; {@code output_token_details.{text,audio}_tokens}. So uncached text =
   * text_tokens − cached text. No cache-write and no reasoning field exist. Older beta payloads
   * without {@code image_tokens} or {@code cached_tokens_details} fall back to the general rules
   * (cached → text first, inferred when ambiguous). Missing totals are the sum of the details.
   */
  REALTIME {
    @Override
    void read(JsonObject usage, UsageParser.Counts c) {
      JsonObject id = usage.getObject("input_token_details");
      readModalities(id, c.inputModality);
      c.cached = number(id, "cached_tokens");
      readModalities(id == null ? null : id.getObject("cached_tokens_details"), c.cachedModality);
      Long input = number(usage, "input_tokens");
      c.input = input != null ? input : sumOf(c.inputModality);
      JsonObject od = usage.getObject("output_token_details");
      c.outputModality[TEXT] = number(od, "text_tokens");
      c.outputModality[AUDIO] = number(od, "audio_tokens");
      if (od != null) {
        Long image = number(od, "image_tokens");
        c.outputModality[IMAGE] = image != null ? image : Long.valueOf(0);
      }
      Long output = number(usage, "output_tokens");
      c.output = output != null ? output : sumOf(c.outputModality);
    }
  },

  /**
   * Transcription usage, a union tagged by {@code type}: {@code "tokens"} → {@code input_tokens}
   * with {@code input_token_details.{text,audio}_tokens} (text is the prompt), {@code output_tokens}
   * (the transcript: text); {@code "duration"} → {@code seconds} in {@link TokenUsage#audioSeconds()}
   * and no tokens (never both units in one record). Without a {@code type}, {@code seconds} alone
   * means duration. Undetailed transcription input is taken as audio (inferred). Also the shape of
   * Realtime's {@code conversation.item.input_audio_transcription.completed} usage.
   */
  TRANSCRIPTION {
    @Override
    TokenUsage readUnits(JsonObject usage) {
      String type = usage.getString("type");
      boolean duration =
          "duration".equals(type)
              || (type == null && usage.get("seconds") instanceof Number && !usage.has("input_tokens"));
      if (!duration) {
        return null;
      }
      double seconds = usage.getDouble("seconds", 0);
      TokenUsage.Builder b = TokenUsage.builder().rawJson(usage.toJson());
      if (!(seconds >= 0) || Double.isInfinite(seconds)) {
        b.anomaly("seconds " + seconds + " is not a finite non-negative number").splitInferred(true);
        seconds = 0;
      }
      return b.audioSeconds(seconds).build();
    }

    @Override
    void read(JsonObject usage, UsageParser.Counts c) {
      c.input = orZero(number(usage, "input_tokens"));
      JsonObject id = usage.getObject("input_token_details");
      readModalities(id, c.inputModality);
      c.cached = number(id, "cached_tokens");
      c.inputDefault = AUDIO;
      c.output = orZero(number(usage, "output_tokens"));
      c.outputDefaultCertain = true;
    }
  },

  /** Embeddings: {@code prompt_tokens} is text input (the only modality); no output. */
  EMBEDDINGS {
    @Override
    void read(JsonObject usage, UsageParser.Counts c) {
      Long prompt = number(usage, "prompt_tokens");
      c.input = prompt != null ? prompt : orZero(number(usage, "input_tokens"));
      c.inputDefaultCertain = true;
    }
  },

  /**
   * Images API ({@code ImageGenUsage}/{@code ImagesUsage}, GPT image models): {@code input_tokens} =
   * {@code input_tokens_details.text_tokens} + {@code image_tokens}; {@code output_tokens} split by
   * {@code output_tokens_details.{image,text}_tokens} when present. Undetailed output is image (the
   * endpoint's product), marked inferred; undetailed input is text, inferred. No cached field exists
   * in this shape, so everything is uncached (cache hits cannot be seen). Whether OpenAI's export
   * books image output under {@code output_image_tokens} is unverified.
   */
  IMAGES {
    @Override
    void read(JsonObject usage, UsageParser.Counts c) {
      c.input = orZero(number(usage, "input_tokens"));
      JsonObject id = usage.getObject("input_tokens_details");
      readModalities(id, c.inputModality);
      c.cached = number(id, "cached_tokens");
      c.output = orZero(number(usage, "output_tokens"));
      readModalities(usage.getObject("output_tokens_details"), c.outputModality);
      c.outputDefault = IMAGE;
    }
  },

  /**
   * Audio speech over SSE ({@code speech.audio.done}): {@code input_tokens} are the text input,
   * {@code output_tokens} the generated audio; details, if ever sent, are honoured.
   */
  SPEECH {
    @Override
    void read(JsonObject usage, UsageParser.Counts c) {
      c.input = orZero(number(usage, "input_tokens"));
      JsonObject id = usage.getObject("input_token_details");
      c.inputModality[TEXT] = number(id, "text_tokens");
      c.inputModality[AUDIO] = number(id, "audio_tokens");
      c.inputDefaultCertain = id == null;
      c.output = orZero(number(usage, "output_tokens"));
      JsonObject od = usage.getObject("output_token_details");
      c.outputModality[TEXT] = number(od, "text_tokens");
      c.outputModality[AUDIO] = number(od, "audio_tokens");
      c.outputDefault = AUDIO;
      c.outputDefaultCertain = od == null;
    }
  };

  /**
   * The provider's {@code usage} object in export fields. Never throws; returns zero for null and a
   * record marked with an anomaly when the object cannot be mapped.
   */
  public TokenUsage parse(JsonObject usage) {
    if (usage == null) {
      return TokenUsage.zero();
    }
    try {
      TokenUsage units = readUnits(usage);
      if (units != null) {
        return units;
      }
      UsageParser.Counts c = new UsageParser.Counts();
      read(usage, c);
      c.total = number(usage, "total_tokens");
      return c.resolve(usage.toJson());
    } catch (Throwable t) {
      return UsageParser.failed(usage, t);
    }
  }

  /**
   * A usage object reported where {@code expected} was (null: unknown) in export fields; when the
   * object's fields belong to another shape (OpenAI-compatible servers do this), the shape wins.
   */
  public static TokenUsage parse(UsageShape expected, JsonObject usage) {
    if (usage == null) {
      return TokenUsage.zero();
    }
    UsageShape reported = of(usage);
    if (expected == null || (reported != null && !expected.accepts(reported))) {
      expected = reported;
    }
    return (expected == null ? COMPLETION : expected).parse(usage);
  }

  /** True when the object holds at least one count we understand (else it is not usage at all). */
  public static boolean hasCounts(JsonObject usage) {
    if (usage == null) {
      return false;
    }
    String[] keys = {
      "prompt_tokens", "completion_tokens", "input_tokens", "output_tokens", "total_tokens", "seconds"
    };
    for (String k : keys) {
      if (usage.get(k) instanceof Number) {
        return true;
      }
    }
    return false;
  }

  /** Where this shape keeps its counts. */
  abstract void read(JsonObject usage, UsageParser.Counts c);

  /** A record billed in other units than tokens (transcription seconds), else null. */
  TokenUsage readUnits(JsonObject usage) {
    return null;
  }

  /** Whether an object of {@code reported} shape may legitimately be usage of this shape. */
  boolean accepts(UsageShape reported) {
    if (this == reported) {
      return true;
    }
    // Field-name families overlap: e.g. image usage without details looks like Responses usage,
    // speech usage like Responses usage, transcription tokens like Realtime (input_token_details).
    switch (this) {
      case IMAGES:
      case SPEECH:
        return reported == RESPONSES || reported == IMAGES;
      case TRANSCRIPTION:
        return reported == REALTIME || reported == RESPONSES;
      case REALTIME:
      case EMBEDDINGS:
        return reported == RESPONSES;
      default:
        return false;
    }
  }

  /** The family of field names the object uses, or null when it is not recognisable. */
  static UsageShape of(JsonObject u) {
    String type = u.getString("type");
    if ("tokens".equals(type) || "duration".equals(type)) {
      return TRANSCRIPTION;
    }
    if (u.has("prompt_tokens")) {
      return u.has("completion_tokens") || u.has("completion_tokens_details") ? COMPLETION : EMBEDDINGS;
    }
    if (u.has("completion_tokens")) {
      return COMPLETION;
    }
    if (u.has("input_token_details") || u.has("output_token_details")) {
      return REALTIME;
    }
    if (u.has("input_tokens") || u.has("output_tokens")) {
      JsonObject id = u.getObject("input_tokens_details");
      if (id != null && (id.has("text_tokens") || id.has("image_tokens")) && !id.has("cached_tokens")) {
        return IMAGES;
      }
      return RESPONSES;
    }
    if (u.get("seconds") instanceof Number) {
      return TRANSCRIPTION;
    }
    return null;
  }

  /** {@code text_tokens}, {@code audio_tokens}, {@code image_tokens} of a details object. */
  private static void readModalities(JsonObject details, Long[] into) {
    into[TEXT] = number(details, "text_tokens");
    into[AUDIO] = number(details, "audio_tokens");
    into[IMAGE] = number(details, "image_tokens");
  }
}
