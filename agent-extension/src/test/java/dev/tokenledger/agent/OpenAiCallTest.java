package dev.tokenledger.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryLogRecordExporter;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One call through {@link OpenAiCall} as a transport drives it, against an in-memory SDK (the
 * agent is exercised by the integration tests): the signals of docs/signals.md, with the numbers of the
 * response and nothing of its content.
 */
class OpenAiCallTest {

  static final InMemoryLogRecordExporter LOGS = TestTelemetry.LOGS;
  static final InMemorySpanExporter SPANS = TestTelemetry.SPANS;
  static final InMemoryMetricReader METRICS = TestTelemetry.METRICS;

  static final String CHAT_RESPONSE =
      "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"gpt-4o-2024-08-06\","
          + "\"service_tier\":\"default\",\"choices\":[{\"index\":0,\"finish_reason\":\"stop\","
          + "\"message\":{\"role\":\"assistant\",\"content\":\"SECRET COMPLETION\"}}],"
          + "\"usage\":{\"prompt_tokens\":1250,\"completion_tokens\":410,\"total_tokens\":1660,"
          + "\"prompt_tokens_details\":{\"cached_tokens\":1024,\"audio_tokens\":0},"
          + "\"completion_tokens_details\":{\"reasoning_tokens\":256,\"audio_tokens\":0}}}";


  @BeforeEach
  void clear() {
    TestTelemetry.clear();
  }

  private static OpenAiCall startChat() {
    byte[] body = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"SECRET PROMPT\"}]}"
        .getBytes(StandardCharsets.UTF_8);
    return TestTelemetry.INSTRUMENTER.startCall(
        "POST", "api.openai.com", 443, "/v1/chat/completions", null,
        CallProbe.headers("Authorization", CallProbe.API_KEY, "OpenAI-Project", "proj_1"),
        body, body.length, "application/json");
  }

  @Test
  void aChatResponseBecomesOneLedgerEventWithEveryField() {
    OpenAiCall call = startChat();
    assertNotNull(call);
    call.onResponse(200, CallProbe.headers("x-request-id", "req_1", "Content-Type", "application/json"));
    byte[] response = CHAT_RESPONSE.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < response.length; i += 7) {
      call.onBytes(response, i, Math.min(7, response.length - i));
    }
    call.end(true);
    call.end(false); // idempotent

    List<LogRecordData> events = LOGS.getFinishedLogRecordItems();
    assertEquals(1, events.size());
    Attributes a = events.get(0).getAttributes();
    assertEquals("tokenledger.usage", events.get(0).getEventName());
    assertEquals(1250L, a.get(AttributeKey.longKey("tokenledger.usage.input_tokens")));
    assertEquals(1024L, a.get(AttributeKey.longKey("tokenledger.usage.input_cached_tokens")));
    assertEquals(1024L, a.get(AttributeKey.longKey("tokenledger.usage.input_cached_text_tokens")));
    assertEquals(226L, a.get(AttributeKey.longKey("tokenledger.usage.input_uncached_tokens")));
    assertEquals(226L, a.get(AttributeKey.longKey("tokenledger.usage.input_text_tokens")));
    assertEquals(410L, a.get(AttributeKey.longKey("tokenledger.usage.output_text_tokens")));
    assertEquals(256L, a.get(AttributeKey.longKey("tokenledger.usage.output_reasoning_tokens")));
    // A zero breakdown is left out (the ledger reads it as 0).
    assertNull(a.get(AttributeKey.longKey("tokenledger.usage.input_audio_tokens")));
    assertNull(a.get(AttributeKey.longKey("tokenledger.usage.output_audio_tokens")));
    assertEquals("reported", a.get(AttributeKey.stringKey("tokenledger.usage.source")));
    assertEquals("inferred", a.get(AttributeKey.stringKey("tokenledger.usage.split")));
    assertEquals("req_1", a.get(AttributeKey.stringKey("openai.request.id")));
    assertEquals("proj_1", a.get(AttributeKey.stringKey("openai.project")));
    assertEquals("gpt-4o", a.get(AttributeKey.stringKey("gen_ai.request.model")));
    assertEquals("gpt-4o-2024-08-06", a.get(AttributeKey.stringKey("gen_ai.response.model")));
    assertEquals("default", a.get(AttributeKey.stringKey("openai.response.service_tier")));
    assertEquals("sk-proj…aB3d", a.get(AttributeKey.stringKey("tokenledger.api_key.fingerprint")));
    assertEquals("chat.completions", a.get(AttributeKey.stringKey("tokenledger.api")));
    String everything = events.toString() + SPANS.getFinishedSpanItems();
    assertTrue(!everything.contains("SECRET"), "no prompt or completion text in telemetry");
    assertTrue(!everything.contains("abcdefghijklmnop"), "no API key in telemetry");

    List<SpanData> spans = SPANS.getFinishedSpanItems();
    assertEquals(1, spans.size());
    SpanData span = spans.get(0);
    assertEquals("chat gpt-4o", span.getName());
    assertEquals(1250L, span.getAttributes().get(AttributeKey.longKey("gen_ai.usage.input_tokens")));
    assertEquals(1024L, span.getAttributes().get(AttributeKey.longKey("gen_ai.usage.cache_read.input_tokens")));
    // The conventions' text input count includes its cached part.
    assertEquals(1250L, span.getAttributes().get(AttributeKey.longKey("gen_ai.usage.text.input_tokens")));
    assertNull(span.getAttributes().get(AttributeKey.longKey("gen_ai.usage.audio.input_tokens")), "zero: left out");

    Map<String, Long> tokens = tokenCounter();
    assertEquals(Map.of("input/text/uncached", 226L, "input/text/cached", 1024L, "output/text/-", 410L), tokens);
  }

  @Test
  void everyLedgerEventCarriesItsOwnRecordId() {
    java.util.Set<String> ids = new java.util.HashSet<>();
    for (int i = 0; i < 3; i++) {
      OpenAiCall call = startChat();
      call.onResponse(200, CallProbe.headers("Content-Type", "application/json"));
      byte[] response = CHAT_RESPONSE.getBytes(StandardCharsets.UTF_8);
      call.onBytes(response, 0, i == 2 ? 100 : response.length); // the third is a missing record
      call.end(i != 2);
    }
    List<LogRecordData> events = LOGS.getFinishedLogRecordItems();
    assertEquals(3, events.size());
    for (LogRecordData e : events) {
      String id = e.getAttributes().get(AttributeKey.stringKey("tokenledger.record.id"));
      assertNotNull(id, "every usage record, missing ones too, has an id");
      assertTrue(id.matches("[0-9a-f]{32}"), id);
      ids.add(id);
    }
    assertEquals(3, ids.size(), "ids are unique: " + ids);
    // Ids are for the ledger only: never a metric attribute (unbounded cardinality).
    assertTrue(!METRICS.collectAllMetrics().toString().contains("tokenledger.record.id"));
  }

  @Test
  void anErrorResponseIsARequestWithoutALedgerRow() {
    OpenAiCall call = startChat();
    call.onResponse(429, CallProbe.headers("x-request-id", "req_2", "Content-Type", "application/json"));
    byte[] body = "{\"error\":{\"message\":\"Rate limit\",\"type\":\"requests\"}}".getBytes(StandardCharsets.UTF_8);
    call.onBytes(body, 0, body.length);
    call.end(true);
    assertEquals(0, LOGS.getFinishedLogRecordItems().size());
    assertEquals(Map.of("error/none", 1L), requestCounter());
    assertEquals("429", SPANS.getFinishedSpanItems().get(0).getAttributes().get(AttributeKey.stringKey("error.type")));
  }

  @Test
  void aBodyClosedBeforeItsUsageIsAMissingRecord() {
    OpenAiCall call = startChat();
    call.onResponse(200, CallProbe.headers("Content-Type", "application/json"));
    byte[] response = CHAT_RESPONSE.getBytes(StandardCharsets.UTF_8);
    call.onBytes(response, 0, 100);
    call.end(false);
    List<LogRecordData> events = LOGS.getFinishedLogRecordItems();
    assertEquals(1, events.size());
    Attributes a = events.get(0).getAttributes();
    assertEquals("missing", a.get(AttributeKey.stringKey("tokenledger.usage.source")));
    assertEquals(0L, a.get(AttributeKey.longKey("tokenledger.usage.input_tokens")));
    assertNotNull(a.get(AttributeKey.stringKey("tokenledger.usage.diagnostic")));
  }

  @Test
  void aTransportFailureIsAFailedRequest() {
    OpenAiCall call = startChat();
    call.endWithError(new IOException("connection refused"));
    assertEquals(0, LOGS.getFinishedLogRecordItems().size());
    assertEquals(Map.of("error/none", 1L), requestCounter());
  }

  @Test
  void aTransportFailureAfterTheResponseHeadIsAMissingRecordNotAFailedRequest() {
    // The JDK client can fail the caller's send() before the body subscriber's onError ends the call.
    OpenAiCall call = startChat();
    call.onResponse(200, CallProbe.headers("Content-Type", "application/json"));
    byte[] response = CHAT_RESPONSE.getBytes(StandardCharsets.UTF_8);
    call.onBytes(response, 0, 100);
    call.endWithError(new IOException("EOF reached while reading"));
    call.end(false);
    List<LogRecordData> events = LOGS.getFinishedLogRecordItems();
    assertEquals(1, events.size());
    assertEquals("missing", events.get(0).getAttributes().get(AttributeKey.stringKey("tokenledger.usage.source")));
    assertEquals(Map.of("truncated/missing", 1L), requestCounter());
    assertEquals(
        IOException.class.getName(),
        SPANS.getFinishedSpanItems().get(0).getAttributes().get(AttributeKey.stringKey("error.type")));
  }

  @Test
  void otherHostsAndUnbilledPathsAreNotTracked() {
    assertNull(TestTelemetry.INSTRUMENTER.startCall("POST", "example.com", 443, "/v1/chat/completions", null, CallProbe.headers(), null, 0, null));
    assertNull(TestTelemetry.INSTRUMENTER.startCall("GET", "api.openai.com", 443, "/v1/models", null, CallProbe.headers(), null, 0, null));
  }

  private static Map<String, Long> tokenCounter() {
    Map<String, Long> sums = new HashMap<>();
    for (LongPointData p : longPoints("tokenledger.tokens")) {
      Attributes a = p.getAttributes();
      String key = a.get(AttributeKey.stringKey("gen_ai.token.type")) + "/"
          + a.get(AttributeKey.stringKey("tokenledger.token.modality")) + "/"
          + (a.get(AttributeKey.stringKey("tokenledger.token.cache")) == null
              ? "-" : a.get(AttributeKey.stringKey("tokenledger.token.cache")));
      sums.merge(key, p.getValue(), Long::sum);
    }
    return sums;
  }

  private static Map<String, Long> requestCounter() {
    Map<String, Long> sums = new HashMap<>();
    for (LongPointData p : longPoints("tokenledger.requests")) {
      Attributes a = p.getAttributes();
      sums.merge(
          a.get(AttributeKey.stringKey("tokenledger.status")) + "/" + a.get(AttributeKey.stringKey("tokenledger.usage.source")),
          p.getValue(), Long::sum);
    }
    return sums;
  }

  private static List<LongPointData> longPoints(String name) {
    return METRICS.collectAllMetrics().stream()
        .filter(m -> m.getName().equals(name))
        .map(MetricData::getLongSumData)
        .flatMap(d -> d.getPoints().stream())
        .toList();
  }
}
