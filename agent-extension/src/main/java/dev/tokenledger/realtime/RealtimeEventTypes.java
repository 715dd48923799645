package dev.tokenledger.realtime;

/**
 * The server event types the agent reads (GA and beta names; docs/token-vocabulary.md, Realtime). Every other
 * type — above all the audio deltas that make up nearly all the traffic — is skipped once its
 * {@code type} is known.
 */
public final class RealtimeEventTypes {

  public static final String SESSION_CREATED = "session.created";
  public static final String SESSION_UPDATED = "session.updated";
  public static final String TRANSCRIPTION_SESSION_CREATED = "transcription_session.created";
  public static final String TRANSCRIPTION_SESSION_UPDATED = "transcription_session.updated";
  public static final String RESPONSE_CREATED = "response.created";
  public static final String RESPONSE_DONE = "response.done";
  public static final String TRANSCRIPTION_COMPLETED = "conversation.item.input_audio_transcription.completed";
  public static final String ERROR = "error";

  /** No type that matters is longer: a longer name is skipped without reading further. */
  static final int LONGEST = TRANSCRIPTION_COMPLETED.length();

  /** True for the types whose fields the agent needs. */
  public static boolean matters(String type) {
    if (type == null) {
      return false;
    }
    switch (type) {
      case SESSION_CREATED:
      case SESSION_UPDATED:
      case TRANSCRIPTION_SESSION_CREATED:
      case TRANSCRIPTION_SESSION_UPDATED:
      case RESPONSE_CREATED:
      case RESPONSE_DONE:
      case TRANSCRIPTION_COMPLETED:
      case ERROR:
        return true;
      default:
        return false;
    }
  }

  static boolean isSession(String type) {
    return SESSION_CREATED.equals(type)
        || SESSION_UPDATED.equals(type)
        || TRANSCRIPTION_SESSION_CREATED.equals(type)
        || TRANSCRIPTION_SESSION_UPDATED.equals(type);
  }

  private RealtimeEventTypes() {}
}
