package dev.tokenledger.realtime;

import static dev.tokenledger.realtime.RealtimeFixtures.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.usage.Json;
import dev.tokenledger.usage.JsonObject;
import java.nio.CharBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The reader over every event type the agent reads and the ones it skips, whole and in fragments cut
 * at every position, and over the input a server or a network can break: binary frames, malformed,
 * huge and oddly ordered events. The expected fields come from the fixtures' own JSON, parsed with
 * the tree parser.
 */
class RealtimeMessageReaderTest {

  private final List<RealtimeEvent> events = new ArrayList<>();
  private final RealtimeMessageReader reader = new RealtimeMessageReader(events::add);

  private RealtimeEvent readWhole(String message) {
    events.clear();
    reader.onText(message, true);
    assertEquals(1, events.size(), "one event from " + message.substring(0, Math.min(80, message.length())));
    return events.get(0);
  }

  /** The fields as the fixture's JSON tree has them. */
  private static String path(String json, String... keys) {
    Object node = Json.parseObject(json);
    for (String key : keys) {
      node = node == null ? null : ((JsonObject) node).get(key);
    }
    return node instanceof JsonObject ? ((JsonObject) node).toJson() : (String) node;
  }

  @Test
  void readsSessionCreated() {
    RealtimeEvent e = readWhole(SESSION_CREATED);
    assertEquals("session.created", e.type);
    assertEquals(path(SESSION_CREATED, "session", "id"), e.sessionId);
    assertEquals(path(SESSION_CREATED, "session", "model"), e.sessionModel);
    assertEquals(path(SESSION_CREATED, "session", "audio", "input", "transcription", "model"), e.transcriptionModel);
    assertEquals("realtime", e.sessionType);
    assertNull(e.unreadable);
    assertNull(e.responseId, "the tools' nested ids and types are not session members");
  }

  @Test
  void readsBetaSessionWithTypeSecond() {
    RealtimeEvent e = readWhole(SESSION_UPDATED_BETA);
    assertEquals("session.updated", e.type);
    assertEquals("sess_B1beta", e.sessionId);
    assertEquals(path(SESSION_UPDATED_BETA, "session", "input_audio_transcription", "model"), e.transcriptionModel);
    assertNull(e.unreadable);
  }

  @Test
  void readsResponseCreatedAndDone() {
    RealtimeEvent created = readWhole(RESPONSE_CREATED);
    assertEquals("response.created", created.type);
    assertEquals("resp_CCXHw0UJld", created.responseId);
    assertEquals("in_progress", created.responseStatus);

    RealtimeEvent done = readWhole(RESPONSE_DONE_COMPLETED);
    assertEquals("response.done", done.type);
    assertEquals(path(RESPONSE_DONE_COMPLETED, "response", "id"), done.responseId);
    assertEquals("completed", done.responseStatus);
    assertTrue(done.responseUsageSeen);
    assertEquals(path(RESPONSE_DONE_COMPLETED, "response", "usage"), done.responseUsageRaw);
    assertNull(done.itemId, "output item ids are not the event's item_id");

    RealtimeEvent cancelled = readWhole(RESPONSE_DONE_CANCELLED);
    assertEquals("cancelled", cancelled.responseStatus);
    assertEquals(path(RESPONSE_DONE_CANCELLED, "response", "usage"), cancelled.responseUsageRaw);
  }

  @Test
  void readsTranscriptionsAndErrors() {
    RealtimeEvent tokens = readWhole(TRANSCRIPTION_TOKENS);
    assertEquals(RealtimeEventTypes.TRANSCRIPTION_COMPLETED, tokens.type);
    assertEquals("item_CCXGQ4e1ht", tokens.itemId);
    assertEquals(path(TRANSCRIPTION_TOKENS, "usage"), tokens.usageRaw);

    RealtimeEvent duration = readWhole(TRANSCRIPTION_DURATION);
    assertEquals(path(TRANSCRIPTION_DURATION, "usage"), duration.usageRaw);

    RealtimeEvent error = readWhole(ERROR);
    assertEquals("error", error.type);
    assertEquals("invalid_request_error", error.errorType);
    assertEquals("invalid_event", error.errorCode);
  }

  @Test
  void neverKeepsContent() {
    for (String message : new String[] {SESSION_CREATED, RESPONSE_DONE_COMPLETED, TRANSCRIPTION_TOKENS, ERROR}) {
      String kept = readWhole(message).toString() + readWhole(message).usageRaw + readWhole(message).responseUsageRaw;
      assertFalse(kept.contains("SECRET"), kept);
      assertFalse(kept.contains("invoice"), kept);
      assertFalse(kept.contains("missing"), "error messages are not kept: " + kept);
    }
  }

  @Test
  void skipsOtherEventsAfterTheirType() {
    events.clear();
    long before = reader.skippedMessages();
    reader.onText(RATE_LIMITS, true);
    reader.onText("{\"type\":\"response.output_audio_transcript.delta\",\"delta\":\"Hello\"}", true);
    reader.onText(audioDelta("resp_1", 200), true);
    assertTrue(events.isEmpty(), "nothing reported for skipped types: " + events);
    assertEquals(3, reader.skippedMessages() - before);
  }

  /** The body of a skipped event is never read: the reader stops at its type. */
  @Test
  void skippedBodiesAreNotRead() {
    String delta = audioDelta("resp_1", 1000);
    AccessRecorder whole = new AccessRecorder(delta);
    reader.onText(whole, true);
    assertTrue(whole.highest < RealtimeMessageReader.PREFIX_CAPACITY, "read up to " + whole.highest);

    // In fragments: every fragment after the decision is not touched at all.
    List<String> parts = fragments(delta, 20, 30, 4000, 4000, 4000);
    List<AccessRecorder> recorders = new ArrayList<>();
    for (int i = 0; i < parts.size(); i++) {
      AccessRecorder part = new AccessRecorder(parts.get(i));
      recorders.add(part);
      reader.onText(part, i == parts.size() - 1);
    }
    for (int i = 3; i < recorders.size(); i++) {
      assertEquals(-1, recorders.get(i).highest, "fragment " + i + " was read");
    }
    assertTrue(events.isEmpty());
  }

  /** A skipped type whose type is not its first member is read only until its type shows up. */
  @Test
  void typeAfterOtherMembersIsFoundAndTheRestSkipped() {
    String delta = audioDelta("resp_1", 1000).replace(
        "{\"type\":\"response.output_audio.delta\",\"event_id\":\"event_D1\",",
        "{\"event_id\":\"event_D1\",\"type\":\"response.output_audio.delta\",");
    AccessRecorder recorder = new AccessRecorder(delta);
    events.clear();
    reader.onText(recorder, true);
    assertTrue(events.isEmpty());
    assertTrue(recorder.highest < 1200, "read up to " + recorder.highest + " of " + delta.length());

    String done = RESPONSE_DONE_COMPLETED.replaceFirst("\"type\": \"response.done\",\n  \"event_id\": \"event_CCXHxcMy86\",",
        "\"event_id\": \"event_CCXHxcMy86\",\n  \"type\": \"response.done\",");
    assertTrue(done.indexOf("event_id") < done.indexOf("\"type\""));
    RealtimeEvent e = readWhole(done);
    assertEquals("resp_CCXHw0UJld", e.responseId);
    assertEquals(path(RESPONSE_DONE_COMPLETED, "response", "usage"), e.responseUsageRaw);

    // Type last, after the response object: still read whole.
    String typeLast = "{\"event_id\":\"e\",\"response\":{\"id\":\"resp_L\",\"status\":\"failed\",\"usage\":{\"input_tokens\":1}},"
        + "\"type\":\"response.done\"}";
    RealtimeEvent last = readWhole(typeLast);
    assertEquals("response.done", last.type);
    assertEquals("resp_L", last.responseId);
    assertEquals("failed", last.responseStatus);
  }

  @Test
  void escapedTypeIsDecoded() {
    RealtimeEvent e = readWhole("{\"type\":\"response\\u002edone\",\"response\":{\"id\":\"resp_E\",\"status\":\"completed\"}}");
    assertEquals("response.done", e.type);
    assertEquals("resp_E", e.responseId);
  }

  /** Every event read in two fragments cut at every position, and in small fragments, equals the whole read. */
  @Test
  void fragmentsCutAnywhereGiveTheSameEvent() {
    String withSurrogates = SESSION_CREATED.replace("sess_C9G5QPteg4UIbo", "sess_\uD83D\uDE00é\u4E2D");
    for (String message : new String[] {SESSION_CREATED, SESSION_UPDATED_BETA, RESPONSE_CREATED, RESPONSE_DONE_COMPLETED,
        RESPONSE_DONE_CANCELLED, TRANSCRIPTION_TOKENS, TRANSCRIPTION_DURATION, ERROR, withSurrogates}) {
      String expected = readWhole(message).toString() + readWhole(message).usageRaw + readWhole(message).responseUsageRaw;
      for (int cut = 0; cut <= message.length(); cut++) {
        events.clear();
        reader.onText(message.substring(0, cut), false);
        reader.onText(message.substring(cut), true);
        assertEquals(1, events.size(), "cut at " + cut);
        RealtimeEvent e = events.get(0);
        assertEquals(expected, e.toString() + e.usageRaw + e.responseUsageRaw, "cut at " + cut);
      }
      for (int size = 1; size <= 7; size++) {
        events.clear();
        List<String> parts = new ArrayList<>();
        for (int at = 0; at < message.length(); at += size) {
          parts.add(message.substring(at, Math.min(message.length(), at + size)));
        }
        for (int i = 0; i < parts.size(); i++) {
          reader.onText(parts.get(i), i == parts.size() - 1);
        }
        reader.onText("", true); // an empty last fragment ends nothing more
        assertEquals(1, events.size(), "fragments of " + size);
        RealtimeEvent e = events.get(0);
        assertEquals(expected, e.toString() + e.usageRaw + e.responseUsageRaw, "fragments of " + size);
      }
    }
    assertEquals("sess_\uD83D\uDE00é\u4E2D", readWhole(withSurrogates).sessionId);
  }

  /**
   * Fragments as each client type delivers them — heap buffers at an offset or sliced, read-only
   * buffers, builders — cut across the encoder's chunk size and through non-ASCII text, give the
   * event read from one String; the application's buffer position is never moved.
   */
  @Test
  void everyKindOfCharSequenceGivesTheSameEvent() {
    String message = RESPONSE_DONE_COMPLETED.replace("resp_CCXHw0UJld", "resp_\uD83D\uDE00é\u4E2D");
    RealtimeEvent whole = readWhole(message);
    String expected = whole.toString() + whole.usageRaw + whole.responseUsageRaw;
    assertEquals("resp_\uD83D\uDE00é\u4E2D", whole.responseId);
    char[] chars = message.toCharArray();
    for (int size : new int[] {1, 7, 511, 512, 513, 1500}) {
      for (int kind = 0; kind < 4; kind++) {
        events.clear();
        for (int at = 0; at < chars.length; at += size) {
          int end = Math.min(chars.length, at + size);
          CharSequence fragment;
          if (kind == 0) {
            fragment = CharBuffer.wrap(chars, at, end - at); // position at the fragment's start
          } else if (kind == 1) {
            fragment = CharBuffer.wrap(chars, at, end - at).slice(); // array offset, position 0
          } else if (kind == 2) {
            fragment = CharBuffer.wrap(chars, at, end - at).asReadOnlyBuffer(); // at an offset, no accessible array
          } else {
            fragment = new StringBuilder(message.substring(at, end));
          }
          reader.onText(fragment, end == chars.length);
          if (fragment instanceof CharBuffer) {
            assertEquals(kind == 1 ? 0 : at, ((CharBuffer) fragment).position(), "position untouched");
            assertEquals(end - at, fragment.length());
          }
        }
        assertEquals(1, events.size(), "kind " + kind + ", fragments of " + size);
        RealtimeEvent e = events.get(0);
        assertEquals(expected, e.toString() + e.usageRaw + e.responseUsageRaw, "kind " + kind + ", fragments of " + size);
      }
    }
  }

  @Test
  void binaryFramesAreIgnored() {
    events.clear();
    reader.onBinary(false);
    reader.onBinary(true);
    assertTrue(events.isEmpty());
    assertEquals("resp_CCXHw0UJld", readWhole(RESPONSE_DONE_COMPLETED).responseId, "the next text message is read");
  }

  @Test
  void malformedEventsAreReportedUnreadableWithWhatWasRead() {
    String cut = RESPONSE_DONE_COMPLETED.substring(0, RESPONSE_DONE_COMPLETED.indexOf("\"usage\""));
    RealtimeEvent truncated = readWhole(cut);
    assertEquals("response.done", truncated.type);
    assertEquals("resp_CCXHw0UJld", truncated.responseId);
    assertNotNull(truncated.unreadable);

    RealtimeEvent broken = readWhole("{\"type\":\"response.done\",\"response\":{\"id\":\"resp_X\",\"status\" \"completed\"}}");
    assertEquals("resp_X", broken.responseId);
    assertTrue(broken.unreadable.startsWith("malformed JSON"), broken.unreadable);

    RealtimeEvent notAnObject = readWhole("[1,2,3]");
    assertNull(notAnObject.type);
    assertNotNull(notAnObject.unreadable);

    RealtimeEvent noType = readWhole("{\"event_id\":\"e\"}");
    assertEquals("event without a type", noType.unreadable);

    events.clear();
    reader.onText("   ", true);
    reader.onText("{\"ty", true);
    reader.onText(null, true);
    assertTrue(events.isEmpty(), "too short to be an event: " + events);
    assertEquals("resp_CCXHw0UJld", readWhole(RESPONSE_DONE_COMPLETED).responseId, "the reader recovers");
  }

  @Test
  void unknownFieldsAndNestedLookalikesAreIgnored() {
    String noisy = "{\"type\":\"response.done\",\"usage\":{\"input_tokens\":999},\"future_field\":{\"id\":\"x\"},"
        + "\"response\":{\"output\":[{\"id\":\"item_9\",\"usage\":{\"input_tokens\":5},\"status\":\"done\"}],"
        + "\"metadata\":{\"id\":\"meta\",\"status\":\"meta\"},\"id\":\"resp_N\",\"status\":\"incomplete\","
        + "\"new_thing\":[1,{\"a\":null}],\"usage\":{\"input_tokens\":7,\"output_tokens\":1}}}";
    RealtimeEvent e = readWhole(noisy);
    assertEquals("resp_N", e.responseId);
    assertEquals("incomplete", e.responseStatus);
    assertEquals("{\"input_tokens\":7,\"output_tokens\":1}", e.responseUsageRaw);
    assertNull(e.unreadable);
  }

  @Test
  void hugeEventsAreCutOffAndReported() {
    long limit = RealtimeMessageReader.MAX_EVENT_CHARS;
    String head = "{\"type\":\"response.done\",\"response\":{\"id\":\"resp_H\",\"output\":[{\"transcript\":\"";
    String filler = "x".repeat(1 << 20);
    events.clear();
    reader.onText(head, false);
    for (long sent = 0; sent <= limit; sent += filler.length()) {
      reader.onText(filler, false);
    }
    reader.onText("\"}],\"usage\":{\"input_tokens\":1}}}", true);
    assertEquals(1, events.size());
    assertEquals("resp_H", events.get(0).responseId);
    assertTrue(events.get(0).unreadable.contains("larger than"), events.get(0).unreadable);
  }

  /** A CharSequence that remembers the highest index read. */
  static final class AccessRecorder implements CharSequence {
    private final String text;
    int highest = -1;

    AccessRecorder(String text) {
      this.text = text;
    }

    @Override
    public int length() {
      return text.length();
    }

    @Override
    public char charAt(int index) {
      highest = Math.max(highest, index);
      return text.charAt(index);
    }

    @Override
    public CharSequence subSequence(int start, int end) {
      highest = Math.max(highest, end - 1);
      return text.subSequence(start, end);
    }

    @Override
    public String toString() {
      highest = text.length() - 1;
      return text;
    }
  }
}
