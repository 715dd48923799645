package dev.tokenledger.realtime;

/**
 * The fields kept of one Realtime server event that matters (see {@link RealtimeEventTypes}): ids,
 * status, models and the raw usage objects, never transcripts, instructions, tool output or audio.
 * Filled by {@link RealtimeEventCapture} as the scanner meets the members, in whatever order the
 * server sent them.
 */
public final class RealtimeEvent {

  /** The top-level {@code type}. */
  String type;

  /** {@code session.id}, {@code session.model}, {@code session.type}. */
  String sessionId;
  String sessionModel;
  String sessionType;
  /**
   * The input-transcription model: GA {@code session.audio.input.transcription.model}, beta
   * {@code session.input_audio_transcription.model}.
   */
  String transcriptionModel;

  /** {@code response.id}, {@code response.status}, the raw {@code response.usage}. */
  String responseId;
  String responseStatus;
  boolean responseUsageSeen;
  String responseUsageRaw;

  /** Transcription completions: {@code item_id} and the raw top-level {@code usage}. */
  String itemId;
  boolean usageSeen;
  String usageRaw;

  /** {@code error.type} and {@code error.code}. */
  String errorType;
  String errorCode;

  /** Null when the event was read whole; else why not (malformed JSON, too large, …). */
  String unreadable;

  public String type() {
    return type;
  }

  public String sessionId() {
    return sessionId;
  }

  public String responseId() {
    return responseId;
  }

  public String responseStatus() {
    return responseStatus;
  }

  public String itemId() {
    return itemId;
  }

  public String unreadable() {
    return unreadable;
  }

  @Override
  public String toString() {
    return "RealtimeEvent{" + type
        + (sessionId != null ? ", session=" + sessionId : "")
        + (sessionModel != null ? ", model=" + sessionModel : "")
        + (transcriptionModel != null ? ", transcription=" + transcriptionModel : "")
        + (responseId != null ? ", response=" + responseId : "")
        + (responseStatus != null ? ", status=" + responseStatus : "")
        + (itemId != null ? ", item=" + itemId : "")
        + (errorCode != null || errorType != null ? ", error=" + errorType + "/" + errorCode : "")
        + (unreadable != null ? ", unreadable=" + unreadable : "")
        + "}";
  }
}
