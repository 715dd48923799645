package dev.tokenledger.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The simulator's Realtime WebSocket endpoint, driven by a real client (java.net.http): every
 * scripted scenario sends the events it promises, the ground truth equals the usage that was sent
 * (read back from the events with the mapping of docs/token-vocabulary.md#realtime), and the digest of what the client
 * received equals the one the simulator recorded.
 */
class RealtimeSimulatorTest {

  static OpenAiSimulator sim;
  static final String INSTRUCTIONS = "You are a calm billing assistant. ".repeat(150);

  @BeforeAll
  static void start() {
    sim = OpenAiSimulator.start(0);
  }

  @AfterAll
  static void stop() {
    sim.close();
  }

  @BeforeEach
  void reset() {
    sim.reset();
  }

  @Test
  void handshakesWithoutKeyOrModelOrOnUnknownPathsAreRefused() {
    assertEquals(401, handshakeStatus("/v1/realtime?model=gpt-realtime", Map.of()));
    assertEquals(400, handshakeStatus("/v1/realtime", Map.of("Authorization", "Bearer sk-x")));
    assertEquals(404, handshakeStatus("/v1/realtime/translations?model=x", Map.of("Authorization", "Bearer sk-x")));
    assertEquals(400, handshakeStatus("/openai/realtime?deployment=d", Map.of("api-key", "k")));
    assertTrue(sim.groundTruth().isEmpty(), "a refused handshake bills nothing");
  }

  private static int handshakeStatus(String path, Map<String, String> headers) {
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> RealtimeTestClient.connect(sim, path, headers));
    Throwable cause = e.getCause();
    assertTrue(cause instanceof WebSocketHandshakeException, () -> "not a handshake refusal: " + cause);
    return ((WebSocketHandshakeException) cause).getResponse().statusCode();
  }

  @Test
  void aVoiceTurnBillsTheTranscriptionAndTheResponseExactlyAsSent() throws Exception {
    List<RealtimeTestClient.Received> seen = new ArrayList<>();
    String sessionId;
    try (RealtimeTestClient c = RealtimeTestClient.connect(sim, "/v1/realtime?model=gpt-realtime")) {
      Map<String, Object> created = c.await("session.created").json();
      sessionId = (String) Json.path(created, "session", "id");
      assertEquals("gpt-realtime-2025-08-28", Json.path(created, "session", "model"));
      c.send(Json.obj("type", "session.update", "session", Json.obj("type", "realtime", "instructions", INSTRUCTIONS,
          "audio", Json.obj("input", Json.obj("transcription", Json.obj("model", "gpt-4o-mini-transcribe"))))));
      assertEquals("gpt-4o-mini-transcribe",
          Json.path(c.await("session.updated").json(), "session", "audio", "input", "transcription", "model"));
      for (int turn = 0; turn < 3; turn++) {
        c.speak(2000);
        Map<String, Object> transcription = c.await("conversation.item.input_audio_transcription.completed").json();
        assertEquals("tokens", Json.path(transcription, "usage", "type"));
        c.send(Json.obj("type", "response.create", "response", Json.obj("metadata", Json.obj("topic", "billing"))));
        List<RealtimeTestClient.Received> during = new ArrayList<>();
        c.await("response.done", during);
        seen.addAll(during);
        assertEquals("response.created", during.get(0).type());
        assertTrue(during.stream().filter(r -> "response.output_audio.delta".equals(r.type())).count() >= 10,
            "audio arrives in deltas");
        // 100 ms of 24 kHz PCM16 per delta, base64: 6,400 characters
        int deltaChars = during.stream().filter(r -> "response.output_audio.delta".equals(r.type()))
            .map(r -> ((String) r.json().get("delta")).length()).findFirst().orElseThrow();
        assertEquals(6400, deltaChars);
      }
    }
    assertTrue(sim.awaitRealtimeIdle(1, Duration.ofSeconds(5)));
    List<GroundTruth> truth = sim.groundTruth();
    assertEquals(6, truth.size());
    List<GroundTruth> responses = truth.stream().filter(g -> g.api().equals("realtime")).toList();
    List<GroundTruth> transcriptions = truth.stream().filter(g -> g.api().equals("realtime.transcription")).toList();
    assertEquals(3, responses.size());
    assertEquals(3, transcriptions.size());
    for (GroundTruth g : truth) {
      assertEquals(sessionId, g.sessionId());
      assertEquals("reported", g.usageSource());
      assertEquals("completed", g.status());
      assertEquals("", ExportTokens.invariantViolations(g.tokens()));
      assertNotNull(g.connectionId());
    }
    assertEquals("gpt-realtime-2025-08-28", responses.get(0).model());
    assertEquals("gpt-realtime", responses.get(0).requestModel());
    assertEquals("gpt-4o-mini-transcribe", transcriptions.get(0).model());
    assertEquals(0, responses.get(0).token("input_cached_tokens"), "nothing is cached before the first response");
    assertTrue(responses.get(2).token("input_cached_audio_tokens") > 0, "later responses re-read cached audio");
    assertTrue(responses.get(2).token("input_cached_text_tokens") > 0, "and cached instructions");
    assertTrue(responses.get(0).token("output_audio_tokens") > 0);
    RealtimeConnectionTruth connection = sim.realtimeConnections().get(0);
    assertEquals("client-close", connection.end());
    assertEquals(3, connection.responses());
    assertEquals(sessionId, connection.sessionId());
  }

  @Test
  void groundTruthEqualsTheUsageInTheEventsAndTheClientSawEveryMessage() throws Exception {
    String digest;
    int received;
    List<Map<String, Object>> done = new ArrayList<>();
    List<Map<String, Object>> transcriptions = new ArrayList<>();
    try (RealtimeTestClient c = RealtimeTestClient.connect(sim, "/v1/realtime?model=gpt-realtime-mini")) {
      c.send(Json.obj("type", "session.update", "session", Json.obj("instructions", INSTRUCTIONS,
          "audio", Json.obj("input", Json.obj("transcription", Json.obj("model", "gpt-4o-transcribe"))))));
      c.await("session.updated");
      for (String fault : List.of("", "cached-audio", "image", "incomplete", "failed", "fragmented", "unknown",
          "turn-detected")) {
        c.speak(1500);
        transcriptions.add(c.await("conversation.item.input_audio_transcription.completed").json());
        c.send(Json.obj("type", "response.create", "response", Json.obj("metadata", Json.obj("sim", fault))));
        done.add(c.await("response.done").json());
      }
      c.send(Json.obj("type", "input_audio_buffer.clear"));
      c.await("input_audio_buffer.cleared");
      // let anything in flight arrive before reading the digest
      Thread.sleep(100);
      digest = c.digestHex();
      received = c.received();
    }
    assertTrue(sim.awaitRealtimeIdle(1, Duration.ofSeconds(5)));
    RealtimeConnectionTruth connection = sim.realtimeConnections().get(0);
    assertEquals(digest, connection.sentSha256(), "the client received exactly the messages sent");
    assertEquals(received, connection.messagesSent());

    List<GroundTruth> responses = sim.groundTruth().stream().filter(g -> g.api().equals("realtime")).toList();
    List<GroundTruth> asr = sim.groundTruth().stream().filter(g -> g.api().equals("realtime.transcription")).toList();
    assertEquals(done.size(), responses.size());
    for (int i = 0; i < done.size(); i++) {
      Map<String, Object> response = (Map<String, Object>) done.get(i).get("response");
      GroundTruth g = responses.get(i);
      assertEquals(response.get("id"), g.responseId());
      assertEquals(response.get("status"), g.status());
      assertEquals(exportFieldsOfRealtimeUsage(Json.path(response, "usage")), g.tokens(), "response " + i);
    }
    assertEquals(List.of("completed", "completed", "completed", "incomplete", "failed", "completed", "completed",
        "cancelled"), responses.stream().map(GroundTruth::status).toList());
    assertTrue(responses.get(1).token("input_cached_audio_tokens") > 0, "cached-audio");
    assertTrue(responses.get(2).token("input_image_tokens") > 0, "image");
    assertTrue(responses.get(3).token("input_cached_image_tokens") > 0, "the image is cached afterwards");
    assertEquals("turn_detected", Json.path(done.get(7), "response", "status_details", "reason"));
    assertEquals(77L, Json.path(done.get(6), "response", "usage", "sim_future_tokens"), "unknown fields");
    for (int i = 0; i < transcriptions.size(); i++) {
      Map<String, Object> u = (Map<String, Object>) transcriptions.get(i).get("usage");
      GroundTruth g = asr.get(i);
      assertEquals(transcriptions.get(i).get("item_id"), g.responseId());
      assertEquals(((Number) u.get("input_tokens")).longValue(), g.token("input_tokens"));
      assertEquals(((Number) Json.path(u, "input_token_details", "audio_tokens")).longValue(), g.token("input_audio_tokens"));
      assertEquals(((Number) Json.path(u, "input_token_details", "text_tokens")).longValue(), g.token("input_text_tokens"));
      assertEquals(((Number) u.get("output_tokens")).longValue(), g.token("output_text_tokens"));
    }
  }

  /** docs/token-vocabulary.md#mapping-table, Realtime column: the inverse of what the simulator writes. */
  @SuppressWarnings("unchecked")
  static Map<String, Long> exportFieldsOfRealtimeUsage(Object usageObject) {
    Map<String, Object> u = (Map<String, Object>) usageObject;
    long input = n(u.get("input_tokens"));
    long cached = n(Json.path(u, "input_token_details", "cached_tokens"));
    long cachedText = n(Json.path(u, "input_token_details", "cached_tokens_details", "text_tokens"));
    long cachedAudio = n(Json.path(u, "input_token_details", "cached_tokens_details", "audio_tokens"));
    long cachedImage = n(Json.path(u, "input_token_details", "cached_tokens_details", "image_tokens"));
    Map<String, Long> m = new LinkedHashMap<>();
    m.put("input_tokens", input);
    m.put("output_tokens", n(u.get("output_tokens")));
    m.put("input_cached_tokens", cached);
    m.put("input_cache_write_tokens", 0L);
    m.put("input_uncached_tokens", input - cached);
    m.put("input_text_tokens", n(Json.path(u, "input_token_details", "text_tokens")) - cachedText);
    m.put("input_audio_tokens", n(Json.path(u, "input_token_details", "audio_tokens")) - cachedAudio);
    m.put("input_image_tokens", n(Json.path(u, "input_token_details", "image_tokens")) - cachedImage);
    m.put("input_cached_text_tokens", cachedText);
    m.put("input_cached_audio_tokens", cachedAudio);
    m.put("input_cached_image_tokens", cachedImage);
    m.put("output_text_tokens", n(Json.path(u, "output_token_details", "text_tokens")));
    m.put("output_audio_tokens", n(Json.path(u, "output_token_details", "audio_tokens")));
    m.put("output_image_tokens", 0L);
    m.put("output_reasoning_tokens", 0L);
    return m;
  }

  private static long n(Object v) {
    return ((Number) v).longValue();
  }

  @Test
  void bargeInCancelBillsWhatWasGenerated() throws Exception {
    try (RealtimeTestClient c = RealtimeTestClient.connect(sim, "/v1/realtime?model=gpt-realtime")) {
      c.speak(1000);
      c.send(Json.obj("type", "response.create", "response", Json.obj("metadata", Json.obj("sim", "barge-in"))));
      for (int i = 0; i < 3; i++) {
        c.await("response.output_audio.delta");
      }
      c.send(Json.obj("type", "response.cancel"));
      Map<String, Object> done = c.await("response.done").json();
      assertEquals("cancelled", Json.path(done, "response", "status"));
      assertEquals("client_cancelled", Json.path(done, "response", "status_details", "reason"));
      long audioOut = n(Json.path(done, "response", "usage", "output_token_details", "audio_tokens"));
      assertTrue(audioOut > 0 && audioOut < 400 * 2, "billed for the audio generated before the cut: " + audioOut);
      // a cancel with nothing playing is an error event, billed as nothing
      c.send(Json.obj("type", "response.cancel"));
      assertEquals("response_cancel_not_active", Json.path(c.await("error").json(), "error", "code"));
    }
    List<GroundTruth> truth = sim.groundTruth();
    assertEquals(List.of("cancelled", "error"), truth.stream().map(GroundTruth::status).toList());
    assertEquals(List.of("reported", "none"), truth.stream().map(GroundTruth::usageSource).toList());
  }

  @Test
  void errorsAreRecordedAsUnbilledErrors() throws Exception {
    try (RealtimeTestClient c = RealtimeTestClient.connect(sim, "/v1/realtime?model=gpt-realtime")) {
      c.send(Json.obj("type", "response.crate"));
      assertEquals("invalid_event", Json.path(c.await("error").json(), "error", "code"));
      c.ws.sendText("{not json", true).join();
      assertEquals("invalid_json", Json.path(c.await("error").json(), "error", "code"));
      c.send(Json.obj("type", "response.create", "response", Json.obj("metadata", Json.obj("sim", "error"))));
      c.await("error");
      c.send(Json.obj("type", "input_audio_buffer.commit"));
      assertEquals("input_audio_buffer_commit_empty", Json.path(c.await("error").json(), "error", "code"));
    }
    List<GroundTruth> truth = sim.groundTruth();
    assertEquals(4, truth.size());
    for (GroundTruth g : truth) {
      assertEquals("none", g.usageSource());
      assertEquals("error", g.status());
      assertEquals(0, g.token("input_tokens"));
      assertNull(g.responseId());
    }
    assertTrue(UsageExport.completionsDaily(truth).isEmpty(), "errors are not in the export");
  }

  @Test
  void aDroppedConnectionLeavesTheResponseMissingAndIncomplete() throws Exception {
    String responseId;
    RealtimeTestClient c = RealtimeTestClient.connect(sim, "/v1/realtime?model=gpt-realtime");
    c.send(Json.obj("type", "response.create", "response", Json.obj("metadata", Json.obj("sim", "drop"))));
    responseId = (String) Json.path(c.await("response.created").json(), "response", "id");
    c.await("response.output_audio.delta");
    RealtimeTestClient.Received end;
    do {
      end = c.inbox.poll(10, java.util.concurrent.TimeUnit.SECONDS);
      assertNotNull(end, "the connection must end");
    } while (end != RealtimeTestClient.CLOSED && end != RealtimeTestClient.FAILED);
    assertFalse(c.all.stream().anyMatch(r -> "response.done".equals(r.type())));
    assertTrue(sim.awaitRealtimeIdle(1, Duration.ofSeconds(5)));
    GroundTruth g = sim.groundTruth().get(0);
    assertEquals(responseId, g.responseId());
    assertEquals("missing", g.usageSource());
    assertEquals("incomplete", g.status());
    assertEquals(0, g.token("input_tokens") + g.token("output_tokens"));
    RealtimeConnectionTruth connection = sim.realtimeConnections().get(0);
    assertEquals("drop", connection.end());
    assertEquals(c.digestHex(), connection.sentSha256(), "everything sent before the cut arrived: client got " + c.all.size() + " of " + connection.messagesSent());
  }

  @ParameterizedTest
  @ValueSource(strings = {"malformed", "malformed-done", "binary", "huge", "no-created", "no-usage", "malformed-usage"})
  void faultModelsSendWhatTheySayAndBillOnlyWhatIsReadable(String fault) throws Exception {
    List<RealtimeTestClient.Received> during = new ArrayList<>();
    Map<String, Object> done;
    String digest;
    try (RealtimeTestClient c = RealtimeTestClient.connect(sim, "/v1/realtime?model=gpt-realtime")) {
      c.speak(500);
      c.send(Json.obj("type", "response.create", "response", Json.obj("metadata", Json.obj("sim", fault))));
      done = c.await("response.done", during).json();
      Thread.sleep(50);
      digest = c.digestHex();
    }
    GroundTruth g = sim.groundTruth().get(0);
    switch (fault) {
      case "malformed", "malformed-done" -> assertTrue(during.stream().anyMatch(r -> r.text() && r.type() == null),
          "a text message that is not JSON");
      case "binary" -> assertTrue(during.stream().anyMatch(r -> !r.text()), "a binary message");
      case "huge" -> assertTrue(during.stream().anyMatch(r -> r.string() != null && r.string().length() > 6_000_000),
          "a delta of several MB");
      case "no-created" -> assertFalse(during.stream().anyMatch(r -> "response.created".equals(r.type())));
      case "no-usage" -> assertFalse(((Map<?, ?>) done.get("response")).containsKey("usage"));
      case "malformed-usage" -> assertEquals("unavailable", Json.path(done, "response", "usage"));
      default -> throw new AssertionError(fault);
    }
    if (fault.endsWith("usage")) {
      assertEquals("missing", g.usageSource());
      assertEquals(0, g.token("input_tokens"));
    } else {
      assertEquals("reported", g.usageSource());
      assertEquals(exportFieldsOfRealtimeUsage(Json.path(done, "response", "usage")), g.tokens());
    }
    assertEquals("completed", g.status());
    assertTrue(sim.awaitRealtimeIdle(1, Duration.ofSeconds(5)));
    assertEquals(digest, sim.realtimeConnections().get(0).sentSha256());
  }

  @Test
  void aClientThatClosesDuringAHeldResponseLeavesItMissingAndSawEverythingSent() throws Exception {
    String digest;
    String responseId;
    try (RealtimeTestClient c = RealtimeTestClient.connect(sim, "/v1/realtime?model=gpt-realtime")) {
      c.send(Json.obj("type", "response.create", "response", Json.obj("metadata", Json.obj("sim", "hold"))));
      responseId = (String) Json.path(c.await("response.created").json(), "response", "id");
      c.await("response.output_audio.delta");
      c.await("response.output_audio.delta");
      Thread.sleep(200);
      digest = c.digestHex();
    }
    assertTrue(sim.awaitRealtimeIdle(1, Duration.ofSeconds(5)));
    RealtimeConnectionTruth connection = sim.realtimeConnections().get(0);
    assertEquals("client-close", connection.end());
    assertEquals(digest, connection.sentSha256(), "nothing was sent after the held deltas");
    GroundTruth g = sim.groundTruth().get(0);
    assertEquals(responseId, g.responseId());
    assertEquals("missing", g.usageSource());
    assertEquals("incomplete", g.status());
  }

  @Test
  void fragmentedEventsArriveInManyFrames() throws Exception {
    try (RealtimeTestClient c = RealtimeTestClient.connect(sim, "/v1/realtime?model=gpt-realtime")) {
      c.send(Json.obj("type", "response.create", "response", Json.obj("metadata", Json.obj("sim", "fragmented"))));
      RealtimeTestClient.Received done = c.await("response.done");
      assertTrue(done.parts() > 1, "response.done came in " + done.parts() + " parts");
    }
  }

  @Test
  void sidebandConnectionsJoinTheCallsSessionAndReconnectsGetNewOnes() throws Exception {
    String first;
    String sideband;
    String reconnect;
    try (RealtimeTestClient c = RealtimeTestClient.connect(sim, "/v1/realtime?model=gpt-realtime&sim_call_id=rtc_abc")) {
      first = (String) Json.path(c.await("session.created").json(), "session", "id");
      c.send(Json.obj("type", "response.create"));
      c.await("response.done");
    }
    try (RealtimeTestClient c = RealtimeTestClient.connect(sim, "/v1/realtime?call_id=rtc_abc")) {
      Map<String, Object> created = c.await("session.created").json();
      sideband = (String) Json.path(created, "session", "id");
      assertEquals("gpt-realtime-2025-08-28", Json.path(created, "session", "model"));
      c.send(Json.obj("type", "response.create"));
      c.await("response.done");
    }
    try (RealtimeTestClient c = RealtimeTestClient.connect(sim, "/v1/realtime?model=gpt-realtime")) {
      reconnect = (String) Json.path(c.await("session.created").json(), "session", "id");
      c.send(Json.obj("type", "response.create"));
      c.await("response.done");
    }
    assertEquals(first, sideband);
    assertNotEquals(first, reconnect);
    assertTrue(sim.awaitRealtimeIdle(3, Duration.ofSeconds(5)));
    List<GroundTruth> truth = sim.groundTruth();
    assertEquals(List.of(first, first, reconnect), truth.stream().map(GroundTruth::sessionId).toList());
    assertEquals(3, truth.stream().map(GroundTruth::connectionId).distinct().count());
    assertEquals("gpt-realtime-2025-08-28", truth.get(1).requestModel(), "a sideband URL names no model: the session's");
    assertTrue(truth.get(1).token("input_cached_tokens") >= 0);
  }

  @Test
  void transcriptionOnlySessionsBillByDurationForWhisper() throws Exception {
    try (RealtimeTestClient c = RealtimeTestClient.connect(sim, "/v1/realtime?intent=transcription")) {
      assertEquals("transcription", Json.path(c.await("session.created").json(), "session", "type"));
      c.send(Json.obj("type", "session.update", "session", Json.obj("type", "transcription",
          "audio", Json.obj("input", Json.obj("transcription", Json.obj("model", "whisper-1"))))));
      c.await("session.updated");
      c.speak(3200);
      Map<String, Object> completed = c.await("conversation.item.input_audio_transcription.completed").json();
      assertEquals("duration", Json.path(completed, "usage", "type"));
      assertEquals(3.2, ((Number) Json.path(completed, "usage", "seconds")).doubleValue(), 1e-9);
    }
    GroundTruth g = sim.groundTruth().get(0);
    assertEquals("realtime.transcription", g.api());
    assertEquals("whisper-1", g.model());
    assertEquals(3.2, g.audioSeconds(), 1e-9);
    assertEquals(0, g.token("input_tokens"));
    assertTrue(UsageExport.completionsDaily(sim.groundTruth()).isEmpty(),
        "transcriptions are billed at the ASR model's prices, not in the completions export");
  }

  @Test
  void azurePreviewSpeaksTheBetaProtocolAndNamesTheDeployment() throws Exception {
    try (RealtimeTestClient c = RealtimeTestClient.connect(sim,
        "/openai/realtime?api-version=2025-04-01-preview&deployment=gpt-4o-realtime-preview", Map.of("api-key", "k"))) {
      Map<String, Object> created = c.await("session.created").json();
      assertEquals("realtime.session", Json.path(created, "session", "object"));
      assertNull(Json.path(created, "session", "type"), "beta sessions have no type");
      c.send(Json.obj("type", "response.create"));
      List<RealtimeTestClient.Received> during = new ArrayList<>();
      c.await("response.done", during);
      assertTrue(during.stream().anyMatch(r -> "response.audio.delta".equals(r.type())));
    }
    GroundTruth g = sim.groundTruth().get(0);
    assertEquals("gpt-4o-realtime-preview", g.requestModel());
    assertEquals("gpt-4o-realtime-preview-2024-12-17", g.model());
    List<UsageExport.Row> export = UsageExport.completionsDaily(sim.groundTruth());
    assertEquals(1, export.size(), "realtime responses are in the completions export");
    assertEquals(g.token("input_cached_audio_tokens"), export.get(0).tokens().get("input_cached_audio_tokens"));
  }

  @Test
  void groundTruthRoundTripsThroughJsonWithItsRealtimeFields() throws Exception {
    try (RealtimeTestClient c = RealtimeTestClient.connect(sim, "/v1/realtime?model=gpt-realtime")) {
      c.send(Json.obj("type", "response.create"));
      c.await("response.done");
    }
    GroundTruth g = sim.groundTruth().get(0);
    assertEquals(g, GroundTruth.fromJson(g.toJson()));
    assertTrue(sim.awaitRealtimeIdle(1, Duration.ofSeconds(5)));
    RealtimeConnectionTruth rc = sim.realtimeConnections().get(0);
    assertEquals(rc, RealtimeConnectionTruth.fromJson(rc.toJson()));
  }
}
