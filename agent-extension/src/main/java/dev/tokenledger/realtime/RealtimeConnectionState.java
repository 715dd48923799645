package dev.tokenledger.realtime;

import dev.tokenledger.usage.Json;
import dev.tokenledger.usage.JsonObject;
import dev.tokenledger.usage.RateLimitedLog;
import dev.tokenledger.usage.OpenAiApi;
import dev.tokenledger.usage.ResponseUsage;
import dev.tokenledger.usage.TokenUsage;
import dev.tokenledger.usage.UsageShape;

/**
 * What one Realtime WebSocket connection has said so far, and the usage records it produces
 * (docs/token-vocabulary.md, Realtime): one per {@code response.done} whatever its status, one per input
 * transcription completion, each handed to the {@link Sink} the moment its event is read — nothing is
 * summed per session. A response that was created but never done when the connection ends becomes a
 * {@code missing} record (zero tokens, status {@code incomplete}): never silent, never invented.
 *
 * <p>Out-of-order and repeated events are tolerated: a {@code response.done} without a
 * {@code response.created} is recorded; a second {@code response.done} for the same id is not; a
 * {@code response.created} arriving after its {@code done} opens nothing.
 *
 * <p>Memory: a few strings (session id, models) and, only while responses are open, a small array of
 * their ids; the ids of the last {@value #RECENT_DONE} finished responses guard against duplicates.
 * Thread-safe (events arrive on one thread, the end may come from another). Never throws.
 */
public final class RealtimeConnectionState implements RealtimeMessageReader.Listener {

  /** More open responses than this is not a conversation but a leak: the oldest is given up. */
  static final int MAX_OPEN_RESPONSES = 32;
  static final int RECENT_DONE = 2;

  /** Where records and lifecycle notices go (the agent's telemetry; a list in tests). */
  public interface Sink {
    /** A response was created; the returned handle (e.g. its span) comes back with its record. */
    Object responseStarted(String responseId, String model);

    /** The server named the session (first time, or its model changed). */
    void sessionIdentified(String sessionId, String model);

    /**
     * One usage record. {@code handle} is what {@link #responseStarted} returned, or null when no
     * {@code response.created} was seen.
     */
    void record(ResponseUsage usage, String requestModel, Object handle);

    /** An {@code error} event: a failed request, no tokens. */
    void error(String errorType, String errorCode);
  }

  private final Sink sink;
  private final String urlModel;

  private String sessionId;
  private String sessionModel;
  private String transcriptionModel;

  private String[] openIds;
  private Object[] openHandles;
  /** Why an open response may end up missing (an unreadable response.done was seen for it). */
  private String[] openDiagnostics;
  private int openCount;
  private String[] recentDone;
  private int recentDoneNext;
  private boolean ended;

  /** {@code urlModel}: the model (or Azure deployment) the connection's URL asks for, or null. */
  public RealtimeConnectionState(Sink sink, String urlModel) {
    this.sink = sink;
    this.urlModel = urlModel;
  }

  public synchronized String sessionId() {
    return sessionId;
  }

  /** The model the session runs (from {@code session.created/updated}), else null. */
  public synchronized String sessionModel() {
    return sessionModel;
  }

  public synchronized int openResponses() {
    return openCount;
  }

  @Override
  public void onEvent(RealtimeEvent event) {
    try {
      synchronized (this) {
        if (!ended) {
          handle(event);
        }
      }
    } catch (Throwable t) {
      RateLimitedLog.warn("realtime-state", "TokenLedger could not process a Realtime event: " + t);
    }
  }

  /**
   * The connection is over (closed by either side, or failed): every response still open is
   * recorded as {@code missing}. Later events and calls are ignored.
   */
  public void end(String why) {
    try {
      synchronized (this) {
        if (ended) {
          return;
        }
        ended = true;
        if (openCount > 0) {
          // The reason (which may name the transport's failure) goes on the records, not the log.
          RateLimitedLog.warn(
              "realtime-dropped",
              "TokenLedger recorded " + openCount + " Realtime response(s) as missing: the connection ended"
                  + " before their response.done");
        }
        while (openCount > 0) {
          String id = openIds[0];
          String noted = openDiagnostics[0];
          Object handle = removeOpen(0);
          recordMissing(id, handle,
              noted != null ? noted : "connection ended before response.done (" + why + ")");
        }
      }
    } catch (Throwable t) {
      RateLimitedLog.warn("realtime-state", "TokenLedger could not end a Realtime connection: " + t);
    }
  }

  private void handle(RealtimeEvent e) {
    String type = e.type;
    if (type == null) {
      RateLimitedLog.warn("realtime-unreadable", "TokenLedger could not read a Realtime message: " + e.unreadable);
      return;
    }
    if (RealtimeEventTypes.isSession(type)) {
      onSession(e);
    } else if (RealtimeEventTypes.RESPONSE_CREATED.equals(type)) {
      onResponseCreated(e);
    } else if (RealtimeEventTypes.RESPONSE_DONE.equals(type)) {
      onResponseDone(e);
    } else if (RealtimeEventTypes.TRANSCRIPTION_COMPLETED.equals(type)) {
      onTranscription(e);
    } else if (RealtimeEventTypes.ERROR.equals(type)) {
      sink.error(e.errorType, e.errorCode);
    }
  }

  private void onSession(RealtimeEvent e) {
    if (e.unreadable != null) {
      RateLimitedLog.warn("realtime-unreadable", "TokenLedger could not read all of a " + e.type + ": " + e.unreadable);
    }
    boolean changed = false;
    if (e.sessionId != null && !e.sessionId.equals(sessionId)) {
      sessionId = e.sessionId;
      changed = true;
    }
    if (e.sessionModel != null && !e.sessionModel.equals(sessionModel)) {
      sessionModel = e.sessionModel;
      changed = true;
    }
    if (e.transcriptionModel != null) {
      transcriptionModel = e.transcriptionModel;
    }
    if (changed) {
      sink.sessionIdentified(sessionId, sessionModel);
    }
  }

  private void onResponseCreated(RealtimeEvent e) {
    String id = e.responseId;
    if (id == null) {
      RateLimitedLog.warn("realtime-unreadable", "TokenLedger read a response.created without a response id"
          + (e.unreadable != null ? ": " + e.unreadable : ""));
      return;
    }
    if (indexOfOpen(id) >= 0 || recentlyDone(id)) {
      return; // repeated, or its done came first
    }
    if (openCount == MAX_OPEN_RESPONSES) {
      RateLimitedLog.warn("realtime-open", "TokenLedger gave up the oldest of " + MAX_OPEN_RESPONSES
          + " open Realtime responses (no response.done seen for it)");
      evictOldest();
    }
    Object handle = sink.responseStarted(id, requestModel());
    addOpen(id, handle);
  }

  private void onResponseDone(RealtimeEvent e) {
    String id = e.responseId;
    if (id != null && recentlyDone(id)) {
      RateLimitedLog.warn("realtime-duplicate", "TokenLedger ignored a repeated response.done for one response");
      return;
    }
    if (e.unreadable != null) {
      onUnreadableDone(id, e.unreadable);
      return;
    }
    int open = id != null ? indexOfOpen(id) : -1;
    Object handle = open >= 0 ? removeOpen(open) : null;
    if (id != null) {
      rememberDone(id);
    }
    String status = e.responseStatus;
    String diagnostic = null;
    TokenUsage usage = null;
    if (!e.responseUsageSeen || "null".equals(trim(e.responseUsageRaw))) {
      diagnostic = "response.done without usage";
    } else if (e.responseUsageRaw == null) {
      diagnostic = "response.done usage larger than the capture limit";
    } else {
      JsonObject object = parseObject(e.responseUsageRaw);
      if (object == null || !UsageShape.hasCounts(object)) {
        diagnostic = "response.done usage is not a usage object";
      } else {
        usage = OpenAiApi.REALTIME.usageShape().parse(object);
      }
    }
    if (status == null) {
      status = usage != null ? ResponseUsage.STATUS_COMPLETED : ResponseUsage.STATUS_INCOMPLETE;
    }
    if (usage == null) {
      RateLimitedLog.warn("realtime-missing", "TokenLedger recorded a Realtime response as missing: " + diagnostic);
    }
    sink.record(
        ResponseUsage.of(OpenAiApi.REALTIME, usage != null ? usage : TokenUsage.zero(),
            usage != null ? ResponseUsage.SOURCE_REPORTED : ResponseUsage.SOURCE_MISSING,
            status, id, sessionModel, diagnostic),
        requestModel(), handle);
  }

  /**
   * A message that says it is a {@code response.done} but cannot be read whole is not trusted to end
   * its response: a readable {@code response.done} may still come for it. The response stays open,
   * noted, and is recorded as {@code missing} with this diagnostic if none does.
   */
  private void onUnreadableDone(String id, String why) {
    RateLimitedLog.warn("realtime-unreadable", "TokenLedger could not read a response.done: " + why);
    if (id == null) {
      return;
    }
    int open = indexOfOpen(id);
    if (open < 0) {
      addOpen(id, null);
      open = openCount - 1;
    }
    openDiagnostics[open] = "response.done unreadable: " + why;
  }

  private void onTranscription(RealtimeEvent e) {
    String diagnostic = null;
    TokenUsage usage = null;
    if (e.unreadable != null) {
      diagnostic = "transcription completion unreadable: " + e.unreadable;
    } else if (!e.usageSeen || "null".equals(trim(e.usageRaw))) {
      diagnostic = "transcription completion without usage";
    } else if (e.usageRaw == null) {
      diagnostic = "transcription usage larger than the capture limit";
    } else {
      JsonObject object = parseObject(e.usageRaw);
      if (object == null || !UsageShape.hasCounts(object)) {
        diagnostic = "transcription usage is not a usage object";
      } else {
        usage = OpenAiApi.REALTIME_TRANSCRIPTION.usageShape().parse(object);
      }
    }
    if (usage == null) {
      RateLimitedLog.warn("realtime-missing", "TokenLedger recorded a Realtime transcription as missing: " + diagnostic);
    }
    String model = transcriptionModel;
    sink.record(
        ResponseUsage.of(OpenAiApi.REALTIME_TRANSCRIPTION, usage != null ? usage : TokenUsage.zero(),
            usage != null ? ResponseUsage.SOURCE_REPORTED : ResponseUsage.SOURCE_MISSING,
            ResponseUsage.STATUS_COMPLETED, e.itemId, model, diagnostic),
        model, null);
  }

  private void recordMissing(String id, Object handle, String diagnostic) {
    sink.record(
        ResponseUsage.of(OpenAiApi.REALTIME, TokenUsage.zero(), ResponseUsage.SOURCE_MISSING,
            ResponseUsage.STATUS_INCOMPLETE, id, sessionModel, diagnostic),
        requestModel(), handle);
  }

  /** The URL's model or deployment, else the session's. */
  private String requestModel() {
    return urlModel != null ? urlModel : sessionModel;
  }

  private static JsonObject parseObject(String raw) {
    try {
      return Json.parseObject(raw);
    } catch (RuntimeException malformed) {
      return null;
    }
  }

  private static String trim(String s) {
    return s == null ? null : s.trim();
  }

  // ---- open responses: a tiny insertion-ordered array map (rarely more than one entry) ----

  private int indexOfOpen(String id) {
    for (int i = 0; i < openCount; i++) {
      if (openIds[i].equals(id)) {
        return i;
      }
    }
    return -1;
  }

  private void evictOldest() {
    String oldest = openIds[0];
    String noted = openDiagnostics[0];
    recordMissing(oldest, removeOpen(0),
        noted != null ? noted : "more than " + MAX_OPEN_RESPONSES + " responses open");
  }

  private void addOpen(String id, Object handle) {
    if (openIds == null) {
      openIds = new String[2];
      openHandles = new Object[2];
      openDiagnostics = new String[2];
    } else if (openCount == MAX_OPEN_RESPONSES) {
      evictOldest();
    }
    if (openCount == openIds.length) {
      int size = Math.min(MAX_OPEN_RESPONSES, openCount * 2);
      openIds = java.util.Arrays.copyOf(openIds, size);
      openHandles = java.util.Arrays.copyOf(openHandles, size);
      openDiagnostics = java.util.Arrays.copyOf(openDiagnostics, size);
    }
    openIds[openCount] = id;
    openHandles[openCount] = handle;
    openDiagnostics[openCount] = null;
    openCount++;
  }

  private Object removeOpen(int index) {
    Object handle = openHandles[index];
    int tail = openCount - index - 1;
    System.arraycopy(openIds, index + 1, openIds, index, tail);
    System.arraycopy(openHandles, index + 1, openHandles, index, tail);
    System.arraycopy(openDiagnostics, index + 1, openDiagnostics, index, tail);
    openCount--;
    openIds[openCount] = null;
    openHandles[openCount] = null;
    openDiagnostics[openCount] = null;
    return handle;
  }

  private boolean recentlyDone(String id) {
    if (recentDone != null) {
      for (String done : recentDone) {
        if (id.equals(done)) {
          return true;
        }
      }
    }
    return false;
  }

  private void rememberDone(String id) {
    if (recentDone == null) {
      recentDone = new String[RECENT_DONE];
    }
    recentDone[recentDoneNext] = id;
    recentDoneNext = (recentDoneNext + 1) % RECENT_DONE;
  }
}
