package dev.tokenledger.agent;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Real {@link OpenAiCall}s for the transport tests, and what they emitted, read only through the
 * in-memory SDK of {@link TestTelemetry}: the tests see what a transport hands a call (which bytes,
 * and how the body ended) the way a user of the ledger would.
 *
 * <p>Two kinds of call make the transports' behaviour visible:
 *
 * <ul>
 *   <li>a batch output download ({@link #batchDownload()}): every line of a batch file that carries
 *       usage becomes one ledger row, so the rows' input-token counts, in order, tell which bytes
 *       the call was fed: a repeated chunk shows up as an extra row, and a dropped or moved one as a
 *       missing or out-of-order row wherever it breaks a line's JSON (bytes cut from inside a line's
 *       padding text alone go unseen: the tests compare the application's bytes for those). Rows
 *       appear as their lines are read; whether the call has ended shows in its span;
 *   <li>a speech download ({@link #speech()}): binary audio whose row's {@code tokenledger.status}
 *       is {@code completed} exactly when the transport ended the call with {@code reachedEnd} true,
 *       and {@code truncated} when it ended it as closed early or failed.
 * </ul>
 */
public final class CallProbe {

  public static final String HOST = "api.openai.com";
  public static final String API_KEY = "Bearer sk-proj-abcdefghijklmnopqrstuvwxyz0123aB3d";

  static final AttributeKey<String> STATUS = AttributeKey.stringKey("tokenledger.status");
  static final AttributeKey<String> SOURCE = AttributeKey.stringKey("tokenledger.usage.source");
  static final AttributeKey<Long> INPUT_TOKENS = AttributeKey.longKey("tokenledger.usage.input_tokens");
  static final AttributeKey<Long> OUTPUT_TOKENS = AttributeKey.longKey("tokenledger.usage.output_tokens");
  static final AttributeKey<Long> INPUT_CHARACTERS = AttributeKey.longKey("tokenledger.usage.input_characters");
  static final AttributeKey<String> REQUEST_MODEL = AttributeKey.stringKey("gen_ai.request.model");
  static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

  /** The input-token count of the first batch line; line {@code i} reports {@code FIRST_LINE + i}. */
  public static final long FIRST_LINE_TOKENS = 1000;

  /** Case-insensitive headers from name/value pairs. */
  public static Headers headers(String... pairs) {
    Map<String, String> map = new HashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      map.put(pairs[i].toLowerCase(Locale.ROOT), pairs[i + 1]);
    }
    return name -> map.get(name.toLowerCase(Locale.ROOT));
  }

  // ---- the batch download: which bytes the call was fed ----

  /** The path of the batch download; its response is a batch output file. */
  public static final String BATCH_PATH = "/v1/files/file-probe/content";

  /** The response head of a batch download. */
  public static Headers batchResponseHeaders() {
    return headers("Content-Type", "application/octet-stream", "x-request-id", "req_probe");
  }

  /** A started batch-file download whose response head (200, octet-stream) has arrived. */
  public static OpenAiCall batchDownload() {
    OpenAiCall call =
        TestTelemetry.INSTRUMENTER.startCall("GET", HOST, 443, BATCH_PATH, null, headers("Authorization", API_KEY), null, 0, null);
    assertNotNull(call, "a batch download to " + HOST + " is tracked");
    call.onResponse(200, batchResponseHeaders());
    return call;
  }

  /**
   * A batch output file of {@code lines} lines, line {@code i} reporting {@code FIRST_LINE_TOKENS + i}
   * input tokens, each padded with {@code padding} characters of content so that a body spans many
   * of a client's buffers or segments.
   */
  public static byte[] batchFile(int lines, int padding) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < lines; i++) {
      StringBuilder content = new StringBuilder(padding);
      for (int c = 0; c < padding; c++) {
        content.append((char) ('a' + (i + c) % 26));
      }
      out.append("{\"id\":\"batch_req_").append(i).append("\",\"custom_id\":\"line-").append(i)
          .append("\",\"response\":{\"status_code\":200,\"body\":{\"id\":\"chatcmpl-").append(i)
          .append("\",\"object\":\"chat.completion\",\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,")
          .append("\"message\":{\"role\":\"assistant\",\"content\":\"").append(content).append("\"}}],")
          .append("\"usage\":{\"prompt_tokens\":").append(FIRST_LINE_TOKENS + i)
          .append(",\"completion_tokens\":").append(i + 1).append("}}}}\n");
    }
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** The input-token counts a call fed exactly {@code batchFile(lines, …)} once records, in order. */
  public static List<Long> batchTokens(int lines) {
    List<Long> tokens = new ArrayList<>();
    for (int i = 0; i < lines; i++) {
      tokens.add(FIRST_LINE_TOKENS + i);
    }
    return tokens;
  }

  /** The input-token counts of the ledger rows emitted so far, in order. */
  public static List<Long> rowInputTokens() {
    List<Long> tokens = new ArrayList<>();
    for (LogRecordData row : rows()) {
      tokens.add(row.getAttributes().get(INPUT_TOKENS));
    }
    return tokens;
  }

  // ---- the speech download: how the call was ended ----

  public static final String SPEECH_PATH = "/v1/audio/speech";
  public static final String SPEECH_MODEL = "tts-1";

  /** The speech request's {@code input}; its row counts these characters. */
  public static final String SPEECH_INPUT = "Hello from the transport tests";

  /** A speech request body asking for {@code input} to be spoken by {@link #SPEECH_MODEL}. */
  public static byte[] speechRequest(String input) {
    return ("{\"input\":\"" + input + "\",\"voice\":\"alloy\",\"model\":\"" + SPEECH_MODEL + "\"}")
        .getBytes(StandardCharsets.UTF_8);
  }

  public static byte[] speechRequest() {
    return speechRequest(SPEECH_INPUT);
  }

  /**
   * A speech input of exactly {@code codePoints} Unicode code points mixing one- to four-byte UTF-8
   * characters, so that a chunk boundary lands inside a character somewhere.
   */
  public static String speechInput(int codePoints) {
    int[] alphabet = {'a', 'Z', ' ', 0xE9 /* é */, 0x20AC /* € */, 0x1F600 /* 😀 */, '7'};
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < codePoints; i++) {
      out.appendCodePoint(alphabet[i % alphabet.length]);
    }
    return out.toString();
  }

  /** The response head of a speech request: binary audio. */
  public static Headers speechResponseHeaders() {
    return headers("Content-Type", "audio/mpeg", "x-request-id", "req_probe");
  }

  /**
   * A started speech request; {@code withBody} false starts it as a transport that could not copy the
   * body does, to be scanned as it is written.
   */
  public static OpenAiCall startSpeech(boolean withBody) {
    byte[] body = withBody ? speechRequest() : null;
    OpenAiCall call =
        TestTelemetry.INSTRUMENTER.startCall("POST", HOST, 443, SPEECH_PATH, null, headers("Authorization", API_KEY), body,
            body == null ? 0 : body.length, "application/json");
    assertNotNull(call, "a speech request to " + HOST + " is tracked");
    return call;
  }

  /** A started speech request whose response head (200, audio/mpeg) has arrived. */
  public static OpenAiCall speech() {
    OpenAiCall call = startSpeech(true);
    call.onResponse(200, speechResponseHeaders());
    return call;
  }

  /**
   * Answers a started speech request (200, audio/mpeg) and ends it complete: its row then tells what
   * the request scanner saw.
   */
  public static void finishSpeech(OpenAiCall call) {
    call.onResponse(200, speechResponseHeaders());
    call.end(true);
  }

  /** The input characters the one ledger row counts: what the request scanner saw of the input. */
  public static Long inputCharacters() {
    List<LogRecordData> rows = rows();
    assertTrue(rows.size() == 1, () -> "exactly one ledger row: " + rows);
    return rows.get(0).getAttributes().get(INPUT_CHARACTERS);
  }

  /**
   * How the one call since {@link TestTelemetry#clear()} ended, by its ledger row: {@code completed}
   * (read to its end), {@code truncated} (closed early, cancelled or failed), or null while it has not
   * ended.
   */
  public static String endStatus() {
    List<LogRecordData> rows = rows();
    assertTrue(rows.size() <= 1, () -> "one call ends at most once: " + rows);
    return rows.isEmpty() ? null : rows.get(0).getAttributes().get(STATUS);
  }

  // ---- what was emitted ----

  /** The ledger rows emitted since {@link TestTelemetry#clear()}. */
  public static List<LogRecordData> rows() {
    return TestTelemetry.LOGS.getFinishedLogRecordItems();
  }

  /** The spans ended since {@link TestTelemetry#clear()}: a call's span ends when the call does. */
  public static List<SpanData> spans() {
    return TestTelemetry.SPANS.getFinishedSpanItems();
  }

  /** The one ended span; fails when there is not exactly one. */
  public static SpanData span() {
    List<SpanData> spans = spans();
    assertTrue(spans.size() == 1, () -> "exactly one span ended: " + spans);
    return spans.get(0);
  }

  /** The model the request named, as the call's span carries it (null when it does not). */
  public static String requestModel() {
    return span().getAttributes().get(REQUEST_MODEL);
  }

  /** The span's {@code error.type}: the failure's class name, or null. */
  public static String errorType() {
    return span().getAttributes().get(ERROR_TYPE);
  }

  /**
   * {@code tokenledger.requests} since the last collection, as {@code status/source → count}; reading
   * it resets the delta.
   */
  public static Map<String, Long> requests() {
    Map<String, Long> sums = new HashMap<>();
    for (MetricData metric : TestTelemetry.METRICS.collectAllMetrics()) {
      if (!metric.getName().equals("tokenledger.requests")) {
        continue;
      }
      for (LongPointData point : metric.getLongSumData().getPoints()) {
        Attributes a = point.getAttributes();
        sums.merge(a.get(STATUS) + "/" + a.get(SOURCE), point.getValue(), Long::sum);
      }
    }
    return sums;
  }

  private CallProbe() {}
}
