package dev.tokenledger.realtime;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Realtime server events from the test fixtures, and the event shapes built around them. */
final class RealtimeFixtures {

  static final String SESSION_CREATED = text("realtime-session-created.json");
  static final String SESSION_UPDATED_BETA = text("realtime-session-updated-beta.json");
  static final String RESPONSE_CREATED = text("realtime-response-created.json");
  static final String RESPONSE_DONE_COMPLETED = text("realtime-response-done-completed.json");
  static final String RESPONSE_DONE_CANCELLED = text("realtime-response-done-cancelled.json");
  static final String TRANSCRIPTION_TOKENS = text("realtime-transcription-tokens.json");
  static final String TRANSCRIPTION_DURATION = text("realtime-transcription-duration.json");
  static final String ERROR = text("realtime-error.json");
  static final String RATE_LIMITS = text("realtime-rate-limits.json");

  private RealtimeFixtures() {}

  static String text(String name) {
    try (InputStream in = RealtimeFixtures.class.getResourceAsStream("/fixtures/" + name)) {
      assertNotNull(in, "fixture " + name);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A response.done of another status: the completed fixture with its id and status replaced. */
  static String responseDone(String id, String status) {
    return RESPONSE_DONE_COMPLETED.replace("resp_CCXHw0UJld", id).replace("\"status\": \"completed\",\n    \"status_details\": null",
        "\"status\": \"" + status + "\",\n    \"status_details\": null");
  }

  static String responseCreated(String id) {
    return RESPONSE_CREATED.replace("resp_CCXHw0UJld", id);
  }

  /**
   * An output audio delta as the server sends it: {@code type} first, then ids, then the base64 PCM
   * of {@code millis} of 24 kHz mono audio (48 bytes per ms, about 64 KB of base64 per second).
   */
  static String audioDelta(String responseId, int millis) {
    int pcmBytes = 48 * millis;
    StringBuilder delta = new StringBuilder(pcmBytes * 4 / 3 + 200);
    delta.append("{\"type\":\"response.output_audio.delta\",\"event_id\":\"event_D1\",\"response_id\":\"")
        .append(responseId)
        .append("\",\"item_id\":\"item_1\",\"output_index\":0,\"content_index\":0,\"delta\":\"");
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < pcmBytes * 4 / 3; i++) {
      delta.append(alphabet.charAt((i * 31 + 7) % 64));
    }
    return delta.append("\"}").toString();
  }

  /** The message cut into fragments of the given sizes (the last one takes the rest). */
  static List<String> fragments(String message, int... sizes) {
    List<String> parts = new ArrayList<>();
    int at = 0;
    for (int size : sizes) {
      if (at >= message.length()) {
        break;
      }
      int end = Math.min(message.length(), at + size);
      parts.add(message.substring(at, end));
      at = end;
    }
    if (at < message.length() || parts.isEmpty()) {
      parts.add(message.substring(at));
    }
    return parts;
  }
}
