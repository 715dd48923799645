package dev.tokenledger.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.demo.DemoApp;
import dev.tokenledger.simulator.GroundTruth;
import dev.tokenledger.usage.UsageField;
import dev.tokenledger.simulator.OpenAiSimulator;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The demo app calls every OpenAI HTTP API, good and bad, through one client at a time, in a child
 * JVM under the real upstream agent with the built extension. What the agent exports must equal what
 * the simulator sent: one ledger event per billable response with every token field exact, token
 * counters that add up to the same totals, a request count per call, byte-identical bodies for the
 * application, and not one byte of the API key, a prompt or a completion in the telemetry.
 */
class HttpUsageIT extends AgentTestBase {

  static final String API_KEY = "sk-proj-TokenLedgerTestKey0123456789abcdefSECRET";
  /** The token fields, as the agent defines them. */
  static final List<String> TOKEN_FIELDS = Arrays.stream(UsageField.values()).map(UsageField::exportName).toList();

  @ParameterizedTest(name = "{0} on {1}")
  @CsvSource({
    "openai-java, okhttp4, UPSTREAM_WITH_EXTENSION",
    "okhttp, okhttp4, UPSTREAM_WITH_EXTENSION",
    "okhttp, okhttp5, UPSTREAM_WITH_EXTENSION",
    "openai-java, okhttp5, ONE_JAR",
    "jdk, okhttp4, UPSTREAM_WITH_EXTENSION",
    "apache, okhttp4, ONE_JAR",
    "apache-async, okhttp4, UPSTREAM_WITH_EXTENSION",
    "apache4, okhttp4, ONE_JAR",
    "url-connection, okhttp4, UPSTREAM_WITH_EXTENSION",
    "spring-simple, okhttp4, ONE_JAR",
  })
  void everyResponseIsRecordedExactly(String client, String okhttp, AgentRun.Agent agent) throws Exception {
    AgentRun.Result run =
        AgentRun.run(
            agent,
            receiver.endpoint(),
            okhttp.equals("okhttp5"),
            List.of(),
            API_KEY,
            "--base-url", simulator.baseUrl(),
            "--project", "proj_tokenledger_it",
            "--clients", client);
    assertEquals(0, run.exitCode(), () -> "demo app failed:\n" + run.stdout() + run.stderr());
    assertFalse(run.resultLines().isEmpty(), () -> "demo app made no calls:\n" + run.stdout());
    assertNoInstrumentationErrors(run);

    List<GroundTruth> truth = simulator.groundTruth();
    List<GroundTruth> billable =
        truth.stream().filter(t -> t.host().equals("127.0.0.1") && !t.usageSource().equals("none")).toList();
    List<LogRecord> events = receiver.logs().stream().filter(Otlp::isUsageEvent).toList();

    assertLedgerEqualsGroundTruth(billable, events, "proj_tokenledger_it");
    assertNothingFromNonOpenAiHosts(truth, events);
    assertTokenCountersAddUp(billable, receiver);
    assertRequestCountsMatch(truth);
    assertApplicationSawTheBytesSent(run, truth);
    assertNoSecretsExported();
    assertSpansCarryUsage(billable);
  }

  private static void assertNoInstrumentationErrors(AgentRun.Result run) {
    for (String line : run.stderr().split("\n")) {
      assertFalse(
          line.contains("dev.tokenledger") && (line.contains("Exception") || line.contains("Error")),
          () -> "the instrumentation reported a failure:\n" + run.stderr());
    }
  }

  /**
   * One ledger event per billable response, found by request id (batch lines by response id), with
   * every token field, the source, API, model, project ({@code null}: none) and key fingerprint equal to
   * the ground truth.
   */
  static void assertLedgerEqualsGroundTruth(List<GroundTruth> billable, List<LogRecord> events, String project) {
    Map<String, List<Map<String, Object>>> byKey = new HashMap<>();
    for (LogRecord event : events) {
      Map<String, Object> attributes = Otlp.attributes(event.getAttributesList());
      byKey.computeIfAbsent(key(attributes), k -> new ArrayList<>()).add(attributes);
    }
    assertEquals(
        billable.size(),
        events.size(),
        () -> "one ledger event per billable response; expected " + describe(billable) + " got " + byKey.keySet());
    for (GroundTruth truth : billable) {
      String key = truth.batch() ? "batch:" + truth.responseId() : "request:" + truth.requestId();
      List<Map<String, Object>> matches = byKey.get(key);
      assertNotNull(matches, () -> "no ledger event for " + truth);
      assertEquals(1, matches.size(), () -> "duplicate ledger events for " + truth);
      Map<String, Object> event = matches.get(0);
      String what = truth.api() + " " + truth.requestModel() + " " + truth.requestId()
          + " (recorded as " + event.get("tokenledger.usage.source") + ", status " + event.get("tokenledger.status")
          + ", diagnostic " + event.get("tokenledger.usage.diagnostic") + ")";
      for (String field : TOKEN_FIELDS) {
        assertEquals(
            truth.token(field), Otlp.tokenField(event, field),
            () -> field + " of " + what);
      }
      assertEquals(truth.usageSource(), event.get("tokenledger.usage.source"), () -> "usage source of " + what);
      assertEquals(truth.api(), event.get("tokenledger.api"), () -> "api of " + what);
      assertEquals(truth.audioSeconds(), ((Number) event.getOrDefault("tokenledger.usage.audio_seconds", 0.0)).doubleValue(), 1e-9);
      assertEquals(truth.inputCharacters(), ((Number) event.getOrDefault("tokenledger.usage.input_characters", 0L)).longValue());
      assertEquals(truth.batch(), event.get("tokenledger.batch"), () -> "batch flag of " + what);
      assertEquals(project, event.get("openai.project"), () -> "project of " + what);
      if (!truth.batch() && truth.requestModel() != null && !truth.requestModel().isEmpty()) {
        // Read from the request body however the client sent it (in memory, streamed, published).
        assertEquals(truth.requestModel(), event.get("gen_ai.request.model"), () -> "requested model of " + what);
      }
      assertEquals("sk-proj…CRET", event.get("tokenledger.api_key.fingerprint"), () -> "key fingerprint of " + what);
      if (truth.usageSource().equals("reported")) {
        // The billed model: the response's, or the request's where the body names none (audio, images).
        Object model = event.getOrDefault("gen_ai.response.model", event.get("gen_ai.request.model"));
        assertEquals(truth.model(), model, () -> "model of " + what);
        if (truth.serviceTier() != null) {
          assertEquals(truth.serviceTier(), event.get("openai.response.service_tier"), () -> "service tier of " + what);
        }
      }
    }
  }

  private static String key(Map<String, Object> attributes) {
    return Boolean.TRUE.equals(attributes.get("tokenledger.batch"))
        ? "batch:" + attributes.get("gen_ai.response.id")
        : "request:" + attributes.get("openai.request.id");
  }

  private static String describe(List<GroundTruth> truths) {
    return truths.stream().map(t -> t.api() + "/" + t.requestModel() + "/" + t.usageSource()).toList().toString();
  }

  private static void assertNothingFromNonOpenAiHosts(List<GroundTruth> truth, List<LogRecord> events) {
    Set<String> otherHostRequests =
        truth.stream().filter(t -> !t.host().equals("127.0.0.1")).map(GroundTruth::requestId).collect(Collectors.toSet());
    for (LogRecord event : events) {
      Object requestId = Otlp.attributes(event.getAttributesList()).get("openai.request.id");
      assertFalse(otherHostRequests.contains(requestId), "a call to a host not configured as OpenAI was recorded");
    }
  }

  /** tokenledger.tokens: every type × modality × cache partition sums to the ground truth's fields. */
  static void assertTokenCountersAddUp(List<GroundTruth> billable, Exported exported) {
    Map<String, Long> expected = new HashMap<>();
    for (GroundTruth t : billable) {
      expected.merge("input/text/uncached", t.token("input_text_tokens"), Long::sum);
      expected.merge("input/audio/uncached", t.token("input_audio_tokens"), Long::sum);
      expected.merge("input/image/uncached", t.token("input_image_tokens"), Long::sum);
      expected.merge("input/text/cached", t.token("input_cached_text_tokens"), Long::sum);
      expected.merge("input/audio/cached", t.token("input_cached_audio_tokens"), Long::sum);
      expected.merge("input/image/cached", t.token("input_cached_image_tokens"), Long::sum);
      expected.merge("input/text/cache_write", t.token("input_cache_write_tokens"), Long::sum);
      expected.merge("output/text/-", t.token("output_text_tokens"), Long::sum);
      expected.merge("output/audio/-", t.token("output_audio_tokens"), Long::sum);
      expected.merge("output/image/-", t.token("output_image_tokens"), Long::sum);
    }
    expected.values().removeIf(v -> v == 0);
    Map<String, Long> actual = new HashMap<>();
    for (var point : Otlp.sumPoints(exported.metrics(), "tokenledger.tokens")) {
      Map<String, Object> a = point.getKey();
      String key = a.get("gen_ai.token.type") + "/" + a.get("tokenledger.token.modality") + "/"
          + a.getOrDefault("tokenledger.token.cache", "-");
      actual.merge(key, point.getValue().longValue(), Long::sum);
    }
    assertEquals(expected, actual, "tokenledger.tokens partitions must add up to the ground truth");
  }

  private void assertRequestCountsMatch(List<GroundTruth> truth) {
    // One per billable unit, like OpenAI's num_model_requests: each response, each batch output line.
    // An error is counted once per logical call: a client's own retries of a 429 (Apache's default
    // retry strategy) happen inside the transport hook, which sits above the retry loop so that a
    // retried request is never counted twice. Each error scenario is one logical call.
    List<GroundTruth> ours = truth.stream().filter(t -> t.host().equals("127.0.0.1")).toList();
    long errors = ours.stream().filter(t -> t.usageSource().equals("none")).map(GroundTruth::requestModel).distinct().count();
    long billable = ours.stream().filter(t -> !t.usageSource().equals("none")).count();
    var points = Otlp.sumPoints(receiver.metrics(), "tokenledger.requests");
    double countedErrors =
        points.stream()
            .filter(p -> "none".equals(p.getKey().get("tokenledger.usage.source")))
            .mapToDouble(Map.Entry::getValue)
            .sum();
    double countedBillable = points.stream().mapToDouble(Map.Entry::getValue).sum() - countedErrors;
    assertEquals(billable, (long) countedBillable, "tokenledger.requests of billable responses");
    assertEquals(errors, (long) countedErrors, "error responses counted as requests without tokens");
  }

  private static void assertApplicationSawTheBytesSent(AgentRun.Result run, List<GroundTruth> truth) {
    Set<String> sent = truth.stream().map(GroundTruth::bodySha256).collect(Collectors.toSet());
    int compared = 0;
    for (String line : run.resultLines()) {
      String sha = field(line, "sha256");
      if (sha != null && !sha.equals("-")) {
        assertTrue(sent.contains(sha), () -> "the application received bytes the simulator never sent: " + line);
        compared++;
      }
    }
    if (!run.resultLines().get(0).contains("client=openai-java")) {
      assertTrue(compared > 10, "too few bodies compared byte for byte: " + compared);
    }
  }

  private static String field(String line, String name) {
    for (String part : line.split(" ")) {
      if (part.startsWith(name + "=")) {
        return part.substring(name.length() + 1);
      }
    }
    return null;
  }

  private void assertNoSecretsExported() {
    String exported = new String(receiver.rawBytes(), StandardCharsets.ISO_8859_1);
    assertFalse(exported.contains(API_KEY), "the API key was exported");
    assertFalse(exported.contains(API_KEY.substring(8, 30)), "part of the API key was exported");
    assertFalse(exported.contains(OpenAiSimulator.COMPLETION_MARKER), "completion text was exported");
    for (String prompt : DemoApp.PROMPT_TEXTS) {
      assertFalse(exported.contains(prompt), "prompt text was exported: " + prompt);
    }
  }

  private void assertSpansCarryUsage(List<GroundTruth> billable) {
    List<Span> spans = receiver.spans().stream().filter(s -> s.getKind() == Span.SpanKind.SPAN_KIND_CLIENT).toList();
    long genAiSpans =
        spans.stream().filter(s -> Otlp.attributes(s.getAttributesList()).containsKey("tokenledger.api")).count();
    long expectedSpans = billable.stream().map(GroundTruth::requestId).distinct().count();
    assertTrue(genAiSpans >= expectedSpans, "one GenAI span per billable request: " + genAiSpans + " < " + expectedSpans);
    // The transport's own HTTP span runs inside the GenAI span: same trace, GenAI span as parent.
    Map<com.google.protobuf.ByteString, Span> ours =
        spans.stream()
            .filter(s -> Otlp.attributes(s.getAttributesList()).containsKey("tokenledger.api"))
            .collect(Collectors.toMap(Span::getSpanId, s -> s));
    int httpSpans = 0;
    for (Span span : spans) {
      Map<String, Object> a = Otlp.attributes(span.getAttributesList());
      Object url = a.get("url.full");
      if (url != null && url.toString().startsWith("http://127.0.0.1") && url.toString().contains("/v1/")) {
        assertTrue(ours.containsKey(span.getParentSpanId()), "HTTP span without a GenAI parent: " + a);
        httpSpans++;
      }
    }
    assertTrue(httpSpans > 0, "the upstream agent's HTTP spans were checked");
    for (Span span : spans) {
      Map<String, Object> a = Otlp.attributes(span.getAttributesList());
      if ("reported".equals(a.get("tokenledger.usage.source")) && a.containsKey("gen_ai.usage.input_tokens")) {
        long text = ((Number) a.getOrDefault("gen_ai.usage.text.input_tokens", 0L)).longValue();
        long audio = ((Number) a.getOrDefault("gen_ai.usage.audio.input_tokens", 0L)).longValue();
        long image = ((Number) a.getOrDefault("gen_ai.usage.image.input_tokens", 0L)).longValue();
        assertEquals(((Number) a.get("gen_ai.usage.input_tokens")).longValue(), text + audio + image,
            "the conventions' modality input counts include cached tokens and add up: " + span.getName());
      }
    }
  }
}
