package dev.tokenledger.realtime;

import dev.tokenledger.usage.OpenAiApi;
import dev.tokenledger.usage.UsageShape;
import static dev.tokenledger.realtime.RealtimeFixtures.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.usage.Json;
import dev.tokenledger.usage.ResponseUsage;
import dev.tokenledger.usage.TokenUsage;
import dev.tokenledger.usage.UsageField;
import dev.tokenledger.usage.UsageParser;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The per-connection state machine, fed through the real reader: one record per response.done of
 * any status and per transcription completion, emitted at once; missing records for responses the
 * connection lost; nothing twice, nothing invented. Expected token fields are the parser's mapping
 * of the fixture's own usage object, plus the fixture's numbers checked by hand once.
 */
class RealtimeConnectionStateTest {

  static final class Recorded {
    final ResponseUsage usage;
    final String requestModel;
    final Object handle;

    Recorded(ResponseUsage usage, String requestModel, Object handle) {
      this.usage = usage;
      this.requestModel = requestModel;
      this.handle = handle;
    }
  }

  final List<Recorded> records = new ArrayList<>();
  final List<String> started = new ArrayList<>();
  final List<String> sessions = new ArrayList<>();
  final List<String> errors = new ArrayList<>();

  final RealtimeConnectionState.Sink sink =
      new RealtimeConnectionState.Sink() {
        @Override
        public Object responseStarted(String responseId, String model) {
          started.add(responseId + "@" + model);
          return "span:" + responseId;
        }

        @Override
        public void sessionIdentified(String sessionId, String model) {
          sessions.add(sessionId + "@" + model);
        }

        @Override
        public void record(ResponseUsage usage, String requestModel, Object handle) {
          records.add(new Recorded(usage, requestModel, handle));
        }

        @Override
        public void error(String errorType, String errorCode) {
          errors.add(errorType + "/" + errorCode);
        }
      };

  private RealtimeConnectionState connect(String urlModel) {
    return new RealtimeConnectionState(sink, urlModel);
  }

  private static void send(RealtimeConnectionState state, String... messages) {
    RealtimeMessageReader reader = new RealtimeMessageReader(state);
    for (String message : messages) {
      reader.onText(message, true);
    }
  }

  private static TokenUsage expectedRealtime(String responseDone) {
    return UsageShape.REALTIME.parse(
        Json.parseObject(responseDone).getObject("response").getObject("usage"));
  }

  @Test
  void completedResponseIsOneReportedRecordAtItsDone() {
    RealtimeConnectionState state = connect("gpt-realtime");
    RealtimeMessageReader reader = new RealtimeMessageReader(state);
    reader.onText(SESSION_CREATED, true);
    assertEquals(List.of("sess_C9G5QPteg4UIbo@gpt-realtime-2025-08-28"), sessions);
    reader.onText(RESPONSE_CREATED, true);
    assertEquals(List.of("resp_CCXHw0UJld@gpt-realtime"), started);
    assertEquals(1, state.openResponses());
    reader.onText(audioDelta("resp_CCXHw0UJld", 100), true);
    assertTrue(records.isEmpty(), "nothing before response.done");
    reader.onText(RESPONSE_DONE_COMPLETED, true);

    assertEquals(1, records.size(), "emitted the moment response.done was read");
    Recorded r = records.get(0);
    assertEquals(OpenAiApi.REALTIME, r.usage.api());
    assertEquals("reported", r.usage.source());
    assertEquals("completed", r.usage.status());
    assertEquals("resp_CCXHw0UJld", r.usage.responseId());
    assertEquals("gpt-realtime-2025-08-28", r.usage.responseModel());
    assertEquals("gpt-realtime", r.requestModel, "the URL's model is the requested one");
    assertEquals("span:resp_CCXHw0UJld", r.handle);
    assertEquals(expectedRealtime(RESPONSE_DONE_COMPLETED), r.usage.usage());
    // The fixture by hand: text 1150 and audio 830 include cached 1000 and 600.
    TokenUsage u = r.usage.usage();
    assertEquals(1980, u.get(UsageField.INPUT_TOKENS));
    assertEquals(1600, u.get(UsageField.INPUT_CACHED_TOKENS));
    assertEquals(150, u.get(UsageField.INPUT_TEXT_TOKENS));
    assertEquals(230, u.get(UsageField.INPUT_AUDIO_TOKENS));
    assertEquals(1000, u.get(UsageField.INPUT_CACHED_TEXT_TOKENS));
    assertEquals(600, u.get(UsageField.INPUT_CACHED_AUDIO_TOKENS));
    assertEquals(320, u.get(UsageField.OUTPUT_AUDIO_TOKENS));
    assertEquals(95, u.get(UsageField.OUTPUT_TEXT_TOKENS));
    assertNull(u.invariantViolation());
    assertEquals(0, state.openResponses());

    state.end("closed with status 1000");
    assertEquals(1, records.size(), "a finished response is not recorded again at the end");
  }

  @Test
  void everyStatusIsBilled() {
    RealtimeConnectionState state = connect(null);
    send(state, SESSION_CREATED);
    String[] statuses = {"completed", "cancelled", "failed", "incomplete"};
    for (int i = 0; i < statuses.length; i++) {
      send(state, responseCreated("resp_" + i), responseDone("resp_" + i, statuses[i]));
    }
    send(state, RESPONSE_DONE_CANCELLED);
    assertEquals(5, records.size());
    for (int i = 0; i < statuses.length; i++) {
      assertEquals(statuses[i], records.get(i).usage.status());
      assertEquals("reported", records.get(i).usage.source());
      assertEquals("resp_" + i, records.get(i).usage.responseId());
      assertEquals("gpt-realtime-2025-08-28", records.get(i).requestModel, "no URL model: the session's");
    }
    Recorded cancelled = records.get(4);
    assertEquals("cancelled", cancelled.usage.status());
    assertEquals(expectedRealtime(RESPONSE_DONE_CANCELLED), cancelled.usage.usage());
    assertNull(cancelled.handle, "no response.created was seen for it");
  }

  @Test
  void transcriptionsAreBilledAtTheTranscriptionModel() {
    RealtimeConnectionState state = connect("gpt-realtime");
    send(state, SESSION_CREATED, TRANSCRIPTION_TOKENS, TRANSCRIPTION_DURATION);
    assertEquals(2, records.size());
    Recorded tokens = records.get(0);
    assertEquals(OpenAiApi.REALTIME_TRANSCRIPTION, tokens.usage.api());
    assertEquals("gpt-4o-mini-transcribe", tokens.usage.responseModel());
    assertEquals("gpt-4o-mini-transcribe", tokens.requestModel);
    assertEquals("item_CCXGQ4e1ht", tokens.usage.responseId());
    assertEquals("completed", tokens.usage.status());
    assertEquals("reported", tokens.usage.source());
    assertEquals(UsageShape.TRANSCRIPTION.parse(Json.parseObject(TRANSCRIPTION_TOKENS).getObject("usage")),
        tokens.usage.usage());
    assertEquals(58, tokens.usage.usage().get(UsageField.INPUT_AUDIO_TOKENS));
    assertEquals(14, tokens.usage.usage().get(UsageField.OUTPUT_TEXT_TOKENS));

    Recorded duration = records.get(1);
    assertEquals(3.2, duration.usage.usage().audioSeconds());
    assertTrue(duration.usage.usage().isZeroTokens());
    assertEquals("reported", duration.usage.source());
    assertTrue(started.isEmpty(), "transcriptions have no response span");
  }

  @Test
  void betaTranscriptionModelIsUsed() {
    RealtimeConnectionState state = connect(null);
    send(state, SESSION_UPDATED_BETA, TRANSCRIPTION_DURATION);
    assertEquals("whisper-1", records.get(0).usage.responseModel());
  }

  @Test
  void errorsAreCountedNotRecorded() {
    RealtimeConnectionState state = connect("gpt-realtime");
    send(state, SESSION_CREATED, ERROR);
    assertEquals(List.of("invalid_request_error/invalid_event"), errors);
    assertTrue(records.isEmpty());
  }

  @Test
  void droppedMidResponseIsOneMissingRecord() {
    RealtimeConnectionState state = connect("gpt-realtime");
    send(state, SESSION_CREATED, RESPONSE_CREATED, audioDelta("resp_CCXHw0UJld", 100));
    state.end("failed with java.io.EOFException");
    state.end("closed with status 1006");
    send(state, RESPONSE_DONE_COMPLETED);
    assertEquals(1, records.size());
    Recorded r = records.get(0);
    assertEquals("missing", r.usage.source());
    assertEquals("incomplete", r.usage.status());
    assertEquals("resp_CCXHw0UJld", r.usage.responseId());
    assertTrue(r.usage.usage().isZeroTokens(), "never invented");
    assertEquals("span:resp_CCXHw0UJld", r.handle, "its span is ended with the record");
    assertTrue(r.usage.diagnostic().contains("EOFException"), r.usage.diagnostic());
  }

  @Test
  void duplicateAndOutOfOrderEventsRecordOnce() {
    RealtimeConnectionState state = connect("gpt-realtime");
    send(state, SESSION_CREATED, RESPONSE_DONE_COMPLETED, RESPONSE_CREATED, RESPONSE_DONE_COMPLETED, RESPONSE_CREATED);
    assertEquals(1, records.size(), "done, then a late created and a repeated done: one record");
    assertTrue(started.isEmpty(), "a created after its done opens nothing");
    state.end("closed");
    assertEquals(1, records.size(), "and nothing is missing at the end");
  }

  @Test
  void doneWithoutUsageIsMissing() {
    RealtimeConnectionState state = connect("gpt-realtime");
    String noUsage = "{\"type\":\"response.done\",\"response\":{\"id\":\"resp_1\",\"status\":\"failed\",\"usage\":null}}";
    String notUsage = "{\"type\":\"response.done\",\"response\":{\"id\":\"resp_3\",\"usage\":\"unavailable\"}}";
    String noCounts = "{\"type\":\"response.done\",\"response\":{\"id\":\"resp_4\",\"status\":\"completed\",\"usage\":{\"note\":1}}}";
    send(state, noUsage, notUsage, noCounts);
    assertEquals(3, records.size());
    for (Recorded r : records) {
      assertEquals("missing", r.usage.source(), r.usage.toString());
      assertTrue(r.usage.usage().isZeroTokens());
      assertNotNull(r.usage.diagnostic());
    }
    assertEquals("failed", records.get(0).usage.status(), "the status is the response's own");
    assertEquals("incomplete", records.get(1).usage.status(), "no status sent, no usage: not completed");
    assertEquals("completed", records.get(2).usage.status());
    state.end("closed");
    assertEquals(3, records.size());
  }

  /**
   * A malformed message claiming to be a response.done does not end its response: the readable one
   * that follows is recorded; if none follows, the response is missing, with the reason.
   */
  @Test
  void anUnreadableDoneDoesNotEndItsResponse() {
    RealtimeConnectionState state = connect("gpt-realtime");
    String broken = "{\"type\":\"response.done\",\"response\":{\"id\":\"resp_CCXHw0UJld\",\"status\":\"completed\","
        + "\"usage\":{\"input_tokens\":12,";
    send(state, SESSION_CREATED, RESPONSE_CREATED, broken);
    assertTrue(records.isEmpty());
    send(state, RESPONSE_DONE_COMPLETED);
    assertEquals(1, records.size());
    assertEquals("reported", records.get(0).usage.source());
    assertEquals(expectedRealtime(RESPONSE_DONE_COMPLETED), records.get(0).usage.usage());
    assertEquals("span:resp_CCXHw0UJld", records.get(0).handle);

    send(state, broken.replace("resp_CCXHw0UJld", "resp_B"), responseCreated("resp_B"));
    state.end("closed with status 1000");
    assertEquals(2, records.size());
    Recorded lost = records.get(1);
    assertEquals("resp_B", lost.usage.responseId());
    assertEquals("missing", lost.usage.source());
    assertEquals("incomplete", lost.usage.status());
    assertTrue(lost.usage.diagnostic().contains("unreadable"), lost.usage.diagnostic());
    assertTrue(lost.usage.usage().isZeroTokens());
  }

  @Test
  void transcriptionWithoutUsageIsMissing() {
    RealtimeConnectionState state = connect(null);
    send(state, "{\"type\":\"conversation.item.input_audio_transcription.completed\",\"item_id\":\"item_1\"}");
    assertEquals("missing", records.get(0).usage.source());
    assertEquals(OpenAiApi.REALTIME_TRANSCRIPTION, records.get(0).usage.api());
  }

  @Test
  void openResponsesAreBounded() {
    RealtimeConnectionState state = connect("m");
    for (int i = 0; i <= RealtimeConnectionState.MAX_OPEN_RESPONSES; i++) {
      send(state, responseCreated("resp_" + i));
    }
    assertEquals(1, records.size(), "the oldest is given up as missing");
    assertEquals("resp_0", records.get(0).usage.responseId());
    assertEquals(RealtimeConnectionState.MAX_OPEN_RESPONSES, state.openResponses());
    state.end("closed");
    assertEquals(1 + RealtimeConnectionState.MAX_OPEN_RESPONSES, records.size());
  }

  @Test
  void unreadableMessagesNeverThrow() {
    RealtimeConnectionState state = connect("m");
    RealtimeMessageReader reader = new RealtimeMessageReader(state);
    reader.onText("{\"type\":\"response.created\",\"response\":{}}", true);
    reader.onText("not json", true);
    reader.onText("{\"type\":\"session.created\",\"session\":{\"id\":1}}", true);
    reader.onBinary(true);
    assertTrue(records.isEmpty());
    assertTrue(started.isEmpty());
    assertNull(state.sessionId());
  }

  @Test
  void sameObjectsFromTheSink() {
    RealtimeConnectionState state = connect("m");
    send(state, RESPONSE_CREATED);
    state.end("x");
    assertSame(records.get(0).handle, records.get(0).handle);
    assertEquals("span:resp_CCXHw0UJld", records.get(0).handle);
  }
}
