package dev.tokenledger.cli;

import dev.tokenledger.clickhouse.SqlText;
import dev.tokenledger.simulator.GroundTruth;
import dev.tokenledger.simulator.OpenAiSimulator;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Known traffic for the command's tests: real requests to the OpenAI simulator (chat, Responses,
 * legacy completions, embeddings; projects, tiers, a stream without usage, an error), whose ground
 * truth — what the simulator billed — is the yardstick of every assertion.
 *
 * <p>The ledger side is seeded from that ground truth as {@code tokenledger.usage} rows in
 * {@code otel_logs}, shaped exactly as the agent's records arrive through the Collector (every
 * attribute a string); the materialized views then fill usage_events and usage_hourly. Running the
 * agent and Collector here would only repeat what the integration tests already prove end to end;
 * this keeps the command's tests about the command. The records are spread over the last days
 * (each unit's time moved back by a whole number of days, the same shift on both sides) so daily
 * charts and parity have several days.
 */
final class SimulatedTraffic {

  /** Trace id shared by the units of one simulated inbound request: what `report session` can look up. */
  static final String TRACE_PREFIX = "7ace";

  final List<GroundTruth> truth;
  final Map<GroundTruth, String> traceIds = new LinkedHashMap<>();

  private SimulatedTraffic(List<GroundTruth> truth) {
    this.truth = truth;
    for (int i = 0; i < truth.size(); i++) {
      traceIds.put(truth.get(i), traceId(i / 3));
    }
  }

  static String traceId(int group) {
    return String.format("%s%028x", TRACE_PREFIX, group);
  }

  /** Sends the traffic and returns its ground truth, spread over the last {@code days} days. */
  static SimulatedTraffic generate(OpenAiSimulator sim, int requests, int days) throws Exception {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
    String[][] shapes = {
        {"/chat/completions", "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hello %d\"}]}", "proj_alpha"},
        {"/responses", "{\"model\":\"gpt-5-mini\",\"input\":\"summarise item %d\"}", "proj_beta"},
        {"/chat/completions", "{\"model\":\"gpt-4o\",\"service_tier\":\"flex\",\"messages\":[{\"role\":\"user\",\"content\":\"q %d\"}]}", null},
        {"/completions", "{\"model\":\"gpt-3.5-turbo-instruct\",\"prompt\":\"complete %d\"}", "proj_alpha"},
        {"/embeddings", "{\"model\":\"text-embedding-3-small\",\"input\":\"embed %d\"}", "proj_beta"},
        {"/chat/completions", "{\"model\":\"gpt-4o-mini\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"s %d\"}]}", "proj_alpha"},
        {"/chat/completions", "{\"model\":\"sim-error-429\",\"messages\":[{\"role\":\"user\",\"content\":\"e %d\"}]}", null},
    };
    for (int i = 0; i < requests; i++) {
      String[] shape = shapes[i % shapes.length];
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(sim.baseUrl() + shape[0]))
          .timeout(Duration.ofSeconds(30))
          .header("Authorization", "Bearer sk-test-not-a-key")
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(String.format(shape[1], i)));
      if (shape[2] != null) {
        b.header("OpenAI-Project", shape[2]);
      }
      http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }
    List<GroundTruth> shifted = new ArrayList<>();
    List<GroundTruth> raw = sim.groundTruth();
    for (int i = 0; i < raw.size(); i++) {
      GroundTruth g = raw.get(i);
      Instant t = g.time().minus((long) (i * 7 % days), ChronoUnit.DAYS);
      shifted.add(new GroundTruth(g.responseId(), g.requestId(), g.api(), g.model(), g.requestModel(), g.httpStatus(),
          g.usageSource(), g.tokens(), g.audioSeconds(), g.inputCharacters(), g.serviceTier(), g.batch(), g.streamed(),
          g.project(), g.bodySha256(), g.bodyLength(), t, g.host()));
    }
    return new SimulatedTraffic(shifted);
  }

  /** The units the agent records (everything answered with a body; errors leave no ledger row). */
  List<GroundTruth> recorded() {
    return truth.stream().filter(g -> !g.usageSource().equals("none")).toList();
  }

  /** The INSERT that puts the recorded units into {@code db}.otel_logs as the Collector would. */
  String otelLogsInsert(String db) {
    StringJoiner rows = new StringJoiner(",\n");
    for (GroundTruth g : recorded()) {
      rows.add(row(g, attributes(g), traceIds.get(g)));
    }
    return "INSERT INTO " + SqlText.quoteIdentifier(db) + ".otel_logs (Timestamp, TraceId, SpanId, TraceFlags,"
        + " SeverityText, SeverityNumber, ServiceName, Body, ResourceSchemaUrl, ResourceAttributes, ScopeSchemaUrl,"
        + " ScopeName, ScopeVersion, ScopeAttributes, LogAttributes, EventName) VALUES\n" + rows;
  }

  /** One more usage record whose model name is markup, to prove the HTML report escapes it. */
  static String hostileRecordInsert(String db, String model, Instant time) {
    Map<String, String> a = new LinkedHashMap<>();
    a.put("gen_ai.provider.name", "openai");
    a.put("gen_ai.operation.name", "chat");
    a.put("tokenledger.api", "chat.completions");
    a.put("gen_ai.request.model", model);
    a.put("gen_ai.response.model", model);
    a.put("tokenledger.status", "ok");
    a.put("tokenledger.usage.source", "reported");
    a.put("tokenledger.usage.input_tokens", "5");
    a.put("tokenledger.usage.input_uncached_tokens", "5");
    a.put("tokenledger.usage.input_text_tokens", "5");
    return "INSERT INTO " + SqlText.quoteIdentifier(db) + ".otel_logs (Timestamp, TraceId, SpanId, TraceFlags,"
        + " SeverityText, SeverityNumber, ServiceName, Body, ResourceSchemaUrl, ResourceAttributes, ScopeSchemaUrl,"
        + " ScopeName, ScopeVersion, ScopeAttributes, LogAttributes, EventName) VALUES\n"
        + row(time, a, traceId(999_999));
  }

  private static Map<String, String> attributes(GroundTruth g) {
    Map<String, String> a = new LinkedHashMap<>();
    a.put("gen_ai.provider.name", "openai");
    a.put("gen_ai.operation.name", g.api().startsWith("chat") ? "chat" : g.api());
    a.put("tokenledger.api", g.api());
    a.put("gen_ai.request.model", g.requestModel());
    if (g.model() != null) {
      a.put("gen_ai.response.model", g.model());
    }
    if (g.responseId() != null) {
      a.put("gen_ai.response.id", g.responseId());
    }
    if (g.serviceTier() != null) {
      a.put("openai.response.service_tier", g.serviceTier());
    }
    if (g.project() != null) {
      a.put("openai.project", g.project());
    }
    a.put("tokenledger.batch", String.valueOf(g.batch()));
    a.put("tokenledger.status", "ok");
    a.put("tokenledger.usage.source", g.usageSource());
    a.put("openai.request.id", g.requestId());
    a.put("server.address", "api.openai.com");
    g.tokens().forEach((k, v) -> a.put("tokenledger.usage." + k, String.valueOf(v)));
    if (g.audioSeconds() != 0) {
      a.put("tokenledger.usage.audio_seconds", String.valueOf(g.audioSeconds()));
    }
    if (g.inputCharacters() != 0) {
      a.put("tokenledger.usage.input_characters", String.valueOf(g.inputCharacters()));
    }
    return a;
  }

  private static String row(GroundTruth g, Map<String, String> attributes, String traceId) {
    return row(g.time(), attributes, traceId);
  }

  private static String row(Instant time, Map<String, String> attributes, String traceId) {
    long nanos = time.getEpochSecond() * 1_000_000_000L + time.getNano();
    StringJoiner m = new StringJoiner(", ", "{", "}");
    attributes.forEach((k, v) -> m.add(SqlText.quoteString(k) + ": " + SqlText.quoteString(v)));
    return "(fromUnixTimestamp64Nano(toInt64(" + nanos + ")), " + SqlText.quoteString(traceId)
        + ", '0123456789abcdef', 1, 'INFO', 9, 'demo-app', '', '', {'service.name': 'demo-app'}, '', 'dev.tokenledger',"
        + " '0.1.0', {}, " + m + ", 'tokenledger.usage')";
  }

  /** Sum of one export field over the recorded units. */
  long sum(String field) {
    return recorded().stream().mapToLong(g -> g.token(field)).sum();
  }
}
