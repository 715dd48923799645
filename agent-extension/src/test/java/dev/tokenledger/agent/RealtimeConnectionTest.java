package dev.tokenledger.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.usage.UsageShape;
import dev.tokenledger.usage.Json;
import dev.tokenledger.usage.TokenUsage;
import dev.tokenledger.usage.UsageField;
import dev.tokenledger.usage.UsageParser;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A Realtime connection as a WebSocket transport drives it, against the in-memory SDK: the ledger
 * rows, metrics and spans of the shared Realtime contract, with the numbers of the fixtures' usage
 * objects (mapped by the one usage parser) and nothing of their content.
 */
class RealtimeConnectionTest {

  static String fixture(String name) {
    try (InputStream in = RealtimeConnectionTest.class.getResourceAsStream("/fixtures/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  static final String SESSION_CREATED = fixture("realtime-session-created.json");
  static final String RESPONSE_CREATED = fixture("realtime-response-created.json");
  static final String RESPONSE_DONE = fixture("realtime-response-done-completed.json");
  static final String TRANSCRIPTION = fixture("realtime-transcription-tokens.json");
  static final String ERROR = fixture("realtime-error.json");


  @BeforeEach
  void clear() {
    TestTelemetry.clear();
  }

  private static RealtimeConnection connect() {
    RealtimeConnection connection =
        TestTelemetry.INSTRUMENTER.startConnection(
            URI.create("wss://api.openai.com/v1/realtime?model=gpt-realtime"),
            CallProbe.headers("Authorization", CallProbe.API_KEY, "OpenAI-Project", "proj_1"));
    assertNotNull(connection);
    connection.onOpen(CallProbe.headers("x-request-id", "req_rt1"));
    return connection;
  }

  private static String str(Attributes a, String key) {
    return a.get(AttributeKey.stringKey(key));
  }

  private static Long num(Attributes a, String key) {
    return a.get(AttributeKey.longKey(key));
  }

  @Test
  void aSessionBecomesRecordsMetricsAndSpans() {
    RealtimeConnection connection = connect();
    connection.onText(SESSION_CREATED, true);
    connection.onText(RESPONSE_CREATED, true);
    connection.onText("{\"type\":\"response.output_audio.delta\",\"delta\":\"AAAA\"}", true);
    // response.done in two fragments, as java.net.http delivers long messages
    connection.onText(RESPONSE_DONE.substring(0, 300), false);
    connection.onText(RESPONSE_DONE.substring(300), true);
    connection.onText(TRANSCRIPTION, true);
    connection.onText(ERROR, true);
    connection.onText(RESPONSE_CREATED.replace("resp_CCXHw0UJld", "resp_2"), true);
    connection.onBinary(true);
    connection.onFailure(new EOFException("peer went away"));
    connection.onClosed(1006); // once ended, nothing more
    connection.onText(RESPONSE_DONE.replace("resp_CCXHw0UJld", "resp_2"), true);

    List<LogRecordData> events = TestTelemetry.LOGS.getFinishedLogRecordItems();
    assertEquals(3, events.size(), events.toString());
    TokenUsage expected =
        UsageShape.REALTIME.parse(Json.parseObject(RESPONSE_DONE).getObject("response").getObject("usage"));

    Attributes done = events.get(0).getAttributes();
    assertEquals("tokenledger.usage", events.get(0).getEventName());
    assertEquals("realtime", str(done, "tokenledger.api"));
    assertEquals("realtime", str(done, "gen_ai.operation.name"));
    assertEquals("openai", str(done, "gen_ai.provider.name"));
    assertEquals("gpt-realtime", str(done, "gen_ai.request.model"));
    assertEquals("gpt-realtime-2025-08-28", str(done, "gen_ai.response.model"));
    assertEquals("resp_CCXHw0UJld", str(done, "gen_ai.response.id"));
    assertEquals("completed", str(done, "tokenledger.status"));
    assertEquals("reported", str(done, "tokenledger.usage.source"));
    assertEquals("sess_C9G5QPteg4UIbo", str(done, "tokenledger.session.id"));
    assertEquals(connection.connectionId(), str(done, "tokenledger.connection.id"));
    assertTrue(connection.connectionId().matches("[0-9a-f]{32}"), connection.connectionId());
    assertEquals("api.openai.com", str(done, "server.address"));
    assertEquals("proj_1", str(done, "openai.project"));
    assertEquals("req_rt1", str(done, "openai.request.id"));
    assertEquals("sk-proj…aB3d", str(done, "tokenledger.api_key.fingerprint"));
    for (UsageField field : UsageField.values()) {
      Long value = num(done, "tokenledger.usage." + field.exportName());
      assertEquals(expected.get(field), value == null ? Long.valueOf(0) : value, field.exportName());
    }
    assertEquals(Json.parseObject(RESPONSE_DONE).getObject("response").getObject("usage").toJson(),
        str(done, "tokenledger.usage.raw"));

    Attributes transcription = events.get(1).getAttributes();
    assertEquals("realtime.transcription", str(transcription, "tokenledger.api"));
    assertEquals("gpt-4o-mini-transcribe", str(transcription, "gen_ai.request.model"));
    assertEquals("gpt-4o-mini-transcribe", str(transcription, "gen_ai.response.model"));
    assertEquals("item_CCXGQ4e1ht", str(transcription, "gen_ai.response.id"));
    assertEquals("completed", str(transcription, "tokenledger.status"));
    assertEquals(58L, num(transcription, "tokenledger.usage.input_audio_tokens"));

    Attributes missing = events.get(2).getAttributes();
    assertEquals("missing", str(missing, "tokenledger.usage.source"));
    assertEquals("incomplete", str(missing, "tokenledger.status"));
    assertEquals("resp_2", str(missing, "gen_ai.response.id"));
    assertEquals(0L, num(missing, "tokenledger.usage.input_tokens"));
    assertEquals(0L, num(missing, "tokenledger.usage.output_tokens"));
    assertNotNull(str(missing, "tokenledger.usage.diagnostic"));

    // Metrics (one collection: the reader is delta).
    List<MetricData> metrics = new ArrayList<>(TestTelemetry.METRICS.collectAllMetrics());
    assertEquals(
        Map.of("realtime/completed/reported", 1L, "realtime.transcription/completed/reported", 1L,
            "realtime/incomplete/missing", 1L, "realtime/error/none", 1L),
        sums(metrics, "tokenledger.requests", "tokenledger.api", "tokenledger.status", "tokenledger.usage.source"));
    TokenUsage transcribed = UsageShape.TRANSCRIPTION.parse(Json.parseObject(TRANSCRIPTION).getObject("usage"));
    Map<String, Long> tokens =
        sums(metrics, "tokenledger.tokens", "gen_ai.token.type", "tokenledger.token.modality", "tokenledger.token.cache");
    assertEquals(expected.get(UsageField.INPUT_TEXT_TOKENS) + transcribed.get(UsageField.INPUT_TEXT_TOKENS),
        tokens.getOrDefault("input/text/uncached", 0L));
    assertEquals(expected.get(UsageField.INPUT_AUDIO_TOKENS) + transcribed.get(UsageField.INPUT_AUDIO_TOKENS),
        tokens.get("input/audio/uncached"));
    assertEquals(expected.get(UsageField.INPUT_CACHED_AUDIO_TOKENS), tokens.get("input/audio/cached"));
    assertEquals(expected.get(UsageField.OUTPUT_AUDIO_TOKENS), tokens.get("output/audio/null"));
    assertEquals(expected.get(UsageField.OUTPUT_TEXT_TOKENS) + transcribed.get(UsageField.OUTPUT_TEXT_TOKENS),
        tokens.get("output/text/null"));
    List<LongPointData> connections = points(metrics, "tokenledger.realtime.connections");
    assertEquals(1, connections.size());
    assertEquals(1L, connections.get(0).getValue());
    assertEquals(
        Attributes.builder().put("server.address", "api.openai.com").put("gen_ai.request.model", "gpt-realtime")
            .put("tokenledger.api", "realtime").build(),
        connections.get(0).getAttributes(), "low-cardinality attributes only");
    for (MetricData metric : metrics) {
      assertFalse(metric.toString().contains("tokenledger.connection.id"), "no ids on metrics: " + metric.getName());
      assertFalse(metric.toString().contains("tokenledger.session.id"), "no ids on metrics: " + metric.getName());
    }

    // Spans: the connection and one child per response.
    List<SpanData> spans = TestTelemetry.SPANS.getFinishedSpanItems();
    SpanData connectionSpan = spans.stream().filter(s -> s.getName().startsWith("realtime")).findFirst().orElseThrow();
    assertEquals("realtime gpt-realtime", connectionSpan.getName());
    assertEquals(SpanKind.CLIENT, connectionSpan.getKind());
    assertEquals(connection.connectionId(), str(connectionSpan.getAttributes(), "tokenledger.connection.id"));
    assertEquals("sess_C9G5QPteg4UIbo", str(connectionSpan.getAttributes(), "tokenledger.session.id"));
    assertEquals("realtime", str(connectionSpan.getAttributes(), "gen_ai.operation.name"));
    assertEquals("api.openai.com", str(connectionSpan.getAttributes(), "server.address"));
    assertEquals(StatusCode.ERROR, connectionSpan.getStatus().getStatusCode());
    List<SpanData> responses = new ArrayList<>();
    for (SpanData span : spans) {
      if (span.getName().startsWith("response")) {
        responses.add(span);
        assertEquals(connectionSpan.getSpanId(), span.getParentSpanId());
        assertEquals("response gpt-realtime", span.getName());
      }
    }
    assertEquals(2, responses.size());
    Attributes first = responses.get(0).getAttributes();
    assertEquals("resp_CCXHw0UJld", str(first, "gen_ai.response.id"));
    assertEquals("completed", str(first, "tokenledger.status"));
    assertEquals(expected.get(UsageField.INPUT_TOKENS), num(first, "gen_ai.usage.input_tokens"));
    assertEquals(expected.get(UsageField.OUTPUT_TOKENS), num(first, "gen_ai.usage.output_tokens"));
    assertEquals(expected.get(UsageField.INPUT_CACHED_TOKENS), num(first, "gen_ai.usage.cache_read.input_tokens"));
    assertEquals(1150L, num(first, "gen_ai.usage.text.input_tokens"), "the conventions' count includes cached");
    Attributes second = responses.get(1).getAttributes();
    assertEquals("missing", str(second, "tokenledger.usage.source"));
    assertNull(num(second, "gen_ai.usage.input_tokens"), "no numbers for a lost response");

    String everything = events.toString() + spans + metrics;
    assertFalse(everything.contains("SECRET"), "no transcript or instructions in telemetry");
    assertFalse(everything.contains("invoice"), "no transcript in telemetry");
    assertFalse(everything.contains("abcdefghijklmnop"), "no API key in telemetry");
  }

  /**
   * A connection reuses its last record's metric attributes while they stay the same: every record
   * must still count under its own status and source, and equal sets from two connections must be
   * one series.
   */
  @Test
  void eachRecordCountsUnderItsOwnAttributesWhenTheyRepeatAndChange() {
    String cancelled = fixture("realtime-response-done-cancelled.json");
    String[] dones = {
      RESPONSE_DONE.replace("resp_CCXHw0UJld", "resp_a"), cancelled,
      RESPONSE_DONE.replace("resp_CCXHw0UJld", "resp_b"), RESPONSE_DONE.replace("resp_CCXHw0UJld", "resp_c")
    };
    Map<String, Long> expectedRequests = new HashMap<>();
    long expectedAudioOut = 0;
    for (int c = 0; c < 2; c++) {
      RealtimeConnection connection = connect();
      connection.onText(SESSION_CREATED, true);
      for (String done : dones) {
        connection.onText(done, true);
        String status = Json.parseObject(done).getObject("response").getString("status");
        expectedRequests.merge("realtime/" + status + "/reported", 1L, Long::sum);
        expectedAudioOut += UsageShape.REALTIME.parse(Json.parseObject(done).getObject("response").getObject("usage"))
            .get(UsageField.OUTPUT_AUDIO_TOKENS);
      }
      connection.onText(ERROR, true);
      expectedRequests.merge("realtime/error/none", 1L, Long::sum);
      connection.onText(RESPONSE_DONE.replace("resp_CCXHw0UJld", "resp_d"), true);
      expectedRequests.merge("realtime/completed/reported", 1L, Long::sum);
      expectedAudioOut += UsageShape.REALTIME.parse(Json.parseObject(RESPONSE_DONE).getObject("response")
          .getObject("usage")).get(UsageField.OUTPUT_AUDIO_TOKENS);
      connection.onClosed(1000);
    }

    List<LogRecordData> events = TestTelemetry.LOGS.getFinishedLogRecordItems();
    assertEquals(2 * (dones.length + 1), events.size());
    for (LogRecordData event : events) {
      String id = str(event.getAttributes(), "gen_ai.response.id");
      assertEquals(id.equals("resp_CCXJ1aQ9") ? "cancelled" : "completed", str(event.getAttributes(), "tokenledger.status"));
    }
    List<MetricData> metrics = new ArrayList<>(TestTelemetry.METRICS.collectAllMetrics());
    assertEquals(expectedRequests,
        sums(metrics, "tokenledger.requests", "tokenledger.api", "tokenledger.status", "tokenledger.usage.source"));
    assertEquals(expectedRequests.size(), points(metrics, "tokenledger.requests").size(),
        "one series per distinct set, shared by both connections");
    assertEquals(expectedAudioOut,
        sums(metrics, "tokenledger.tokens", "gen_ai.token.type", "tokenledger.token.modality").get("output/audio"));
  }

  @Test
  void aReconnectIsANewConnectionOfTheSameSession() {
    RealtimeConnection first = connect();
    first.onText(SESSION_CREATED, true);
    first.onClosed(1000);
    RealtimeConnection second = connect();
    second.onText(SESSION_CREATED, true);
    second.onText(RESPONSE_DONE, true);
    second.onClosed(1000);
    assertNotEquals(first.connectionId(), second.connectionId());
    assertEquals(first.sessionId(), second.sessionId());
    List<MetricData> metrics = new ArrayList<>(TestTelemetry.METRICS.collectAllMetrics());
    assertEquals(2L, points(metrics, "tokenledger.realtime.connections").stream().mapToLong(LongPointData::getValue).sum());
    Attributes row = TestTelemetry.LOGS.getFinishedLogRecordItems().get(0).getAttributes();
    assertEquals(second.connectionId(), str(row, "tokenledger.connection.id"));
    assertEquals("sess_C9G5QPteg4UIbo", str(row, "tokenledger.session.id"));
  }

  /**
   * Ephemeral client secrets are minted per session: a fingerprint of each would give every
   * session its own metric series. Two sessions with different {@code ek_} keys share one series.
   */
  @Test
  void ephemeralKeysOfDifferentSessionsShareOneMetricSeries() {
    String[] keys = {"Bearer ek_68f1c2a9e0d1c2b3a4f5a1b2", "Bearer ek_0a9b8c7d6e5f4a3b2c1d0e9f"};
    for (String key : keys) {
      RealtimeConnection connection = TestTelemetry.INSTRUMENTER.startConnection(
          URI.create("wss://api.openai.com/v1/realtime?model=gpt-realtime"), CallProbe.headers("Authorization", key));
      connection.onOpen(null);
      connection.onText(RESPONSE_DONE, true);
      connection.onClosed(1000);
    }
    List<MetricData> metrics = new ArrayList<>(TestTelemetry.METRICS.collectAllMetrics());
    List<LongPointData> requests = points(metrics, "tokenledger.requests");
    assertEquals(1, requests.size(), "one series for both sessions: " + requests);
    assertEquals(2L, requests.get(0).getValue());
    for (MetricData metric : metrics) {
      java.util.Set<String> fingerprints = new java.util.HashSet<>();
      for (io.opentelemetry.sdk.metrics.data.PointData point : metric.getData().getPoints()) {
        fingerprints.add(point.getAttributes().get(AttributeKey.stringKey("tokenledger.api_key.fingerprint")));
      }
      fingerprints.remove(null); // metrics that carry no key at all
      assertTrue(fingerprints.isEmpty() || fingerprints.equals(java.util.Set.of("ek")), metric.getName() + ": " + fingerprints);
    }
    for (LogRecordData row : TestTelemetry.LOGS.getFinishedLogRecordItems()) {
      assertEquals("ek", str(row.getAttributes(), "tokenledger.api_key.fingerprint"));
    }
  }

  @Test
  void aFailedHandshakeIsNotAConnection() {
    RealtimeConnection connection =
        TestTelemetry.INSTRUMENTER.startConnection(URI.create("wss://api.openai.com/v1/realtime?model=gpt-realtime"), null);
    connection.onFailure(new IOException("403"));
    assertTrue(points(new ArrayList<>(TestTelemetry.METRICS.collectAllMetrics()), "tokenledger.realtime.connections").isEmpty());
    assertEquals(StatusCode.ERROR, TestTelemetry.SPANS.getFinishedSpanItems().get(0).getStatus().getStatusCode());
    assertTrue(TestTelemetry.LOGS.getFinishedLogRecordItems().isEmpty());
  }

  @Test
  void azureSessionsAndModelFromTheSession() {
    RealtimeConnection azure =
        TestTelemetry.INSTRUMENTER.startConnection(
            URI.create("wss://res.openai.azure.com/openai/realtime?api-version=2025-04-01-preview&deployment=rt&api-key=k123456789wxyz"),
            null);
    assertNotNull(azure);
    azure.onOpen(null);
    azure.onText(RESPONSE_DONE, true);
    azure.onClosed(1000);
    Attributes row = TestTelemetry.LOGS.getFinishedLogRecordItems().get(0).getAttributes();
    assertEquals("rt", str(row, "gen_ai.request.model"));
    assertEquals("azure.ai.openai", str(row, "gen_ai.provider.name"));
    assertEquals("2025-04-01-preview", str(row, "tokenledger.azure.api_version"));
    assertNotNull(str(row, "tokenledger.api_key.fingerprint"), "the query's api-key, fingerprinted");
    assertFalse(row.toString().contains("k123456789"), "never the key itself");

    TestTelemetry.clear();
    RealtimeConnection sideband =
        TestTelemetry.INSTRUMENTER.startConnection(URI.create("wss://api.openai.com/v1/realtime?call_id=rtc_1"), null);
    sideband.onOpen(null);
    sideband.onText(SESSION_CREATED, true);
    sideband.onText(RESPONSE_DONE, true);
    sideband.onClosed(1000);
    Attributes joined = TestTelemetry.LOGS.getFinishedLogRecordItems().get(0).getAttributes();
    assertEquals("gpt-realtime-2025-08-28", str(joined, "gen_ai.request.model"), "no URL model: the session's");
    SpanData span = TestTelemetry.SPANS.getFinishedSpanItems().stream()
        .filter(s -> s.getKind() == SpanKind.CLIENT).findFirst().orElseThrow();
    assertEquals("realtime gpt-realtime-2025-08-28", span.getName());
  }

  @Test
  void otherHostsAndPathsAreNotTracked() {
    assertNull(TestTelemetry.INSTRUMENTER.startConnection(URI.create("wss://example.com/v1/realtime?model=x"), null));
    assertNull(TestTelemetry.INSTRUMENTER.startConnection(URI.create("wss://api.openai.com/v1/realtime/translations?model=x"), null));
    assertNull(TestTelemetry.INSTRUMENTER.startConnection((URI) null, null));
  }

  private static List<LongPointData> points(List<MetricData> metrics, String name) {
    List<LongPointData> points = new ArrayList<>();
    for (MetricData metric : metrics) {
      if (metric.getName().equals(name)) {
        points.addAll(metric.getLongSumData().getPoints());
      }
    }
    return points;
  }

  private static Map<String, Long> sums(List<MetricData> metrics, String name, String... keys) {
    Map<String, Long> sums = new HashMap<>();
    for (LongPointData p : points(metrics, name)) {
      StringBuilder key = new StringBuilder();
      for (String k : keys) {
        key.append(key.length() == 0 ? "" : "/").append(p.getAttributes().get(AttributeKey.stringKey(k)));
      }
      sums.merge(key.toString(), p.getValue(), Long::sum);
    }
    return sums;
  }
}
