package dev.tokenledger.demo.realtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * A voice agent's Realtime traffic, one scenario per WebSocket connection, in this order:
 *
 * <ul>
 *   <li>{@code voice-agent}: instructions and input transcription set by {@code session.update}; a
 *       spoken turn (audio in, transcription, audio out), a turn that re-reads cached audio, a
 *       barge-in (the app cancels after a few deltas), a text+image turn, and an invalid client
 *       event (an {@code error})
 *   <li>{@code sideband}: a second connection by {@code call_id} to the same call (same session)
 *   <li>{@code reconnect}: a fresh connection after the others closed (a new session)
 *   <li>{@code transcription}: a transcription-only session billed by duration ({@code whisper-1})
 *   <li>{@code azure}: Azure OpenAI's preview path ({@code deployment}, {@code api-version}, beta
 *       event names, {@code api-key} header)
 *   <li>{@code faults}: failed, incomplete and server-cancelled responses, a malformed JSON frame (a
 *       cut delta; a cut copy of a {@code response.done} before the real one), a
 *       binary frame, events in many continuation frames, a several-MB delta, unknown events and
 *       fields, a response without {@code response.created}, without usage and with a malformed one,
 *       and an error
 *   <li>{@code app-close}: the application closes the connection in the middle of a response
 *   <li>{@code drop}: the server cuts the TCP connection in the middle of a response
 * </ul>
 *
 * <p>Not in {@link #ALL}, run only when named: {@code azure-query-key}, the {@code azure} scenario
 * with the key in Azure's {@code api-key} query parameter instead of the header (browsers cannot set
 * WebSocket headers, so Azure accepts both).
 */
final class RealtimeScenarios {

  static final List<String> ALL = List.of("voice-agent", "sideband", "reconnect", "transcription", "azure",
      "faults", "app-close", "drop");
  /** Every scenario that can be named. */
  static final List<String> KNOWN = List.of("voice-agent", "sideband", "reconnect", "transcription", "azure",
      "faults", "app-close", "drop", "azure-query-key");

  /** The instructions the app sends: must never reach telemetry. */
  static final String INSTRUCTIONS =
      "You are Marlowe, the billing voice agent of Kestrel Utilities. Speak calmly and briefly. "
          + "Never read out full account numbers; confirm the last four digits only. ".repeat(40);
  /** A typed user message: must never reach telemetry. */
  static final String USER_TEXT = "Here is a photo of my meter, reading 48213 kilowatt hours.";

  static final List<String> FAULTS = List.of("failed", "incomplete", "turn-detected", "malformed", "malformed-done", "binary",
      "fragmented", "huge", "unknown", "no-created", "no-usage", "malformed-usage", "error");

  private final URI base;
  private final String apiKey;
  private final String project;
  private final long paceMillis;
  private final IntConsumer onResponseDone;
  private final String callId;

  RealtimeScenarios(URI base, String apiKey, String project, long paceMillis, IntConsumer onResponseDone,
      String callId) {
    this.base = base;
    this.apiKey = apiKey;
    this.project = project;
    this.paceMillis = paceMillis;
    this.onResponseDone = onResponseDone;
    this.callId = callId;
  }

  /** What one scenario's connection ended as. */
  record Outcome(String status, String sha256, long messages, int responses) {}

  Outcome run(RealtimeTransport transport, String scenario) throws Exception {
    RealtimeConversation c = switch (scenario) {
      case "voice-agent" -> open(transport, "/v1/realtime?model=gpt-realtime&sim_call_id=" + callId, false);
      case "sideband" -> open(transport, "/v1/realtime?call_id=" + callId, false);
      case "reconnect", "app-close", "drop" -> open(transport, "/v1/realtime?model=gpt-realtime", false);
      case "transcription" -> open(transport, "/v1/realtime?intent=transcription", false);
      case "azure" -> open(transport,
          "/openai/realtime?api-version=2025-04-01-preview&deployment=gpt-4o-realtime-preview", true);
      case "azure-query-key" -> open(transport,
          "/openai/realtime?api-version=2025-04-01-preview&deployment=gpt-4o-realtime-preview&api-key="
              + java.net.URLEncoder.encode(apiKey, java.nio.charset.StandardCharsets.UTF_8), null);
      case "faults" -> open(transport, "/v1/realtime?model=gpt-realtime-mini", false);
      default -> throw new IllegalArgumentException("unknown scenario " + scenario);
    };
    String status = "closed";
    try {
      c.await("session.created");
      switch (scenario) {
        case "voice-agent" -> voiceAgent(c);
        case "sideband" -> c.respond("");
        case "reconnect" -> {
          c.speak(1200);
          c.respond("");
        }
        case "transcription" -> transcription(c);
        case "azure", "azure-query-key" -> azure(c);
        case "faults" -> faults(c);
        case "app-close" -> appClose(c);
        case "drop" -> drop(c);
        default -> throw new IllegalStateException(scenario);
      }
    } catch (RealtimeConversation.Ended e) {
      status = e.how.equals("closed") ? "closed-by-server" : "dropped";
    } finally {
      c.close();
    }
    return new Outcome(status, c.digestHex(), c.messages(), c.responses());
  }

  /** {@code azure}: the key in the api-key header (true), in Authorization (false), or only in the URL (null). */
  private RealtimeConversation open(RealtimeTransport transport, String pathAndQuery, Boolean azure)
      throws Exception {
    Map<String, String> headers = new LinkedHashMap<>();
    if (azure == null) {
      // the key is in the query
    } else if (azure) {
      headers.put("api-key", apiKey);
    } else {
      headers.put("Authorization", "Bearer " + apiKey);
    }
    if (project != null) {
      headers.put("OpenAI-Project", project);
    }
    return new RealtimeConversation(transport, URI.create(base + pathAndQuery), headers, paceMillis,
        onResponseDone);
  }

  private void voiceAgent(RealtimeConversation c) throws Exception {
    ObjectNode update = RealtimeConversation.event("session.update");
    ObjectNode session = update.putObject("session");
    session.put("type", "realtime").put("instructions", INSTRUCTIONS);
    session.putObject("audio").putObject("input").putObject("transcription").put("model", "gpt-4o-mini-transcribe");
    c.send(update);
    c.await("session.updated");
    // turn 1: the caller speaks, the agent answers
    c.speak(2000);
    c.await("conversation.item.input_audio_transcription.completed");
    c.respond("");
    // turn 2: the whole conversation is input again, much of it from the prompt cache
    c.speak(1500);
    c.await("conversation.item.input_audio_transcription.completed");
    c.respond("cached-audio");
    // turn 3: the caller interrupts the answer (barge-in): the app cancels
    c.speak(800);
    c.await("conversation.item.input_audio_transcription.completed");
    c.send(c.responseCreate("barge-in"));
    c.await("response.created"); // deltas are counted from here
    while (c.audioDeltas < 3) {
      c.await("response.output_audio.delta");
    }
    c.send(RealtimeConversation.event("response.cancel"));
    c.await("response.done");
    // turn 4: a typed message with a photo
    ObjectNode item = RealtimeConversation.event("conversation.item.create");
    ObjectNode message = item.putObject("item").put("type", "message").put("role", "user");
    message.putArray("content")
        .add(RealtimeConversation.event("input_text").put("text", USER_TEXT))
        .add(RealtimeConversation.event("input_image").put("image_url", "data:image/png;base64,iVBORw0KGgo="));
    c.send(item);
    c.await("conversation.item.added");
    c.respond("image");
    // a client bug: an event type that does not exist
    c.send(RealtimeConversation.event("response.crate"));
    c.await("error");
  }

  private void transcription(RealtimeConversation c) throws Exception {
    ObjectNode update = RealtimeConversation.event("session.update");
    ObjectNode session = update.putObject("session").put("type", "transcription");
    session.putObject("audio").putObject("input").putObject("transcription").put("model", "whisper-1");
    c.send(update);
    c.await("session.updated");
    for (long millis : new long[] {2400, 3100}) {
      c.speak(millis);
      c.await("conversation.item.input_audio_transcription.completed");
    }
  }

  private void azure(RealtimeConversation c) throws Exception {
    ObjectNode update = RealtimeConversation.event("session.update");
    update.putObject("session").put("instructions", INSTRUCTIONS)
        .putObject("input_audio_transcription").put("model", "gpt-4o-transcribe");
    c.send(update);
    c.await("session.updated");
    c.speak(1600);
    c.await("conversation.item.input_audio_transcription.completed");
    c.respond("");
  }

  private void faults(RealtimeConversation c) throws Exception {
    c.speak(1000);
    for (String fault : FAULTS) {
      if (fault.equals("error")) {
        c.send(c.responseCreate(fault));
        c.await("error");
      } else {
        JsonNode done = c.respond(fault);
        if (done == null) {
          throw new IllegalStateException("no response.done for " + fault);
        }
      }
    }
  }

  private void appClose(RealtimeConversation c) throws Exception {
    c.speak(600);
    c.respond("");
    // the simulator holds the answer after two deltas, so nothing is in flight when the app closes
    c.send(c.responseCreate("hold"));
    c.await("response.created"); // deltas are counted from here
    while (c.audioDeltas < 2) {
      c.await("response.output_audio.delta");
    }
    // the user hung up: the app closes while the answer is still playing
  }

  private void drop(RealtimeConversation c) throws Exception {
    c.speak(600);
    c.respond("");
    c.respond("drop");
  }
}
