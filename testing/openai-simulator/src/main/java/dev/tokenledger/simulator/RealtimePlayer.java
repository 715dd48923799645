package dev.tokenledger.simulator;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Plays one Realtime connection: OpenAI-shaped server events in answer to client events
 * ({@code session.update}, {@code input_audio_buffer.append/commit/clear},
 * {@code conversation.item.create}, {@code response.create}, {@code response.cancel}), with every
 * billable unit recorded as {@link GroundTruth} after its event was sent.
 *
 * <p>Fault and edge models are chosen per response by the client, in {@code response.create}'s
 * {@code response.metadata.sim} (the real API echoes metadata back in {@code response.done}):
 *
 * <ul>
 *   <li>{@code cached-audio}: cached input audio in the usage; {@code image}: an image joins the
 *       conversation (image input tokens, cached in later responses)
 *   <li>{@code barge-in}: audio keeps coming until the client sends {@code response.cancel}, then
 *       {@code response.done} with status {@code cancelled} and the usage generated so far;
 *       {@code turn-detected}: the server cancels by itself after a few deltas; {@code hold}: after two
 *       deltas nothing more is sent until the client cancels or closes (up to 30 s)
 *   <li>{@code failed}, {@code incomplete}: those statuses, with usage
 *   <li>{@code error}: an {@code error} event instead of a response (nothing billed)
 *   <li>{@code drop}: the TCP connection is cut after a few deltas, before {@code response.done}
 *   <li>{@code malformed}: a text frame that is not valid JSON among the deltas (a cut delta);
 *       {@code malformed-done}: a cut copy of the coming {@code response.done} (same response id) that
 *       is not valid JSON, before the real one
 *   <li>{@code binary}: a binary frame among the deltas
 *   <li>{@code fragmented}: events, {@code response.done} included, split over many continuation
 *       frames
 *   <li>{@code huge}: one audio delta of several MB
 *   <li>{@code unknown}: unknown event types and unknown fields everywhere, usage included
 *   <li>{@code no-created}: no {@code response.created} before {@code response.done}
 *   <li>{@code no-usage}: {@code response.done} without usage; {@code malformed-usage}: with a usage
 *       that is not an object (both recorded as {@code missing})
 * </ul>
 *
 * <p>Pacing: {@code metadata.sim_delta_ms} sends one audio delta per that many milliseconds, each
 * carrying that much audio (real time); without it deltas carry 100 ms of audio and go out at once.
 * {@code metadata.sim_audio_ms} sets the length of the answer's audio.
 */
final class RealtimePlayer {

  static final int PCM_BYTES_PER_SECOND = 24_000 * 2;
  private static final String[] WORDS = {
    "sure", "your", "invoice", "is", "ready", "and", "I", "can", "resend", "it", "today", "the",
    "account", "shows", "two", "payments", "thanks", "for", "waiting", "anything", "else"
  };

  private final RealtimeEndpoint endpoint;
  private final WebSocketConnection ws;
  private final RealtimeEndpoint.Route route;
  private final RealtimeEndpoint.Session session;
  private final String connectionId;
  private final SplittableRandom random;
  private final LinkedBlockingQueue<WebSocketConnection.Message> inbox = new LinkedBlockingQueue<>();
  /** Client events that arrived while a response was playing, handled after it. */
  private final Deque<WebSocketConnection.Message> deferred = new ArrayDeque<>();
  private long bufferedAudioBytes;
  private String lastItemId;
  private int responsesDone;

  /** How a connection ended, or null while it goes on. */
  private String end;

  RealtimePlayer(RealtimeEndpoint endpoint, WebSocketConnection ws, RealtimeEndpoint.Route route,
      RealtimeEndpoint.Session session, String connectionId, SplittableRandom random) {
    this.endpoint = endpoint;
    this.ws = ws;
    this.route = route;
    this.session = session;
    this.connectionId = connectionId;
    this.random = random;
  }

  int responsesDone() {
    return responsesDone;
  }

  /** Runs the connection to its end; returns how it ended (see {@link RealtimeConnectionTruth#end()}). */
  String play() {
    Thread reader = new Thread(null, () -> {
      while (true) {
        WebSocketConnection.Message m = ws.read();
        inbox.add(m);
        if (m.closed()) {
          return;
        }
      }
    }, Thread.currentThread().getName() + "-read", 128 * 1024);
    reader.setDaemon(true);
    reader.start();
    try {
      send(sessionEvent("session.created"));
      while (end == null) {
        WebSocketConnection.Message m = deferred.isEmpty() ? inbox.take() : deferred.poll();
        handle(m);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      end = "client-gone";
    } catch (IOException e) {
      end = ws.closeReceived() ? "client-close" : "client-gone";
    }
    ws.close();
    return end;
  }

  private void handle(WebSocketConnection.Message m) throws IOException, InterruptedException {
    if (m.closed()) {
      end = ended(m);
      return;
    }
    if (!m.text()) {
      return; // the API takes JSON text only; binary client frames are ignored
    }
    Map<String, Object> event;
    try {
      Object parsed = Json.parse(m.asText());
      if (!(parsed instanceof Map<?, ?>)) {
        throw new IllegalArgumentException("not an object");
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> e = (Map<String, Object>) parsed;
      event = e;
    } catch (IllegalArgumentException e) {
      error("invalid_request_error", "invalid_json", "The server had an error parsing the event.", null);
      return;
    }
    Object type = event.get("type");
    String clientEventId = event.get("event_id") instanceof String s ? s : null;
    switch (type instanceof String s ? s : "") {
      case "session.update" -> {
        applySessionUpdate(event);
        send(sessionEvent("session.updated"));
      }
      case "input_audio_buffer.append" -> {
        if (event.get("audio") instanceof String audio) {
          bufferedAudioBytes += base64Length(audio);
        }
      }
      case "input_audio_buffer.clear" -> {
        bufferedAudioBytes = 0;
        send(event("input_audio_buffer.cleared"));
      }
      case "input_audio_buffer.commit" -> commit(clientEventId);
      case "conversation.item.create" -> createItem(event);
      case "response.create" -> respondOrRecordTheCut(event);
      case "response.cancel" -> error("invalid_request_error", "response_cancel_not_active",
          "Cancellation failed: no active response found.", clientEventId);
      default -> error("invalid_request_error", "invalid_event",
          "Invalid value: '" + type + "'. Supported values are: 'session.update', 'input_audio_buffer.append', "
              + "'input_audio_buffer.commit', 'input_audio_buffer.clear', 'conversation.item.create', "
              + "'response.create' and 'response.cancel'.", clientEventId);
    }
  }

  private String ended(WebSocketConnection.Message closed) {
    return closed.closeCode() == 1002 ? "protocol-error"
        : ws.closeReceived() ? "client-close" : "client-gone";
  }

  // ------------------------------------------------------------------ session

  private void applySessionUpdate(Map<String, Object> event) {
    Object model = session.beta
        ? Json.path(event, "session", "input_audio_transcription", "model")
        : Json.path(event, "session", "audio", "input", "transcription", "model");
    if (model == null && session.beta) {
      model = Json.path(event, "session", "audio", "input", "transcription", "model");
    }
    if (model instanceof String m) {
      session.transcriptionModel = m;
    }
    if (Json.path(event, "session", "instructions") instanceof String instructions) {
      synchronized (session) {
        session.contextText += 8 + instructions.length() / 4;
      }
    }
  }

  private Map<String, Object> sessionEvent(String type) {
    Map<String, Object> s;
    if (session.beta) {
      s = Json.obj("id", session.id, "object", "realtime.session", "model", session.model,
          "expires_at", Instant.now().getEpochSecond() + 1800, "modalities", Json.arr("audio", "text"),
          "voice", "alloy", "input_audio_format", "pcm16", "output_audio_format", "pcm16",
          "input_audio_transcription",
          session.transcriptionModel == null ? null : Json.obj("model", session.transcriptionModel),
          "turn_detection", null, "tools", Json.arr(), "temperature", 0.8,
          "max_response_output_tokens", "inf");
    } else {
      Map<String, Object> input = Json.obj("format", Json.obj("type", "audio/pcm", "rate", 24000),
          "transcription", session.transcriptionModel == null ? null
              : Json.obj("model", session.transcriptionModel, "language", "en"),
          "turn_detection", null);
      s = Json.obj("type", session.transcriptionOnly ? "transcription" : "realtime",
          "object", "realtime.session", "id", session.id);
      if (!session.transcriptionOnly) {
        s.put("model", session.model);
        s.put("output_modalities", Json.arr("audio"));
      }
      s.put("expires_at", Instant.now().getEpochSecond() + 1800);
      s.put("audio", session.transcriptionOnly ? Json.obj("input", input)
          : Json.obj("input", input, "output",
              Json.obj("format", Json.obj("type", "audio/pcm", "rate", 24000), "voice", "marin", "speed", 1.0)));
      if (!session.transcriptionOnly) {
        s.put("tools", Json.arr());
        s.put("tool_choice", "auto");
        s.put("max_output_tokens", "inf");
      }
    }
    return Json.obj("type", type, "event_id", eventId(), "session", s);
  }

  // ------------------------------------------------------------------ input audio

  private void commit(String clientEventId) throws IOException {
    if (bufferedAudioBytes < PCM_BYTES_PER_SECOND / 10) {
      error("invalid_request_error", "input_audio_buffer_commit_empty",
          "Error committing input audio buffer: buffer too small. Expected at least 100ms of audio.",
          clientEventId);
      bufferedAudioBytes = 0;
      return;
    }
    long audioMillis = bufferedAudioBytes * 1000 / PCM_BYTES_PER_SECOND;
    bufferedAudioBytes = 0;
    String itemId = "item_" + Endpoints.hex(random, 20);
    send(Json.obj("type", "input_audio_buffer.committed", "event_id", eventId(),
        "previous_item_id", lastItemId, "item_id", itemId));
    lastItemId = itemId;
    Map<String, Object> item = Json.obj("id", itemId, "type", "message", "object", "realtime.item",
        "status", "completed", "role", "user",
        "content", Json.arr(Json.obj("type", "input_audio", "transcript", null)));
    send(Json.obj("type", session.beta ? "conversation.item.created" : "conversation.item.added",
        "event_id", eventId(), "previous_item_id", null, "item", item));
    long audioTokens = (audioMillis + 99) / 100;
    synchronized (session) {
      session.contextAudio += audioTokens + 4;
    }
    String model = session.transcriptionModel;
    if (model == null) {
      return;
    }
    String transcript = OpenAiSimulator.TRANSCRIPT_MARKER + " " + words(2 + (int) (audioMillis / 400));
    send(Json.obj("type", "conversation.item.input_audio_transcription.delta", "event_id", eventId(),
        "item_id", itemId, "content_index", 0, "delta", transcript));
    Map<String, Object> usage;
    ExportTokens tokens;
    double seconds = 0;
    if (Models.tokenBilledTranscription(model)) {
      tokens = new ExportTokens(random.nextInt(3) == 0 ? 0 : 5 + random.nextInt(20), audioTokens + random.nextInt(4),
          0, 0, 0, 0, 0, 3 + transcript.length() / 5, 0, 0, 0);
      usage = UsageShapes.transcriptionTokens(tokens);
    } else {
      tokens = ExportTokens.ZERO;
      seconds = audioMillis / 1000.0;
      usage = UsageShapes.transcriptionDuration(seconds);
    }
    send(Json.obj("type", "conversation.item.input_audio_transcription.completed", "event_id", eventId(),
        "item_id", itemId, "content_index", 0, "transcript", transcript, "usage", usage));
    record(itemId, "realtime.transcription", model, model, "reported", tokens, seconds, "completed");
  }

  private void createItem(Map<String, Object> event) throws IOException {
    String itemId = "item_" + Endpoints.hex(random, 20);
    long text = 0;
    long image = 0;
    if (Json.path(event, "item", "content") instanceof List<?> parts) {
      for (Object p : parts) {
        Object t = Json.path(p, "type");
        if ("input_image".equals(t)) {
          image += 765;
        } else if (Json.path(p, "text") instanceof String s) {
          text += 4 + s.length() / 4;
        }
      }
    }
    synchronized (session) {
      session.contextText += text;
      session.contextImage += image;
    }
    Map<String, Object> item = Json.obj("id", itemId, "type", "message", "object", "realtime.item",
        "status", "completed", "role", "user", "content", Json.arr());
    send(Json.obj("type", session.beta ? "conversation.item.created" : "conversation.item.added",
        "event_id", eventId(), "previous_item_id", lastItemId, "item", item));
    lastItemId = itemId;
  }

  // ------------------------------------------------------------------ responses

  /** The response id being played, until its response.done is sent. */
  private String playing;

  /**
   * Plays a response; when the client goes away in the middle (its close frame or the end of the
   * TCP connection), the response that was begun is recorded as missing, status incomplete.
   */
  private void respondOrRecordTheCut(Map<String, Object> event) throws IOException, InterruptedException {
    try {
      respond(event);
    } catch (IOException gone) {
      if (playing != null) {
        recordMissing(playing);
        playing = null;
      }
      throw gone;
    }
  }

  private void respond(Map<String, Object> event) throws IOException, InterruptedException {
    Object metadata = Json.path(event, "response", "metadata");
    String fault = Json.path(metadata, "sim") instanceof String s ? s : "";
    long deltaMillis = Json.path(metadata, "sim_delta_ms") instanceof Number n ? n.longValue() : 0;
    long audioMillis = Json.path(metadata, "sim_audio_ms") instanceof Number n ? n.longValue()
        : 1200 + random.nextInt(1800);
    if (fault.equals("error")) {
      error("invalid_request_error", "sim_error", "The simulator was asked for an error.", null);
      return;
    }
    if (fault.equals("image")) {
      synchronized (session) {
        session.contextImage += 765;
      }
    }
    int frames = fault.equals("fragmented") ? 9 + random.nextInt(30) : 1;
    boolean unknown = fault.equals("unknown");
    String responseId = "resp_" + Endpoints.hex(random, 20);
    String itemId = "item_" + Endpoints.hex(random, 20);
    Map<String, Object> response = Json.obj("object", "realtime.response", "id", responseId,
        "status", "in_progress", "status_details", null, "output", Json.arr(),
        "conversation_id", session.conversationId, "output_modalities", Json.arr("audio"),
        "max_output_tokens", "inf", "audio", Json.obj("output", Json.obj("format",
            Json.obj("type", "audio/pcm", "rate", 24000), "voice", "marin")),
        "usage", null, "metadata", metadata);
    if (unknown) {
      response.put("sim_future_field", Json.obj("nested", Json.arr(1, 2, 3)));
    }
    playing = responseId;
    if (!fault.equals("no-created")) {
      send(Json.obj("type", "response.created", "event_id", eventId(), "response", response), frames);
    }
    send(Json.obj("type", "rate_limits.updated", "event_id", eventId(), "rate_limits", Json.arr(
        Json.obj("name", "requests", "limit", 1000, "remaining", 999, "reset_seconds", 60),
        Json.obj("name", "tokens", "limit", 50000, "remaining", 47210 - random.nextInt(5000), "reset_seconds", 6.4))));
    Map<String, Object> item = Json.obj("id", itemId, "type", "message", "object", "realtime.item",
        "status", "in_progress", "role", "assistant", "content", Json.arr());
    send(Json.obj("type", "response.output_item.added", "event_id", eventId(), "response_id", responseId,
        "output_index", 0, "item", item));
    send(Json.obj("type", session.beta ? "conversation.item.created" : "conversation.item.added",
        "event_id", eventId(), "previous_item_id", lastItemId, "item", item));
    lastItemId = itemId;
    send(Json.obj("type", "response.content_part.added", "event_id", eventId(), "response_id", responseId,
        "item_id", itemId, "output_index", 0, "content_index", 0,
        "part", Json.obj("type", "audio", "transcript", "")));
    if (unknown) {
      send(Json.obj("type", "response.sim_future_event", "event_id", eventId(), "response_id", responseId,
          "payload", Json.obj("usage", Json.obj("input_tokens", 999_999))));
    }

    String transcript = OpenAiSimulator.COMPLETION_MARKER + " " + words(3 + (int) (audioMillis / 350));
    String[] transcriptWords = transcript.split(" ");
    long chunkMillis = deltaMillis > 0 ? deltaMillis : 100;
    boolean bargeIn = fault.equals("barge-in");
    boolean hold = fault.equals("hold");
    int deltas = bargeIn ? 400 : (int) Math.max(1, (audioMillis + chunkMillis - 1) / chunkMillis);
    String status = "completed";
    String cancelReason = null;
    long audioSentMillis = 0;
    int wordsSent = 0;
    String audioDelta = session.beta ? "response.audio.delta" : "response.output_audio.delta";
    String transcriptDelta = session.beta ? "response.audio_transcript.delta"
        : "response.output_audio_transcript.delta";
    for (int i = 0; i < deltas; i++) {
      if (i > 0 && (deltaMillis > 0 || bargeIn || (hold && i == 2))) {
        // Between deltas the client may speak: a cancel (barge-in) or the end of the connection.
        // On hold, nothing more is sent until it does (or 30 s pass): nothing is in flight then.
        long wait = hold && i == 2 ? 30_000 : Math.max(deltaMillis, bargeIn ? 10 : 0);
        WebSocketConnection.Message m = inbox.poll(wait, TimeUnit.MILLISECONDS);
        if (m != null && (status = interrupt(m)) != null) {
          if (status.equals("gone")) {
            playing = null;
            recordMissing(responseId);
            return;
          }
          cancelReason = "client_cancelled";
          break;
        }
        status = "completed";
      } else {
        WebSocketConnection.Message m = inbox.poll();
        if (m != null && (status = interrupt(m)) != null) {
          if (status.equals("gone")) {
            playing = null;
            recordMissing(responseId);
            return;
          }
          cancelReason = "client_cancelled";
          break;
        }
        status = "completed";
      }
      if (fault.equals("turn-detected") && i == 3) {
        send(Json.obj("type", "input_audio_buffer.speech_started", "event_id", eventId(),
            "audio_start_ms", 4000 + random.nextInt(2000), "item_id", "item_" + Endpoints.hex(random, 20)));
        status = "cancelled";
        cancelReason = "turn_detected";
        break;
      }
      if (fault.equals("drop") && i == 3) {
        ws.drop();
        playing = null;
        recordMissing(responseId);
        end = "drop";
        return;
      }
      int audioChars = (int) (PCM_BYTES_PER_SECOND * chunkMillis / 1000 / 3 * 4);
      if (fault.equals("huge") && i == 1) {
        audioChars = 6 * 1024 * 1024; // ~4.7 MB of audio in one event
      }
      String audio = slice(audioChars);
      String deltaEvent = "{\"type\":\"" + audioDelta + "\",\"event_id\":\"" + eventId()
          + "\",\"response_id\":\"" + responseId + "\",\"item_id\":\"" + itemId
          + "\",\"output_index\":0,\"content_index\":0,\"delta\":\"" + audio + "\""
          + (unknown ? ",\"sim_unknown\":{\"usage\":{\"output_tokens\":5}}" : "") + "}";
      if (frames > 1 && i % 4 == 0) {
        ws.sendTextFragmented(deltaEvent, frames);
      } else {
        ws.sendText(deltaEvent);
      }
      audioSentMillis += audioChars / 4 * 3 * 1000L / PCM_BYTES_PER_SECOND;
      if (i % 3 == 0 && wordsSent < transcriptWords.length) {
        send(Json.obj("type", transcriptDelta, "event_id", eventId(), "response_id", responseId,
            "item_id", itemId, "output_index", 0, "content_index", 0,
            "delta", (wordsSent == 0 ? "" : " ") + transcriptWords[wordsSent++]));
      }
      if (i == 1 && fault.equals("malformed")) {
        ws.sendText("{\"type\":\"" + audioDelta + "\",\"event_id\":\"" + eventId()
            + "\",\"response_id\":\"" + responseId + "\",\"delta\":\"" + slice(4000));
      }
      if (i == 1 && fault.equals("malformed-done")) {
        // a broken copy of the billing event: it is not an event, the real one follows
        ws.sendText("{\"type\":\"response.done\",\"response\":{\"id\":\"" + responseId
            + "\",\"status\":\"completed\",\"usage\":{\"input_tokens\":12,");
      }
      if (i == 1 && fault.equals("binary")) {
        byte[] bin = new byte[2048 + random.nextInt(2048)];
        random.nextBytes(bin);
        ws.sendBinary(bin);
      }
      if (i % 10 == 5) {
        ws.sendPing(("sim-" + i).getBytes(StandardCharsets.US_ASCII));
      }
    }
    if (!status.equals("cancelled")) {
      // a finished answer: the rest of the transcript
      while (wordsSent < transcriptWords.length && !fault.equals("failed")) {
        send(Json.obj("type", transcriptDelta, "event_id", eventId(), "response_id", responseId,
            "item_id", itemId, "output_index", 0, "content_index", 0,
            "delta", (wordsSent == 0 ? "" : " ") + transcriptWords[wordsSent++]));
      }
    }
    switch (fault) {
      case "failed" -> status = "failed";
      case "incomplete" -> status = "incomplete";
      default -> { }
    }
    String spoken = String.join(" ", java.util.Arrays.copyOf(transcriptWords, wordsSent));
    send(Json.obj("type", session.beta ? "response.audio.done" : "response.output_audio.done",
        "event_id", eventId(), "response_id", responseId, "item_id", itemId, "output_index", 0, "content_index", 0));
    send(Json.obj("type", session.beta ? "response.audio_transcript.done" : "response.output_audio_transcript.done",
        "event_id", eventId(), "response_id", responseId, "item_id", itemId, "output_index", 0,
        "content_index", 0, "transcript", spoken));
    Map<String, Object> doneItem = Json.obj("id", itemId, "type", "message", "object", "realtime.item",
        "status", status.equals("completed") ? "completed" : "incomplete", "role", "assistant",
        "content", Json.arr(Json.obj("type", "output_audio", "transcript", spoken)));
    send(Json.obj("type", "response.output_item.done", "event_id", eventId(), "response_id", responseId,
        "output_index", 0, "item", doneItem));

    ExportTokens tokens = usage(fault, status, audioSentMillis, wordsSent);
    response.put("status", status);
    response.put("status_details", switch (status) {
      case "cancelled" -> Json.obj("type", "cancelled", "reason", cancelReason);
      case "incomplete" -> Json.obj("type", "incomplete", "reason", "max_output_tokens");
      case "failed" -> Json.obj("type", "failed", "error",
          Json.obj("type", "server_error", "code", "internal_error"));
      default -> null;
    });
    response.put("output", Json.arr(doneItem));
    String source = "reported";
    switch (fault) {
      case "no-usage" -> {
        response.remove("usage");
        source = "missing";
      }
      case "malformed-usage" -> {
        response.put("usage", "unavailable");
        source = "missing";
      }
      default -> {
        Map<String, Object> usage = UsageShapes.realtime(tokens);
        if (unknown) {
          usage.put("sim_future_tokens", 77);
          ((Map<String, Object>) usage.get("input_token_details")).put("sim_extra", Json.obj("tokens", 5));
        }
        response.put("usage", usage);
      }
    }
    // usage last, as the real API writes it
    Object usage = response.remove("usage");
    if (usage != null) {
      response.put("usage", usage);
    }
    send(Json.obj("type", "response.done", "event_id", eventId(), "response", response), frames);
    playing = null;
    responsesDone++;
    record(responseId, "realtime", session.model, requestModel(), source,
        source.equals("reported") ? tokens : ExportTokens.ZERO, 0, status);
    if (source.equals("reported")) {
      remember(tokens);
    }
  }

  /**
   * A client event during a response: {@code cancelled} for a cancel, {@code gone} when the
   * connection ended, else null (the event is kept for after the response).
   */
  private String interrupt(WebSocketConnection.Message m) {
    if (m.closed()) {
      end = ended(m);
      return "gone";
    }
    if (m.text() && m.asText().contains("\"response.cancel\"")) {
      return "cancelled";
    }
    deferred.add(m);
    return null;
  }

  /** The response's usage: the whole conversation as input, the cached prefix split by modality. */
  private ExportTokens usage(String fault, String status, long audioSentMillis, int wordsSent) {
    synchronized (session) {
      long text = session.contextText + 20 + random.nextInt(30);
      long audio = session.contextAudio;
      long image = session.contextImage;
      long cachedText = Math.min(session.cachedText, text);
      long cachedAudio = Math.min(session.cachedAudio, audio);
      long cachedImage = Math.min(session.cachedImage, image);
      if (fault.equals("cached-audio") && cachedAudio == 0 && audio > 0) {
        cachedAudio = Math.min(audio, 64);
      }
      long outAudio = status.equals("failed") ? 0 : audioSentMillis / 50;
      long outText = status.equals("failed") ? 0 : wordsSent + (wordsSent > 0 ? 2 : 0);
      return new ExportTokens(text - cachedText, audio - cachedAudio, image - cachedImage,
          cachedText, cachedAudio, cachedImage, 0, outText, outAudio, 0, 0);
    }
  }

  /** Adds the answer to the conversation and caches the prompt prefix in 64-token steps. */
  private void remember(ExportTokens t) {
    synchronized (session) {
      long text = t.inputText() + t.inputCachedText();
      long audio = t.inputAudio() + t.inputCachedAudio();
      long image = t.inputImage() + t.inputCachedImage();
      boolean cacheable = text + audio + image >= 1024;
      session.cachedText = cacheable ? text / 64 * 64 : 0;
      session.cachedAudio = cacheable ? audio / 64 * 64 : 0;
      session.cachedImage = cacheable ? image : 0;
      session.contextText = text + t.outputText();
      session.contextAudio = audio + t.outputAudio();
    }
  }

  private String requestModel() {
    return route.requestModel() != null ? route.requestModel() : session.model;
  }

  private void recordMissing(String responseId) {
    record(responseId, "realtime", session.model, requestModel(), "missing", ExportTokens.ZERO, 0, "incomplete");
  }

  private void error(String type, String code, String message, String clientEventId) throws IOException {
    send(Json.obj("type", "error", "event_id", eventId(), "error", Json.obj("type", type, "code", code,
        "message", message, "param", null, "event_id", clientEventId)));
    record(null, "realtime", session.model, requestModel(), "none", ExportTokens.ZERO, 0, "error");
  }

  private void record(String responseId, String api, String model, String requestModel, String source,
      ExportTokens tokens, double seconds, String status) {
    endpoint.record(new GroundTruth(responseId, null, api, model, requestModel, 101, source, tokens.toMap(),
        seconds, 0, null, false, true, route.project(), null, 0, Instant.now(), route.host(), status,
        session.id, connectionId));
  }

  // ------------------------------------------------------------------ wire helpers

  private void send(Map<String, Object> event) throws IOException {
    ws.sendText(Json.write(event));
  }

  private void send(Map<String, Object> event, int frames) throws IOException {
    if (frames > 1) {
      ws.sendTextFragmented(Json.write(event), frames);
    } else {
      ws.sendText(Json.write(event));
    }
  }

  private Map<String, Object> event(String type) {
    return Json.obj("type", type, "event_id", eventId());
  }

  private String eventId() {
    return "event_" + Endpoints.hex(random, 20);
  }

  private String words(int n) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      if (i > 0) {
        sb.append(' ');
      }
      sb.append(WORDS[random.nextInt(WORDS.length)]);
    }
    return sb.toString();
  }

  /** Base64 audio of about {@code chars} characters (a multiple of 4), cut from the pool. */
  private String slice(int chars) {
    String pool = endpoint.audioPool();
    int n = Math.max(4, chars / 4 * 4);
    if (n <= pool.length()) {
      int start = random.nextInt((pool.length() - n) / 4 + 1) * 4;
      return pool.substring(start, start + n);
    }
    StringBuilder sb = new StringBuilder(n);
    while (sb.length() < n) {
      sb.append(pool, 0, Math.min(pool.length(), n - sb.length()));
    }
    return sb.toString();
  }

  private static long base64Length(String b64) {
    int n = b64.length();
    int pad = n > 0 && b64.charAt(n - 1) == '=' ? (n > 1 && b64.charAt(n - 2) == '=' ? 2 : 1) : 0;
    return (long) n / 4 * 3 - pad;
  }
}
