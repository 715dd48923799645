package dev.tokenledger.usage;

import java.util.Locale;

/**
 * Every billable OpenAI API TokenLedger reads, with what each one means for reading its responses:
 * its name in telemetry ({@code tokenledger.api}), its {@code gen_ai.operation.name}, the shape of
 * its usage object and how its response body is read. Adding an API is adding a constant here (and
 * its path to {@link OpenAiEndpoint}).
 *
 * <p>The first four operation names are the GenAI conventions' own; the rest are custom values (the
 * conventions allow them) named after the API, singular like the conventions' names.
 */
public enum OpenAiApi {
  CHAT_COMPLETIONS("chat.completions", "chat", UsageShape.COMPLETION),
  RESPONSES("responses", "chat", UsageShape.RESPONSES),
  RESPONSES_COMPACT("responses.compact", "chat", UsageShape.RESPONSES),
  COMPLETIONS("completions", "text_completion", UsageShape.COMPLETION),
  EMBEDDINGS("embeddings", "embeddings", UsageShape.EMBEDDINGS),
  AUDIO_TRANSCRIPTIONS("audio.transcriptions", "audio.transcription", UsageShape.TRANSCRIPTION),
  AUDIO_TRANSLATIONS("audio.translations", "audio.translation", UsageShape.TRANSCRIPTION),
  AUDIO_SPEECH("audio.speech", "audio.speech", UsageShape.SPEECH),
  IMAGES_GENERATIONS("images.generations", "image.generation", UsageShape.IMAGES),
  IMAGES_EDITS("images.edits", "image.edit", UsageShape.IMAGES),
  IMAGES_VARIATIONS("images.variations", "image.variation", UsageShape.IMAGES),
  /** Free: one record per request with zero tokens; the body carries no usage. */
  MODERATIONS("moderations", "moderation", null),
  /** A Batch API output file ({@code GET …/files/{id}/content}): one record per line with usage. */
  BATCH_OUTPUT("batch.output", "batch", null),
  /** A Realtime {@code response.done} (WebSocket). */
  REALTIME("realtime", "realtime", UsageShape.REALTIME),
  /** A Realtime input-audio transcription completion (WebSocket). */
  REALTIME_TRANSCRIPTION("realtime.transcription", "realtime", UsageShape.TRANSCRIPTION);

  private final String apiName;
  private final String operationName;
  private final UsageShape usageShape;

  OpenAiApi(String apiName, String operationName, UsageShape usageShape) {
    this.apiName = apiName;
    this.operationName = operationName;
    this.usageShape = usageShape;
  }

  /** The {@code tokenledger.api} value, e.g. {@code chat.completions}. */
  public String apiName() {
    return apiName;
  }

  /** The {@code gen_ai.operation.name}. */
  public String operationName() {
    return operationName;
  }

  /** The shape its usage object comes in; null for APIs whose bodies carry none. */
  public UsageShape usageShape() {
    return usageShape;
  }

  /** True for the APIs whose response body is expected to carry token usage. */
  public boolean expectsUsage() {
    return this != MODERATIONS && this != AUDIO_TRANSLATIONS && this != AUDIO_SPEECH;
  }

  /** The upstream conventions' {@code openai.api.type}, for the two APIs they name; else null. */
  public String openaiApiType() {
    switch (this) {
      case CHAT_COMPLETIONS:
        return "chat_completions";
      case RESPONSES:
        return "responses";
      default:
        return null;
    }
  }

  /** Streams that end with a {@code data: [DONE]} sentinel and carry usage only when asked for. */
  boolean streamsEndWithDone() {
    return this == CHAT_COMPLETIONS || this == COMPLETIONS;
  }

  /** The response object has its own {@code status} (completed, incomplete, failed, …). */
  boolean reportsResponseStatus() {
    return this == RESPONSES || this == RESPONSES_COMPACT;
  }

  /** Streams whose every {@code *.completed} event with usage is a record of its own (one per image). */
  boolean recordsPerStreamEvent() {
    return usageShape == UsageShape.IMAGES;
  }

  /** Transcriptions and translations: the body may carry {@code duration} seconds instead of usage. */
  boolean mayBillDuration() {
    return this == AUDIO_TRANSCRIPTIONS || this == AUDIO_TRANSLATIONS;
  }

  /**
   * How a response body of this API is read, from its HTTP status, content type and request. Only a
   * JSON error body is read at all, for its error code.
   */
  ResponseBodyFormat bodyFormat(int httpStatus, String contentType, boolean requestAsksForEventStream) {
    String ct = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT);
    if (httpStatus >= 400) {
      return ct.contains("json") ? ResponseBodyFormat.JSON_ERROR : ResponseBodyFormat.ERROR;
    }
    if (this == BATCH_OUTPUT) {
      return ResponseBodyFormat.JSON_LINES;
    }
    boolean eventStream = ct.contains("text/event-stream") || (ct.isEmpty() && requestAsksForEventStream);
    if (this == AUDIO_SPEECH) {
      return eventStream ? ResponseBodyFormat.EVENT_STREAM : ResponseBodyFormat.AUDIO;
    }
    if (eventStream) {
      return ResponseBodyFormat.EVENT_STREAM;
    }
    if (mayBillDuration() && !ct.isEmpty() && !ct.contains("json")) {
      return ResponseBodyFormat.PLAIN_TEXT; // text, srt, vtt: no usage in the body
    }
    return ResponseBodyFormat.JSON;
  }

  /** The API whose {@code tokenledger.api} is {@code name}, or null. */
  public static OpenAiApi named(String name) {
    if (name != null) {
      for (OpenAiApi api : values()) {
        if (api.apiName.equals(name)) {
          return api;
        }
      }
    }
    return null;
  }

  /** The API of a batch line's body, from its {@code object}; null when it names none. */
  static OpenAiApi ofResponseObject(String object) {
    if (object == null) {
      return null;
    }
    switch (object) {
      case "chat.completion":
        return CHAT_COMPLETIONS;
      case "text_completion":
        return COMPLETIONS;
      case "response":
        return RESPONSES;
      case "response.compaction":
        return RESPONSES_COMPACT;
      case "list":
        return EMBEDDINGS;
      default:
        return null;
    }
  }

  /** The {@code tokenledger.api} value. */
  @Override
  public String toString() {
    return apiName;
  }
}
