package dev.tokenledger.it;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.demo.realtime.RealtimeDemo;
import dev.tokenledger.simulator.GroundTruth;
import dev.tokenledger.simulator.OpenAiSimulator;
import dev.tokenledger.simulator.RealtimeConnectionTruth;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A voice agent's Realtime sessions (audio in and out, cached audio, a barge-in, transcriptions, an
 * error, a sideband connection and a reconnect, Azure's preview path, every fault model) through one
 * WebSocket client at a time, in a child JVM under the real upstream agent with the extension. What
 * the agent exports must equal what the simulator sent: one ledger event per billable unit with
 * every token field exact, grouped into the same connections, one connection span per connection
 * with one child span per response, counters that add up, the application receiving exactly the
 * messages sent, and no key, instructions or transcript text in anything exported.
 */
class RealtimeUsageIT extends AgentTestBase {

  static final String API_KEY = "sk-proj-TokenLedgerRealtimeKey0123456789abcdSECRET";
  static final String PROJECT = "proj_tokenledger_rt";

  @ParameterizedTest(name = "{0} under {1}")
  @CsvSource({
    "jdk, UPSTREAM_WITH_EXTENSION",
    "okhttp, UPSTREAM_WITH_EXTENSION",
    "jakarta, UPSTREAM_WITH_EXTENSION",
    "jakarta-partial, ONE_JAR",
    "jakarta-lambda, UPSTREAM_WITH_EXTENSION",
    "jakarta-annotated, UPSTREAM_WITH_EXTENSION",
    "jakarta-annotated-class, ONE_JAR",
  })
  void everyBillableEventIsRecordedOncePerConnection(String client, AgentRun.Agent agent) throws Exception {
    AgentRun.Result run =
        AgentRun.runMain(agent, receiver.endpoint(), false, List.of(), Map.of("OPENAI_API_KEY", API_KEY),
            AgentRun.REALTIME_DEMO_MAIN,
            "--ws-url", simulator.realtimeUri(), "--project", PROJECT, "--clients", client);
    assertEquals(0, run.exitCode(), () -> "demo app failed:\n" + run.stdout() + run.stderr());
    List<String> results = run.resultLines();
    assertEquals(8, results.size(), () -> "one RESULT per scenario:\n" + run.stdout());
    for (String line : results) {
      assertFalse(line.contains("status=EXC"), () -> "a scenario failed in the app: " + line + "\n" + run.stderr());
    }
    assertTrue(simulator.awaitRealtimeIdle(results.size(), Duration.ofSeconds(10)), "connections did not end");
    assertNoInstrumentationErrors(run.stderr());

    List<GroundTruth> truth = realtimeTruth(simulator);
    List<RealtimeConnectionTruth> connections = simulator.realtimeConnections();
    assertEquals(8, connections.size());
    assertTrue(truth.stream().anyMatch(g -> g.status().equals("cancelled")), "the run has a barge-in");
    assertTrue(truth.stream().anyMatch(g -> g.token("input_cached_audio_tokens") > 0), "and cached audio");
    assertTrue(truth.stream().anyMatch(g -> g.audioSeconds() > 0), "and duration-billed transcription");
    assertTrue(truth.stream().anyMatch(g -> g.usageSource().equals("missing")), "and responses cut short");

    // every check runs and reports, so one run shows every difference
    assertAll(
        () -> assertLedgerEqualsGroundTruth(truth, receiver, true),
        () -> assertConnectionsGroupTheSameUnits(truth, receiver),
        () -> HttpUsageIT.assertTokenCountersAddUp(truth, receiver),
        () -> assertRequestCountsMatch(truth, receiver),
        () -> assertConnectionCounter(connections, receiver),
        () -> assertSpans(truth, connections, receiver),
        () -> assertApplicationReceivedWhatWasSent(results, connections),
        () -> assertNoSecretsExported(receiver));
  }

  // ------------------------------------------------------------------ shared with the crash test

  static List<GroundTruth> realtimeTruth(OpenAiSimulator simulator) {
    return simulator.groundTruth().stream().filter(GroundTruth::realtime).toList();
  }

  static List<Map<String, Object>> realtimeEvents(Exported exported) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (LogRecord record : exported.logs()) {
      if (Otlp.isUsageEvent(record)) {
        Map<String, Object> a = Otlp.attributes(record.getAttributesList());
        if (String.valueOf(a.get("tokenledger.api")).startsWith("realtime")) {
          out.add(a);
        }
      }
    }
    return out;
  }

  /** Diagnostics (WARN lines) are expected for the fault models; failures of the instrumentation are not. */
  static void assertNoInstrumentationErrors(String stderr) {
    for (String line : stderr.split("\n")) {
      boolean failure = line.contains("dev.tokenledger")
          && (line.contains(" ERROR ") || line.strip().startsWith("at dev.tokenledger"));
      assertFalse(failure || line.contains("Exception in thread"),
          () -> "the instrumentation reported a failure:\n" + stderr);
    }
  }

  /**
   * One ledger event per billable unit (every {@code response.done}, every transcription with usage,
   * every response cut before its {@code response.done}), keyed by response or item id, with every
   * token field and attribute equal to the ground truth. Every difference is listed in one failure.
   */
  static void assertLedgerEqualsGroundTruth(List<GroundTruth> truth, Exported exported, boolean withProject) {
    List<GroundTruth> billable = truth.stream().filter(g -> !g.usageSource().equals("none")).toList();
    List<Map<String, Object>> events = realtimeEvents(exported);
    Map<String, List<Map<String, Object>>> byId = new HashMap<>();
    for (Map<String, Object> e : events) {
      byId.computeIfAbsent(String.valueOf(e.get("gen_ai.response.id")), k -> new ArrayList<>()).add(e);
    }
    List<String> problems = new ArrayList<>();
    if (billable.size() != events.size()) {
      problems.add("one ledger event per billable unit: expected " + billable.size() + ", got " + events.size());
    }
    Set<String> expectedIds = billable.stream().map(GroundTruth::responseId).collect(Collectors.toSet());
    for (Map<String, Object> e : events) {
      if (!expectedIds.contains(String.valueOf(e.get("gen_ai.response.id")))) {
        problems.add("a ledger event for no billable unit: " + describeEvents(List.of(e)));
      }
    }
    for (GroundTruth g : billable) {
      List<Map<String, Object>> matches = byId.get(g.responseId());
      String what = g.api() + " " + g.responseId() + " (" + g.status() + ", " + g.usageSource() + ", connection "
          + g.connectionId() + ")";
      if (matches == null) {
        problems.add("no ledger event for " + what);
        continue;
      }
      if (matches.size() != 1) {
        problems.add(matches.size() + " ledger events for " + what);
        continue;
      }
      Map<String, Object> e = matches.get(0);
      String recorded = what + " recorded as " + e.get("tokenledger.usage.source") + "/" + e.get("tokenledger.status")
          + " (diagnostic " + e.get("tokenledger.usage.diagnostic") + ")";
      for (String field : HttpUsageIT.TOKEN_FIELDS) {
        long actual = Otlp.tokenField(e, field);
        if (g.token(field) != actual) {
          problems.add(field + " of " + recorded + ": expected " + g.token(field) + ", got " + actual);
        }
      }
      double seconds = ((Number) e.getOrDefault("tokenledger.usage.audio_seconds", 0.0)).doubleValue();
      if (Math.abs(g.audioSeconds() - seconds) > 1e-9) {
        problems.add("audio seconds of " + recorded + ": expected " + g.audioSeconds() + ", got " + seconds);
      }
      check(problems, "usage source", recorded, g.usageSource(), e.get("tokenledger.usage.source"));
      check(problems, "status", recorded, g.status(), e.get("tokenledger.status"));
      check(problems, "api", recorded, g.api(), e.get("tokenledger.api"));
      check(problems, "operation", recorded, "realtime", e.get("gen_ai.operation.name"));
      check(problems, "session", recorded, g.sessionId(), e.get("tokenledger.session.id"));
      check(problems, "server", recorded, "127.0.0.1", e.get("server.address"));
      if (e.get("tokenledger.connection.id") == null) {
        problems.add("no connection id on " + recorded);
      }
      if (g.api().equals("realtime")) {
        check(problems, "request model", recorded, g.requestModel(), e.get("gen_ai.request.model"));
        check(problems, "response model", recorded, g.model(), e.get("gen_ai.response.model"));
      } else {
        check(problems, "transcription model", recorded, g.model(),
            e.getOrDefault("gen_ai.response.model", e.get("gen_ai.request.model")));
      }
      if (withProject) {
        check(problems, "project", recorded, PROJECT, e.get("openai.project"));
      }
      Object fingerprint = e.get("tokenledger.api_key.fingerprint");
      if (fingerprint != null && !fingerprint.equals("sk-proj…CRET")) {
        problems.add("key fingerprint of " + recorded + ": " + fingerprint);
      }
      if (g.usageSource().equals("missing") && e.get("tokenledger.usage.diagnostic") == null) {
        problems.add("a missing record must say why: " + recorded);
      }
    }
    assertTrue(problems.isEmpty(), () -> problems.size() + " differences from the ground truth:\n  "
        + String.join("\n  ", problems));
  }

  private static void check(List<String> problems, String what, String unit, Object expected, Object actual) {
    if (!java.util.Objects.equals(expected, actual)) {
      problems.add(what + " of " + unit + ": expected " + expected + ", got " + actual);
    }
  }

  private static String describe(List<GroundTruth> truths) {
    return truths.stream().map(t -> t.api() + "/" + t.responseId() + "/" + t.status() + "/" + t.usageSource()).toList().toString();
  }

  private static String describeEvents(List<Map<String, Object>> events) {
    return events.stream().map(e -> e.get("tokenledger.api") + "/" + e.get("gen_ai.response.id") + "/"
        + e.get("tokenledger.status") + "/" + e.get("tokenledger.usage.source")).toList().toString();
  }

  /** The agent's connections hold exactly the units the simulator's connections carried. */
  static void assertConnectionsGroupTheSameUnits(List<GroundTruth> truth, Exported exported) {
    Set<Set<String>> expected = truth.stream().filter(g -> g.responseId() != null)
        .collect(Collectors.groupingBy(GroundTruth::connectionId,
            Collectors.mapping(GroundTruth::responseId, Collectors.toSet())))
        .values().stream().collect(Collectors.toSet());
    Set<Set<String>> actual = realtimeEvents(exported).stream()
        .collect(Collectors.groupingBy(e -> String.valueOf(e.get("tokenledger.connection.id")),
            Collectors.mapping(e -> String.valueOf(e.get("gen_ai.response.id")), Collectors.toSet())))
        .values().stream().collect(Collectors.toSet());
    assertEquals(expected, actual, "units grouped per connection");
    // sideband connections share the session of the call they joined; a reconnect gets its own
    Map<String, Set<String>> connectionsPerSession = new TreeMap<>();
    for (Map<String, Object> e : realtimeEvents(exported)) {
      connectionsPerSession.computeIfAbsent(String.valueOf(e.get("tokenledger.session.id")), k -> new HashSet<>())
          .add(String.valueOf(e.get("tokenledger.connection.id")));
    }
    Map<String, Set<String>> expectedPerSession = new TreeMap<>();
    for (GroundTruth g : truth) {
      if (!g.usageSource().equals("none")) {
        expectedPerSession.computeIfAbsent(g.sessionId(), k -> new HashSet<>()).add(g.connectionId());
      }
    }
    assertEquals(
        expectedPerSession.values().stream().map(Set::size).sorted().toList(),
        connectionsPerSession.values().stream().map(Set::size).sorted().toList(),
        "connections per session");
  }

  /** tokenledger.requests: one per billable unit by status and source, one per error event. */
  static void assertRequestCountsMatch(List<GroundTruth> truth, Exported exported) {
    Map<String, Long> expected = new TreeMap<>();
    for (GroundTruth g : truth) {
      expected.merge(g.api() + "/" + g.status() + "/" + g.usageSource(), 1L, Long::sum);
    }
    Map<String, Long> actual = new TreeMap<>();
    for (var p : Otlp.sumPoints(exported.metrics(), "tokenledger.requests")) {
      Map<String, Object> a = p.getKey();
      if (String.valueOf(a.get("tokenledger.api")).startsWith("realtime")) {
        actual.merge(a.get("tokenledger.api") + "/" + a.get("tokenledger.status") + "/"
            + a.get("tokenledger.usage.source"), p.getValue().longValue(), Long::sum);
      }
    }
    actual.values().removeIf(v -> v == 0);
    assertEquals(expected, actual, "tokenledger.requests by api/status/source");
  }

  static void assertConnectionCounter(List<RealtimeConnectionTruth> connections, Exported exported) {
    long counted = 0;
    for (var p : Otlp.sumPoints(exported.metrics(), "tokenledger.realtime.connections")) {
      Map<String, Object> a = p.getKey();
      assertEquals("realtime", a.get("tokenledger.api"), "connection counter attributes: " + a);
      assertEquals("127.0.0.1", a.get("server.address"), "connection counter attributes: " + a);
      assertFalse(a.containsKey("tokenledger.connection.id") || a.containsKey("tokenledger.session.id"),
          "ids never go on metrics: " + a);
      counted += p.getValue().longValue();
    }
    assertEquals(connections.size(), counted, "tokenledger.realtime.connections: one per connection");
  }

  /** One CLIENT span per connection, one child span per response under it, with the usage. */
  static void assertSpans(List<GroundTruth> truth, List<RealtimeConnectionTruth> connections, Exported exported) {
    List<Span> spans = exported.spans();
    Map<String, Span> connectionSpans = new HashMap<>();
    for (Span s : spans) {
      Map<String, Object> a = Otlp.attributes(s.getAttributesList());
      if (s.getKind() == Span.SpanKind.SPAN_KIND_CLIENT && s.getName().startsWith("realtime")
          && a.containsKey("tokenledger.connection.id")) {
        assertEquals("realtime", a.get("gen_ai.operation.name"), "operation of " + s.getName());
        assertEquals("127.0.0.1", a.get("server.address"));
        Span previous = connectionSpans.put(String.valueOf(a.get("tokenledger.connection.id")), s);
        assertTrue(previous == null, "two spans for one connection: " + a);
      }
    }
    assertEquals(connections.size(), connectionSpans.size(), "one connection span per WebSocket connection");
    Set<String> sessions = connections.stream().map(RealtimeConnectionTruth::sessionId).collect(Collectors.toSet());
    for (Span s : connectionSpans.values()) {
      Object session = Otlp.attributes(s.getAttributesList()).get("tokenledger.session.id");
      assertTrue(sessions.contains(session), () -> "connection span with an unknown session: " + session);
    }
    Map<com.google.protobuf.ByteString, Span> bySpanId = connectionSpans.values().stream()
        .collect(Collectors.toMap(Span::getSpanId, x -> x));
    Map<String, Span> responseSpans = new HashMap<>();
    for (Span s : spans) {
      if (s.getName().startsWith("response") && bySpanId.containsKey(s.getParentSpanId())) {
        Map<String, Object> a = Otlp.attributes(s.getAttributesList());
        Span previous = responseSpans.put(String.valueOf(a.get("gen_ai.response.id")), s);
        assertTrue(previous == null, "two spans for one response: " + a);
      }
    }
    List<GroundTruth> responses = truth.stream().filter(g -> g.api().equals("realtime") && g.responseId() != null).toList();
    assertEquals(responses.size(), responseSpans.size(),
        () -> "one child span per response; spans for " + responseSpans.keySet());
    Map<String, com.google.protobuf.ByteString> connectionOfSpan = new HashMap<>();
    for (GroundTruth g : responses) {
      Span s = responseSpans.get(g.responseId());
      assertNotNull(s, () -> "no span for response " + g.responseId());
      Map<String, Object> a = Otlp.attributes(s.getAttributesList());
      assertEquals(g.status(), a.get("tokenledger.status"), () -> "span status attribute of " + g.responseId());
      if (g.usageSource().equals("reported")) {
        assertEquals(g.token("input_tokens"), ((Number) a.get("gen_ai.usage.input_tokens")).longValue(),
            () -> "gen_ai.usage.input_tokens of " + g.responseId());
        assertEquals(g.token("output_tokens"), ((Number) a.get("gen_ai.usage.output_tokens")).longValue(),
            () -> "gen_ai.usage.output_tokens of " + g.responseId());
      }
      // the responses of one simulator connection sit under one connection span
      com.google.protobuf.ByteString parent = s.getParentSpanId();
      com.google.protobuf.ByteString earlier = connectionOfSpan.putIfAbsent(g.connectionId(), parent);
      assertTrue(earlier == null || earlier.equals(parent), () -> "responses of one connection under two spans");
    }
  }

  /** Each RESULT line's digest is the digest of one connection's messages as the simulator sent them. */
  static void assertApplicationReceivedWhatWasSent(List<String> results, List<RealtimeConnectionTruth> connections) {
    List<String> received = results.stream().map(l -> field(l, "sha256")).sorted().toList();
    List<String> sent = connections.stream().map(RealtimeConnectionTruth::sentSha256).sorted().toList();
    Set<String> sentSet = new HashSet<>(sent);
    Set<String> receivedSet = new HashSet<>(received);
    String differences = results.stream().filter(l -> !sentSet.contains(field(l, "sha256")))
        .map(l -> "app: " + l).collect(Collectors.joining("\n"))
        + "\n" + connections.stream().filter(c -> !receivedSet.contains(c.sentSha256()))
        .map(c -> "simulator: " + c.connectionId() + " " + c.path() + " " + c.end() + " messages=" + c.messagesSent())
        .collect(Collectors.joining("\n"));
    assertEquals(sent, received, () -> "the application received exactly the messages sent, per connection:\n"
        + differences);
  }

  static String field(String line, String name) {
    for (String part : line.split(" ")) {
      if (part.startsWith(name + "=")) {
        return part.substring(name.length() + 1);
      }
    }
    return null;
  }

  static void assertNoSecretsExported(Exported exported) {
    String text = new String(exported.rawBytes(), StandardCharsets.ISO_8859_1);
    assertFalse(text.contains(API_KEY), "the API key was exported");
    assertFalse(text.contains(API_KEY.substring(8, 30)), "part of the API key was exported");
    assertFalse(text.contains(OpenAiSimulator.COMPLETION_MARKER), "assistant transcript text was exported");
    assertFalse(text.contains(OpenAiSimulator.TRANSCRIPT_MARKER), "user transcript text was exported");
    for (String prompt : RealtimeDemo.PROMPT_TEXTS) {
      assertFalse(text.contains(prompt), "instructions or user text were exported: " + prompt);
    }
  }
}
