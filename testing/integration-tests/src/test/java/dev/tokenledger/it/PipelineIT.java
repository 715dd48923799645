package dev.tokenledger.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tokenledger.clickhouse.ClickHouseHttpFront;
import dev.tokenledger.clickhouse.EmbeddedClickHouse;
import dev.tokenledger.clickhouse.Migrations;
import dev.tokenledger.clickhouse.SqlText;
import dev.tokenledger.clickhouse.queries.Query;
import dev.tokenledger.clickhouse.queries.QueryLibrary;
import dev.tokenledger.simulator.GroundTruth;
import dev.tokenledger.simulator.OpenAiSimulator;
import dev.tokenledger.simulator.UsageExport;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * The whole pipeline with real parts, compared with the simulator's ground truth (docs/architecture.md#how-it-is-verified): the
 * demo app under the one-jar agent calls the OpenAI simulator through every client; the agent sends
 * OTLP to the real Collector (collector-config/, built from its Go modules); the Collector writes into
 * ClickHouse (the embedded engine behind its HTTP front, or the server at {@code CLICKHOUSE_URL});
 * the migrations' materialized views fill {@code usage_events} and {@code usage_hourly}. Then:
 * one ledger row per billable response with every token field exact, hourly sums with zero
 * difference, and {@code usage_daily_openai} equal to the simulator's OpenAI-style export row for row.
 * The demo app runs twice with its clock moved (FakeClock) to either side of a UTC midnight, so the
 * rows land in two hours and two days; and the metrics pipeline's {@code tokenledger.tokens} and
 * {@code tokenledger.requests} in otel_metrics_sum add up to the same ground truth.
 *
 * <p>Each run also plays the Realtime demo's voice-agent sessions (every billable kind: completed,
 * cancelled, failed and incomplete responses, responses cut by a dropped connection, token- and
 * duration-billed transcriptions, sideband and reconnected connections) through several WebSocket
 * clients under the same agent and Collector, so the Realtime rows cross the same boundaries and
 * every assertion above covers them too. Then the query library's Realtime questions, run on this
 * ledger, must give the figures computed from the simulator's records; and the {@code tokenledger}
 * command, fed the simulator's OpenAI-style CSV export, must find no difference in its parity check.
 */
class PipelineIT {

  static final String API_KEY = HttpUsageIT.API_KEY;
  static final String PROJECT = "proj_tokenledger_pipeline";
  static final List<String> TOKEN_FIELDS = HttpUsageIT.TOKEN_FIELDS;
  /** The token columns of the OpenAI-shaped export, in its column order (no reasoning column there). */
  static final List<String> EXPORT_TOKEN_COLUMNS = UsageExport.CSV_COLUMNS.subList(11, UsageExport.CSV_COLUMNS.size());
  static final long ROWS_DEADLINE_MILLIS = TimeUnit.SECONDS.toMillis(60);
  /**
   * Where the demo app's faked clock starts, relative to a UTC midnight. A run is stopped after 5
   * minutes (AgentRun), so the first one ends before midnight and no record of either lies near the
   * boundary, where the ledger's time (the agent's log record) and the simulator's (its response),
   * milliseconds apart, could fall on two sides of it.
   */
  static final Duration RUN_BEFORE_MIDNIGHT = Duration.ofMinutes(10);
  static final Duration RUN_AFTER_MIDNIGHT = Duration.ofSeconds(30);

  /**
   * The Realtime demo's runs on each side of the boundary: three WebSocket clients, every scenario.
   * The java.net.http client leaves out {@code drop} (the server cutting the TCP connection inside a
   * response): that client intermittently never sees the cut and the demo's wait times out, with or
   * without the agent, so the scenario would make this test flaky for a reason outside the pipeline.
   * OkHttp and Jakarta play it; RealtimeUsageIT covers every client's own behaviour.
   */
  static final List<List<String>> REALTIME_RUNS = List.of(
      List.of("--clients", "okhttp,jakarta"),
      List.of("--clients", "jdk", "--scenarios", "voice-agent,sideband,reconnect,transcription,azure,faults,app-close"));
  static final Path CLI_JAR = AgentRun.IT_DIR.resolve("tokenledger-cli.jar");

  static final Path OUT_DIR =
      Paths.get(System.getProperty("tokenledger.it.dir", "target/it")).toAbsolutePath().getParent().resolve("pipeline-it");

  static EmbeddedClickHouse engine;
  static ClickHouseHttpFront front;
  static String clickhouseUrl;
  static String user;
  static String password;
  static boolean realServer;
  static String db;
  static String q;
  static Collector collector;
  static OpenAiSimulator simulator;
  static List<GroundTruth> billable;
  /**
   * Calls that ended in an error response, as the agent counts them: once per call, however often the
   * client retried it inside (Apache's default strategy retries a 429, so the simulator sees more
   * error responses than there were calls). Counted from the application's own RESULT lines: one per
   * call, and the error scenarios are the calls the simulator answers with 4xx/5xx.
   */
  static long errorCalls;
  /** The simulator's error responses (retries included): at least {@link #errorCalls}. */
  static long errorResponses;
  /** The Realtime units the simulator sent: billable ones and {@code error} events (usage source none). */
  static List<GroundTruth> realtimeTruth;
  static List<GroundTruth> realtimeBillable;
  /** Realtime WebSocket connections the simulator served. */
  static int realtimeConnections;
  static long ledgerRowsSeen;
  static String waitOutcome;

  /** Prints the Collector's log when a test fails: most pipeline failures are explained there. */
  @RegisterExtension
  static final TestWatcher PRINT_COLLECTOR_LOG_ON_FAILURE = new TestWatcher() {
    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
      printCollectorLog("test " + context.getDisplayName() + " failed");
    }
  };

  @BeforeAll
  static void startPipelineAndRunTheDemo() throws Exception {
    Files.createDirectories(OUT_DIR);
    try {
      startClickHouse();
      // The Collector only after the migrations: its exporter reads the tables' columns once at start
      // (without otel_logs.EventName it would leave the event name out of every insert).
      Path binary = Collector.build(OUT_DIR.resolve("collector-build.log"));
      collector = Collector.start(binary, clickhouseUrl, user, password, db, OUT_DIR.resolve("collector.log"),
          TimeUnit.SECONDS.toMillis(30));
      System.err.println("[PipelineIT] Collector up: OTLP " + collector.otlpHttpEndpoint() + ", log " + collector.log());

      simulator = OpenAiSimulator.start(0);
      // Two runs of every client and the default scenarios under the one-jar agent, the key in the
      // environment, each with the demo app's clock moved (libfaketime): the first ends before a UTC
      // midnight, the second starts after it, so the ledger, the rollups and the daily export must
      // put rows into two hours and two days. The simulator (in this JVM) keeps the real clock; its
      // records are moved by the same offset, exactly.
      Instant midnight = Instant.now().truncatedTo(ChronoUnit.DAYS).plus(2, ChronoUnit.DAYS);
      // The Realtime demo runs right after the HTTP one with the clock started at the same point: each
      // run stays well inside its side of the boundary.
      List<GroundTruth> all = new ArrayList<>();
      for (Instant start : List.of(midnight.minus(RUN_BEFORE_MIDNIGHT), midnight.plus(RUN_AFTER_MIDNIGHT))) {
        String side = start.isBefore(midnight) ? "before-midnight" : "after-midnight";
        all.addAll(runDemoWithClockAt(start, side, null));
        for (int i = 0; i < REALTIME_RUNS.size(); i++) {
          all.addAll(runDemoWithClockAt(start, "realtime-" + (i + 1) + "-" + side, REALTIME_RUNS.get(i)));
        }
      }
      billable = all.stream().filter(t -> t.host().equals("127.0.0.1") && !t.usageSource().equals("none")).toList();
      realtimeTruth = all.stream().filter(t -> t.host().equals("127.0.0.1") && t.realtime()).toList();
      realtimeBillable = realtimeTruth.stream().filter(t -> !t.usageSource().equals("none")).toList();
      realtimeConnections = simulator.realtimeConnections().size();
      assertFalse(billable.isEmpty(), "the simulator recorded no billable responses");
      assertFalse(realtimeBillable.isEmpty(), "the simulator recorded no billable Realtime units");
      awaitLedgerRows(billable.size());
      // Realtime error events count as requests with usage source none, as failed HTTP calls do.
      awaitRequestCounter(billable.size() + errorCalls + realtimeUnbilled());
    } catch (Throwable t) {
      printCollectorLog("set-up failed");
      throw t;
    }
  }

  @AfterAll
  static void stopEverything() {
    // Each step on its own, so one failure does not leave the others running.
    if (simulator != null) {
      run("simulator", simulator::close);
    }
    if (collector != null) {
      run("Collector", collector::close);
      Integer exit = collector.exitCode();
      System.err.println("[PipelineIT] Collector stopped with SIGTERM, exit " + exit + "; log " + collector.log());
    }
    if (db != null && clickhouseUrl != null && realServer) {
      run("drop database", () -> exec("DROP DATABASE IF EXISTS " + q + " SYNC"));
    }
    if (front != null) {
      // How close the Collector's inserts came to the front's body limit.
      System.err.printf("[PipelineIT] largest request body the HTTP front accepted: %d bytes (limit %d)%n",
          front.largestBodyBytes(), front.maxBodyBytes());
      run("HTTP front", front::close);
    }
    if (engine != null) {
      run("embedded ClickHouse", engine::close);
    }
  }

  // ------------------------------------------------------------------------------------------ tests

  @Test
  void everyBillableResponseIsExactlyOneLedgerRowWithEveryFieldEqual() throws Exception {
    List<Map<String, String>> rows = rows("SELECT request_id, response_id, toString(batch) AS batch, api, usage_source,"
        + " status, session_id, connection_id, model, project_id, service_tier, api_key_fingerprint, malformed_fields,"
        + " audio_seconds, input_characters, "
        + String.join(", ", TOKEN_FIELDS) + " FROM " + q + ".usage_events");
    // The differences are collected first, so that a missing or extra row is named, not just counted.

    Map<String, List<Map<String, String>>> byKey = new HashMap<>();
    for (Map<String, String> row : rows) {
      byKey.computeIfAbsent(ledgerKey(row), k -> new ArrayList<>()).add(row);
    }
    List<String> problems = new ArrayList<>();
    // Realtime: the agent's connection ids are its own, so connections are compared as the sets of
    // units each one carried.
    Map<String, Set<String>> unitsPerConnection = new TreeMap<>();
    for (GroundTruth truth : billable) {
      String key = truthKey(truth);
      List<Map<String, String>> matches = byKey.remove(key);
      String what = truth.api() + " " + truth.requestModel() + " " + key + " (" + truth.usageSource()
          + (truth.streamed() ? ", streamed" : "") + ")";
      if (matches == null) {
        problems.add("no usage_events row for " + what);
        continue;
      }
      if (matches.size() != 1) {
        problems.add(matches.size() + " usage_events rows for " + what);
        continue;
      }
      Map<String, String> row = matches.get(0);
      for (String field : TOKEN_FIELDS) {
        check(problems, what, field, String.valueOf(truth.token(field)), row.get(field));
      }
      check(problems, what, "usage_source", truth.usageSource(), row.get("usage_source"));
      check(problems, what, "model", truth.model(), row.get("model"));
      check(problems, what, "api", truth.api(), row.get("api"));
      check(problems, what, "batch", String.valueOf(truth.batch()), row.get("batch"));
      check(problems, what, "project_id", nz(truth.project()), row.get("project_id"));
      // A non-streamed body that was cut or garbled before "usage" never carried service_tier (the
      // simulator writes it after usage), so the agent cannot know it; the simulator still records the
      // tier it served. What that does to the bill comparison is asserted in the daily test.
      if (!(truth.usageSource().equals("missing") && !truth.streamed())) {
        check(problems, what, "service_tier", nz(truth.serviceTier()), row.get("service_tier"));
      }
      check(problems, what, "input_characters", String.valueOf(truth.inputCharacters()), row.get("input_characters"));
      check(problems, what, "malformed_fields", "0", row.get("malformed_fields"));
      check(problems, what, "api_key_fingerprint", "sk-proj…CRET", row.get("api_key_fingerprint"));
      if (Math.abs(truth.audioSeconds() - Double.parseDouble(row.get("audio_seconds"))) > 1e-9) {
        problems.add(what + ": audio_seconds expected " + truth.audioSeconds() + " but was " + row.get("audio_seconds"));
      }
      if (truth.realtime()) {
        check(problems, what, "status", truth.status(), row.get("status"));
        check(problems, what, "session_id", truth.sessionId(), row.get("session_id"));
        if (row.get("connection_id").isEmpty()) {
          problems.add(what + ": no connection_id");
        }
        unitsPerConnection.computeIfAbsent(row.get("connection_id"), k -> new TreeSet<>()).add(truth.responseId());
      }
    }
    Set<Set<String>> expectedConnections = realtimeBillable.stream()
        .collect(Collectors.groupingBy(GroundTruth::connectionId,
            Collectors.mapping(GroundTruth::responseId, Collectors.toCollection(TreeSet::new))))
        .values().stream().collect(Collectors.toSet());
    if (!expectedConnections.equals(new java.util.HashSet<>(unitsPerConnection.values()))) {
      problems.add("Realtime units grouped per connection differ: expected " + expectedConnections + " but the ledger has "
          + unitsPerConnection);
    }
    byKey.forEach((key, extra) -> problems.add("usage_events row(s) without a ground-truth record: " + key + " " + extra));
    assertTrue(problems.isEmpty(), () -> problems.size() + " difference(s) between usage_events (" + rows.size()
        + " rows) and the ground truth (" + billable.size() + " billable records; " + waitOutcome + "):\n  "
        + String.join("\n  ", problems));
    assertEquals(billable.size(), rows.size(), "usage_events rows vs billable ground-truth records");
  }

  @Test
  void hourlyRollupSumsEqualTheGroundTruth() throws Exception {
    // Totals over the whole run, every field, zero difference.
    StringBuilder sql = new StringBuilder("SELECT sum(num_model_requests) AS num_model_requests");
    for (String f : TOKEN_FIELDS) {
      sql.append(", sum(").append(f).append(") AS ").append(f);
    }
    sql.append(", sum(input_characters) AS input_characters, sum(audio_seconds) AS audio_seconds FROM ")
        .append(q).append(".usage_hourly");
    Map<String, String> actual = rows(sql.toString()).get(0);
    Map<String, String> expected = new LinkedHashMap<>();
    expected.put("num_model_requests", String.valueOf(billable.size()));
    for (String f : TOKEN_FIELDS) {
      expected.put(f, String.valueOf(billable.stream().mapToLong(t -> t.token(f)).sum()));
    }
    expected.put("input_characters", String.valueOf(billable.stream().mapToLong(GroundTruth::inputCharacters).sum()));
    Map<String, String> actualComparable = new LinkedHashMap<>(actual);
    double seconds = Double.parseDouble(actualComparable.remove("audio_seconds"));
    assertEquals(expected, actualComparable, "usage_hourly totals vs ground truth");
    assertEquals(billable.stream().mapToDouble(GroundTruth::audioSeconds).sum(), seconds, 1e-6, "audio_seconds");

    // And per (api, model, usage source, batch, project): the rollup's dimensions carry the right
    // numbers, not just the right total. Hours are left out of the key: the ledger's hour is the log
    // record's time, the simulator's the response's, milliseconds apart but possibly on two sides of
    // an hour boundary. The service tier is left out too: it is checked per record above and against
    // the bill in the daily test.
    Map<String, List<Long>> expectedByKey = new TreeMap<>();
    for (GroundTruth t : billable) {
      String key = String.join("|", t.api(), t.model(), t.usageSource(), String.valueOf(t.batch()), nz(t.project()));
      List<Long> sums = expectedByKey.computeIfAbsent(key, k -> new ArrayList<>(zeros(TOKEN_FIELDS.size() + 1)));
      sums.set(0, sums.get(0) + 1);
      for (int i = 0; i < TOKEN_FIELDS.size(); i++) {
        sums.set(i + 1, sums.get(i + 1) + t.token(TOKEN_FIELDS.get(i)));
      }
    }
    StringBuilder byKeySql = new StringBuilder("SELECT api, model, usage_source, toString(batch) AS b, project_id,"
        + " sum(num_model_requests) AS n");
    for (String f : TOKEN_FIELDS) {
      byKeySql.append(", sum(").append(f).append(") AS ").append(f);
    }
    byKeySql.append(" FROM ").append(q).append(".usage_hourly GROUP BY api, model, usage_source, b, project_id");
    Map<String, List<Long>> actualByKey = new TreeMap<>();
    for (Map<String, String> row : rows(byKeySql.toString())) {
      String key = String.join("|", row.get("api"), row.get("model"), row.get("usage_source"), row.get("b"),
          row.get("project_id"));
      List<Long> sums = new ArrayList<>();
      sums.add(Long.parseLong(row.get("n")));
      for (String f : TOKEN_FIELDS) {
        sums.add(Long.parseLong(row.get(f)));
      }
      actualByKey.put(key, sums);
    }
    assertEquals(expectedByKey, actualByKey,
        "usage_hourly per api|model|usage_source|batch|project: [num_model_requests, " + TOKEN_FIELDS + "]");
  }

  @Test
  void dailyOpenAiViewEqualsTheSimulatorsExportRowForRow() throws Exception {
    // Both sides have the export's columns: start/end (unix and ISO), project_id, num_model_requests,
    // user_id, api_key_id, model, batch, service_tier and the 14 token columns. user_id is null on
    // both (OpenAI's user id is not visible in API traffic). api_key_id is null on both here: the
    // simulator does not know OpenAI's key ids, and api_key_map is empty, so the view cannot map the
    // fingerprint — that mapping is covered by the clickhouse-support tests, not comparable here.
    List<UsageExport.Row> expected = UsageExport.completionsDaily(billable);
    List<Map<String, String>> actual = rows("SELECT start_time, end_time, start_time_iso, end_time_iso, project_id,"
        + " num_model_requests, user_id, api_key_id, model, toString(batch) AS batch, service_tier, "
        + String.join(", ", EXPORT_TOKEN_COLUMNS) + " FROM " + q + ".usage_daily_openai");
    List<Map<String, String>> expectedRows = new ArrayList<>();
    for (UsageExport.Row r : expected) {
      Map<String, String> row = new LinkedHashMap<>();
      row.put("start_time", String.valueOf(r.startTime().getEpochSecond()));
      row.put("end_time", String.valueOf(r.endTime().getEpochSecond()));
      row.put("start_time_iso", r.startTime().toString());
      row.put("end_time_iso", r.endTime().toString());
      row.put("project_id", r.projectId());
      row.put("num_model_requests", String.valueOf(r.numModelRequests()));
      row.put("user_id", null);
      row.put("api_key_id", null);
      row.put("model", r.model());
      row.put("batch", String.valueOf(r.batch()));
      row.put("service_tier", r.serviceTier());
      for (String c : EXPORT_TOKEN_COLUMNS) {
        row.put(c, String.valueOf(r.tokens().get(c)));
      }
      expectedRows.add(row);
    }
    assertFalse(expectedRows.isEmpty(), "the simulator's export has no rows: nothing to compare");
    // First every column but service_tier, row for row, then service_tier on its own: a tier the
    // ledger could not know (a response cut before it) then shows as exactly that, not as a wall of
    // shifted rows.
    assertRowsEqual(withoutTier(expectedRows), withoutTier(actual), "every column but service_tier");
    assertRowsEqual(expectedRows, actual, "service_tier (the other columns are equal). The simulator bills"
        + " zero-token 'missing' responses under the tier it served; the ledger has no tier for a non-streamed"
        + " body cut before its service_tier field, so those requests land in a NULL-tier row");
  }

  /**
   * How a ledger row is matched with its ground-truth record. As in HttpUsageIT: a batch output line
   * by its response id (all lines of one file share the download's x-request-id), a Realtime unit by
   * its response or transcription item id (a WebSocket has no per-response request id), every other
   * record by its x-request-id.
   */
  private static String ledgerKey(Map<String, String> row) {
    if ("true".equals(row.get("batch"))) {
      return "batch:" + row.get("response_id");
    }
    return row.get("api").startsWith("realtime") ? "realtime:" + row.get("response_id") : "request:" + row.get("request_id");
  }

  private static String truthKey(GroundTruth truth) {
    if (truth.batch()) {
      return "batch:" + truth.responseId();
    }
    return truth.realtime() ? "realtime:" + truth.responseId() : "request:" + truth.requestId();
  }

  private static List<Map<String, String>> withoutTier(List<Map<String, String>> rows) {
    List<Map<String, String>> out = new ArrayList<>();
    for (Map<String, String> row : rows) {
      Map<String, String> copy = new LinkedHashMap<>(row);
      copy.remove("service_tier");
      out.add(copy);
    }
    return out;
  }

  private static void assertRowsEqual(List<Map<String, String>> expectedRows, List<Map<String, String>> actual,
      String what) {
    if (!expectedRows.equals(actual)) {
      StringBuilder diff = new StringBuilder("usage_daily_openai differs from the simulator's export in " + what + " ("
          + expectedRows.size() + " expected rows, " + actual.size() + " actual):\n");
      for (int i = 0; i < Math.max(expectedRows.size(), actual.size()); i++) {
        Map<String, String> e = i < expectedRows.size() ? expectedRows.get(i) : null;
        Map<String, String> a = i < actual.size() ? actual.get(i) : null;
        if (!Objects.equals(e, a)) {
          diff.append("  row ").append(i).append(":\n    expected ").append(e).append("\n    actual   ").append(a)
              .append('\n');
        }
      }
      fail(diff.toString());
    }
  }

  @Test
  void rowsLandInTwoHoursAndTwoUtcDaysWithZeroDifference() throws Exception {
    // The ground truth's hours and days (moved with the demo app's clock) must be at least two each,
    // and usage_hourly must have exactly those hours with every sum equal.
    Map<String, List<Long>> expected = new TreeMap<>();
    for (GroundTruth t : billable) {
      String hour = t.time().truncatedTo(ChronoUnit.HOURS).toString();
      List<Long> sums = expected.computeIfAbsent(hour, k -> new ArrayList<>(zeros(TOKEN_FIELDS.size() + 1)));
      sums.set(0, sums.get(0) + 1);
      for (int i = 0; i < TOKEN_FIELDS.size(); i++) {
        sums.set(i + 1, sums.get(i + 1) + t.token(TOKEN_FIELDS.get(i)));
      }
    }
    long days = billable.stream().map(t -> t.time().truncatedTo(ChronoUnit.DAYS)).distinct().count();
    assertTrue(expected.size() >= 2 && days >= 2, () -> "the runs did not cross an hour and a day boundary: hours "
        + expected.keySet());

    StringBuilder sql = new StringBuilder("SELECT formatDateTime(hour, '%Y-%m-%dT%H:00:00Z', 'UTC') AS h,"
        + " sum(num_model_requests) AS n");
    for (String f : TOKEN_FIELDS) {
      sql.append(", sum(").append(f).append(") AS ").append(f);
    }
    sql.append(" FROM ").append(q).append(".usage_hourly GROUP BY h ORDER BY h");
    Map<String, List<Long>> actual = new TreeMap<>();
    for (Map<String, String> row : rows(sql.toString())) {
      List<Long> sums = new ArrayList<>();
      sums.add(Long.parseLong(row.get("n")));
      for (String f : TOKEN_FIELDS) {
        sums.add(Long.parseLong(row.get(f)));
      }
      actual.put(row.get("h"), sums);
    }
    assertEquals(expected, actual, "usage_hourly per UTC hour: [num_model_requests, " + TOKEN_FIELDS + "]");

    // And the ledger's own day column: rows per UTC day.
    Map<String, Long> expectedPerDay = new TreeMap<>();
    for (GroundTruth t : billable) {
      expectedPerDay.merge(t.time().truncatedTo(ChronoUnit.DAYS).toString().substring(0, 10), 1L, Long::sum);
    }
    Map<String, Long> actualPerDay = new TreeMap<>();
    for (Map<String, String> row : rows("SELECT toString(toDate(Timestamp, 'UTC')) AS d, count() AS n FROM " + q
        + ".usage_events GROUP BY d")) {
      actualPerDay.put(row.get("d"), Long.parseLong(row.get("n")));
    }
    assertEquals(expectedPerDay, actualPerDay, "usage_events rows per UTC day");
  }

  /**
   * The metrics pipeline as an independent cross-check of the ledger (docs/signals.md#metrics): the delta points
   * of {@code tokenledger.tokens} in otel_metrics_sum add up, per token type × modality × cache
   * series, to the ground truth's token fields, and {@code tokenledger.requests} per usage source to
   * the simulator's billable responses and the runs' failed calls.
   */
  @Test
  void tokenAndRequestCountersInOtelMetricsSumEqualTheGroundTruth() throws Exception {
    Map<String, Long> expectedTokens = new TreeMap<>();
    String[][] series = {
        {"input|text|uncached", "input_text_tokens"}, {"input|audio|uncached", "input_audio_tokens"},
        {"input|image|uncached", "input_image_tokens"}, {"input|text|cached", "input_cached_text_tokens"},
        {"input|audio|cached", "input_cached_audio_tokens"}, {"input|image|cached", "input_cached_image_tokens"},
        {"input|text|cache_write", "input_cache_write_tokens"}, {"output|text|", "output_text_tokens"},
        {"output|audio|", "output_audio_tokens"}, {"output|image|", "output_image_tokens"}};
    for (String[] s : series) {
      long sum = billable.stream().mapToLong(t -> t.token(s[1])).sum();
      if (sum > 0) {
        expectedTokens.put(s[0], sum);
      }
    }
    Map<String, Long> actualTokens = new TreeMap<>();
    for (Map<String, String> row : rows("SELECT concat(Attributes['gen_ai.token.type'], '|',"
        + " Attributes['tokenledger.token.modality'], '|', Attributes['tokenledger.token.cache']) AS k,"
        + " toInt64(sum(Value)) AS v, uniqExact(AggregationTemporality) AS temporalities,"
        + " any(AggregationTemporality) AS temporality FROM " + q + ".otel_metrics_sum"
        + " WHERE MetricName = 'tokenledger.tokens' GROUP BY k")) {
      assertEquals("1", row.get("temporality"), "tokenledger.tokens must arrive as delta (1) to be summed: " + row);
      assertEquals("1", row.get("temporalities"), row.toString());
      actualTokens.put(row.get("k"), Long.parseLong(row.get("v")));
    }
    assertEquals(expectedTokens, actualTokens, "tokenledger.tokens per type|modality|cache vs ground truth");

    Map<String, Long> expectedRequests = new TreeMap<>();
    for (GroundTruth t : billable) {
      expectedRequests.merge(t.usageSource(), 1L, Long::sum);
    }
    assertTrue(errorCalls > 0 && errorResponses >= errorCalls, "error calls " + errorCalls + ", error responses "
        + errorResponses);
    expectedRequests.put("none", errorCalls + realtimeUnbilled());
    Map<String, Long> actualRequests = new TreeMap<>();
    for (Map<String, String> row : rows("SELECT Attributes['tokenledger.usage.source'] AS source,"
        + " toInt64(sum(Value)) AS v FROM " + q + ".otel_metrics_sum WHERE MetricName = 'tokenledger.requests'"
        + " AND AggregationTemporality = 1 GROUP BY source")) {
      actualRequests.put(row.get("source"), Long.parseLong(row.get("v")));
    }
    assertEquals(expectedRequests, actualRequests, "tokenledger.requests per usage source vs the simulator's requests");

    // One connection counted per WebSocket connection the simulator served (ids never go on metrics).
    String connections = rows("SELECT toInt64(sum(Value)) AS n FROM " + q + ".otel_metrics_sum"
        + " WHERE MetricName = 'tokenledger.realtime.connections' AND AggregationTemporality = 1").get(0).get("n");
    assertEquals(String.valueOf(realtimeConnections), connections, "tokenledger.realtime.connections vs the simulator's"
        + " Realtime connections");
  }

  /**
   * The Realtime traffic holds every billable kind, so the assertions above really cover them: each
   * response status, responses cut by a dropped connection (missing), cached audio, token- and
   * duration-billed transcriptions, error events, and sessions carried by more than one connection
   * (sideband and reconnect), on both sides of the UTC midnight.
   */
  @Test
  void theRealtimeTrafficHasEveryBillableKindOnBothSidesOfMidnight() {
    List<GroundTruth> responses = realtimeBillable.stream().filter(t -> t.api().equals("realtime")).toList();
    List<GroundTruth> transcriptions =
        realtimeBillable.stream().filter(t -> t.api().equals("realtime.transcription")).toList();
    Set<String> statuses = responses.stream().map(GroundTruth::status).collect(Collectors.toCollection(TreeSet::new));
    assertEquals(new TreeSet<>(List.of("cancelled", "completed", "failed", "incomplete")), statuses,
        "Realtime response statuses in the run");
    assertTrue(responses.stream().anyMatch(t -> t.usageSource().equals("missing")), "a response cut before response.done");
    assertTrue(responses.stream().anyMatch(t -> t.token("input_cached_audio_tokens") > 0), "cached audio");
    assertTrue(transcriptions.stream().anyMatch(t -> t.audioSeconds() > 0), "a duration-billed transcription");
    assertTrue(transcriptions.stream().anyMatch(t -> t.audioSeconds() == 0 && t.token("input_tokens") > 0),
        "a token-billed transcription");
    assertTrue(realtimeUnbilled() > 0, "an error event");
    Map<String, Set<String>> connectionsPerSession = realtimeConnectionsPerSession();
    assertTrue(connectionsPerSession.values().stream().anyMatch(c -> c.size() > 1),
        () -> "a session carried by several connections (sideband, reconnect): " + connectionsPerSession);
    assertEquals(2, realtimeBillable.stream().map(t -> t.time().truncatedTo(ChronoUnit.DAYS)).distinct().count(),
        "UTC days with Realtime usage");
  }

  /**
   * The query library's Realtime questions on this ledger, as the dashboards and the command run
   * them (QueryLibrary, this database), against figures computed from the simulator's records:
   * sessions with their connections, responses, cancelled responses, transcriptions and audio vs
   * text tokens; the same per hour; the top sessions; and each session's records one by one.
   */
  @Test
  void realtimeQueriesOfTheLibraryGiveTheGroundTruthsFigures() throws Exception {
    QueryLibrary library = QueryLibrary.fromRepository();
    Instant first = realtimeBillable.stream().map(GroundTruth::time).min(Instant::compareTo).orElseThrow();
    Instant last = realtimeBillable.stream().map(GroundTruth::time).max(Instant::compareTo).orElseThrow();
    Map<String, String> range = new LinkedHashMap<>();
    range.put("from", Query.dateTimeValue(first.minus(1, ChronoUnit.HOURS)));
    range.put("to", Query.dateTimeValue(last.plus(1, ChronoUnit.HOURS)));
    Map<String, Set<String>> connectionsPerSession = realtimeConnectionsPerSession();

    // realtime_sessions: one row per session.
    Map<String, List<Long>> expectedSessions = new TreeMap<>();
    realtimeBillable.stream().collect(Collectors.groupingBy(GroundTruth::sessionId)).forEach((session, units) -> {
      List<Long> figures = new ArrayList<>();
      figures.add((long) connectionsPerSession.get(session).size());
      figures.addAll(realtimeFigures(units));
      expectedSessions.put(session, figures);
    });
    Map<String, String> sessionsParams = new LinkedHashMap<>(range);
    sessionsParams.put("limit", "100000");
    Map<String, List<Long>> actualSessions = new TreeMap<>();
    Map<String, String> sessionCost = new TreeMap<>();
    for (Map<String, String> row : libraryRows(library, "realtime_sessions", sessionsParams)) {
      actualSessions.put(row.get("session_id"), longs(row, "connections", "responses", "cancelled_responses",
          "transcriptions", "input_audio_tokens", "input_text_tokens", "output_audio_tokens", "output_text_tokens"));
      sessionCost.put(row.get("session_id"), row.get("cost_usd"));
    }
    assertEquals(expectedSessions, actualSessions, "realtime_sessions per session: [connections, responses,"
        + " cancelled_responses, transcriptions, input_audio_tokens, input_text_tokens, output_audio_tokens,"
        + " output_text_tokens]");

    // realtime_over_time, hourly buckets: the same figures per UTC hour, with distinct sessions.
    Map<Long, List<Long>> expectedHours = new TreeMap<>();
    realtimeBillable.stream().collect(Collectors.groupingBy(t -> t.time().truncatedTo(ChronoUnit.HOURS)))
        .forEach((hour, units) -> {
          List<Long> figures = new ArrayList<>();
          figures.add(units.stream().map(GroundTruth::sessionId).distinct().count());
          figures.add(units.stream().map(GroundTruth::connectionId).distinct().count());
          List<Long> all = realtimeFigures(units);
          figures.addAll(all.subList(0, 2)); // responses, cancelled
          figures.addAll(all.subList(3, all.size())); // tokens (transcriptions are not a column here)
          expectedHours.put(hour.getEpochSecond(), figures);
        });
    Map<String, String> overTimeParams = new LinkedHashMap<>(range);
    overTimeParams.put("bucket_seconds", "3600");
    Map<Long, List<Long>> actualHours = new TreeMap<>();
    for (Map<String, String> row : rows("SELECT toUnixTimestamp(time) AS unix_time, * FROM ("
        + library.get("realtime_over_time").render(overTimeParams, db) + ")")) {
      actualHours.put(Long.parseLong(row.get("unix_time")), longs(row, "sessions", "connections", "responses",
          "cancelled_responses", "input_audio_tokens", "input_text_tokens", "output_audio_tokens", "output_text_tokens"));
    }
    assertTrue(expectedHours.size() >= 2, "Realtime usage in two hours at least: " + expectedHours.keySet());
    assertEquals(expectedHours, actualHours, "realtime_over_time per hour (unix start): [sessions, connections,"
        + " responses, cancelled_responses, input_audio_tokens, input_text_tokens, output_audio_tokens,"
        + " output_text_tokens]");

    // top_sessions: any API's records with a session id; only the Realtime traffic has them here. Its
    // cost is the same ledger records' cost as realtime_sessions'.
    Map<String, List<Long>> expectedTop = new TreeMap<>();
    realtimeBillable.stream().collect(Collectors.groupingBy(GroundTruth::sessionId)).forEach((session, units) ->
        expectedTop.put(session, List.of((long) units.size(), sum(units, "input_tokens"), sum(units, "output_tokens"))));
    Map<String, List<Long>> actualTop = new TreeMap<>();
    Map<String, String> topCost = new TreeMap<>();
    for (Map<String, String> row : libraryRows(library, "top_sessions", sessionsParams)) {
      actualTop.put(row.get("session_id"), longs(row, "requests", "input_tokens", "output_tokens"));
      topCost.put(row.get("session_id"), row.get("cost_usd"));
    }
    assertEquals(expectedTop, actualTop, "top_sessions per session: [requests, input_tokens, output_tokens]");
    assertEquals(sessionCost, topCost, "cost_usd per session: top_sessions vs realtime_sessions");

    // session (tokenledger report session ID): each session's records, unit by unit.
    List<String> problems = new ArrayList<>();
    for (String session : expectedSessions.keySet()) {
      Map<String, List<String>> expected = new TreeMap<>();
      for (GroundTruth t : realtimeBillable) {
        if (t.sessionId().equals(session)) {
          expected.put(t.responseId(), List.of(t.api(), t.model(), t.status(), t.usageSource(),
              String.valueOf(t.token("input_tokens")), String.valueOf(t.token("input_cached_tokens")),
              String.valueOf(t.token("input_audio_tokens") + t.token("input_cached_audio_tokens")),
              String.valueOf(t.token("output_tokens")), String.valueOf(t.token("output_audio_tokens"))));
        }
      }
      Map<String, List<String>> actual = new TreeMap<>();
      Set<String> connections = new TreeSet<>();
      for (Map<String, String> row : libraryRows(library, "session", Map.of("session_id", session))) {
        actual.put(row.get("response_id"), List.of(row.get("api"), row.get("model"), row.get("status"),
            row.get("usage_source"), row.get("input_tokens"), row.get("input_cached_tokens"),
            row.get("input_audio_tokens"), row.get("output_tokens"), row.get("output_audio_tokens")));
        connections.add(row.get("connection_id"));
      }
      if (!expected.equals(actual)) {
        problems.add("session " + session + ": expected " + expected + "\n    but was " + actual);
      }
      if (connections.size() != connectionsPerSession.get(session).size()) {
        problems.add("session " + session + ": " + connections.size() + " connections, expected "
            + connectionsPerSession.get(session).size());
      }
    }
    assertTrue(problems.isEmpty(), () -> "the session query differs from the ground truth (per response id: [api, model,"
        + " status, usage_source, input_tokens, input_cached_tokens, input_audio_tokens, output_tokens,"
        + " output_audio_tokens]):\n  " + String.join("\n  ", problems));
  }

  /**
   * The {@code tokenledger} command on this database, as a user runs it the day after: it imports the
   * simulator's OpenAI-style CSV export of the same traffic (HTTP and Realtime), and {@code parity}
   * finds no difference in any field of any day, project, key and model, over figures that add up to
   * the export's.
   */
  @Test
  void parityCommandFindsNoDifferenceWithTheSimulatorsExport() throws Exception {
    List<UsageExport.Row> export = UsageExport.completionsDaily(billable);
    Path csv = OUT_DIR.resolve("openai-usage-export.csv");
    Files.writeString(csv, UsageExport.toCsv(export));
    // The command's clock just after the last record.
    Instant last = billable.stream().map(GroundTruth::time).max(Instant::compareTo).orElseThrow();
    Instant cliNow = last.plus(1, ChronoUnit.MINUTES);

    CliRun imported = tokenledger(cliNow, "import-openai-usage", csv.toString());
    assertEquals(0, imported.exit(), () -> "import-openai-usage failed:\n" + imported.output());
    assertTrue(imported.out().contains("imported " + export.size() + " rows"), imported::output);

    // Every UTC day with a record, up to the command's clock: the two runs' days, and the real day of
    // the Batch lines, which carry the simulator's own time.
    Instant first = billable.stream().map(GroundTruth::time).min(Instant::compareTo).orElseThrow();
    long days = ChronoUnit.DAYS.between(first.truncatedTo(ChronoUnit.DAYS), cliNow.truncatedTo(ChronoUnit.DAYS)) + 1;
    CliRun parity = tokenledger(cliNow, "parity", "--days", String.valueOf(days), "--json");
    Files.writeString(OUT_DIR.resolve("parity.json"), parity.output());
    assertEquals(0, parity.exit(), () -> "parity reported differences (exit " + parity.exit() + "):\n" + parity.output());
    Matcher differences = Pattern.compile("\"differences\": (\\d+)").matcher(parity.out());
    assertTrue(differences.find(), parity::output);
    assertEquals("0", differences.group(1), parity::output);

    // The comparison covered the whole export: OpenAI's side of each field adds up to the export's
    // totals (ours equals it row by row, or the difference count would not be zero), Realtime
    // models included.
    Map<String, Long> expectedTotals = new TreeMap<>();
    expectedTotals.put("num_model_requests", export.stream().mapToLong(UsageExport.Row::numModelRequests).sum());
    for (String c : EXPORT_TOKEN_COLUMNS) {
      expectedTotals.put(c, export.stream().mapToLong(r -> r.tokens().get(c)).sum());
    }
    Map<String, Long> openaiTotals = new TreeMap<>();
    Set<String> models = new TreeSet<>();
    Matcher m = Pattern.compile("\"model\": \"([^\"]*)\", \"field\": \"([^\"]+)\", \"ours\": (\\d+), \"openai\": (\\d+)")
        .matcher(parity.out());
    while (m.find()) {
      assertEquals(m.group(3), m.group(4), "ours vs openai: " + m.group());
      openaiTotals.merge(m.group(2), Long.parseLong(m.group(4)), Long::sum);
      models.add(m.group(1));
    }
    openaiTotals.keySet().retainAll(expectedTotals.keySet());
    expectedTotals.values().removeIf(v -> v == 0);
    openaiTotals.values().removeIf(v -> v == 0);
    assertEquals(expectedTotals, openaiTotals, "parity's OpenAI figures per field vs the export's totals");
    Set<String> realtimeModels = realtimeBillable.stream().filter(t -> UsageExport.COMPLETIONS.test(t))
        .map(GroundTruth::model).collect(Collectors.toCollection(TreeSet::new));
    assertFalse(realtimeModels.isEmpty(), "the export has Realtime rows");
    assertTrue(models.containsAll(realtimeModels), () -> "parity compared the Realtime models " + realtimeModels
        + ": " + models);
  }

  @Test
  void theCollectorWroteEverySignalWithoutExportErrors() {
    // Logs (the ledger), metrics (the cross-check) and traces: any failed or retried insert is a
    // failure, even if a retry made the counts right.
    List<String> failures = new ArrayList<>();
    for (String line : collector.logText().split("\n")) {
      if (line.contains("Exporting failed") || line.contains("\terror\t")) {
        failures.add(line);
      }
    }
    assertTrue(failures.isEmpty(), () -> failures.size() + " export failure(s):\n  " + String.join("\n  ", failures));
  }


  // -------------------------------------------------------------------------------- infrastructure

  /**
   * A real server when {@code CLICKHOUSE_URL} is set (as the clickhouse-support tests do), else the
   * embedded engine behind the HTTP front. Either way a fresh database, created by the migrations with
   * the database renamed, so runs never meet each other or a deployment's {@code tokenledger}.
   */
  private static void startClickHouse() throws Exception {
    String url = System.getenv("CLICKHOUSE_URL");
    if (url != null && !url.isBlank()) {
      realServer = true;
      clickhouseUrl = url.replaceFirst("^jdbc:clickhouse:", "").replaceFirst("[?].*$", "");
      user = envOr("CLICKHOUSE_USER", "default");
      password = envOr("CLICKHOUSE_PASSWORD", "");
    } else {
      long t0 = System.nanoTime();
      engine = EmbeddedClickHouse.shared();
      front = ClickHouseHttpFront.start(engine);
      clickhouseUrl = front.url();
      // The front's random credential of this run: the Collector and the command get it too.
      user = front.user();
      password = front.password();
      System.err.printf("[PipelineIT] embedded ClickHouse %s up in %d ms at %s%n", engine.version(),
          (System.nanoTime() - t0) / 1_000_000, clickhouseUrl);
    }
    db = "tl_pipeline_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    q = SqlText.quoteIdentifier(db);
    // Single node; the users file is skipped: the embedded engine has no writable access storage, and on
    // a real server it would create server-wide users (clickhouse-support's AccessControlTest covers it).
    try (Connection c = Migrations.connect(clickhouseUrl, user, password)) {
      new Migrations(Migrations.loadDefault(), new Migrations.Options().database(db).skipAccessControl(true).log(null))
          .apply(c);
    }
  }

  /**
   * Runs the demo app (the HTTP one, or with {@code realtimeArgs} the Realtime one with those
   * arguments) under the one-jar agent with its wall clock starting at
   * {@code fakeStart} (libfaketime, monotonic clock untouched so timeouts and the agent's schedules
   * behave), and returns the simulator's records of that run with their times moved by the same offset.
   */
  private static List<GroundTruth> runDemoWithClockAt(Instant fakeStart, String name, List<String> realtimeArgs)
      throws Exception {
    boolean realtime = realtimeArgs != null;
    int before = simulator.groundTruth().size();
    int connectionsBefore = simulator.realtimeConnections().size();
    long offsetSeconds = Duration.between(Instant.now(), fakeStart).getSeconds();
    Map<String, String> env = new LinkedHashMap<>(FakeClock.environment(offsetSeconds));
    env.put("OPENAI_API_KEY", API_KEY);
    List<String> realtimeCommand = new ArrayList<>(List.of("--ws-url", simulator.realtimeUri(), "--project", PROJECT));
    if (realtime) {
      realtimeCommand.addAll(realtimeArgs);
    }
    AgentRun.Result run = realtime
        ? AgentRun.runMain(AgentRun.Agent.ONE_JAR, collector.otlpHttpEndpoint(), false, List.of(), env,
            AgentRun.REALTIME_DEMO_MAIN, realtimeCommand.toArray(new String[0]))
        : AgentRun.runMain(AgentRun.Agent.ONE_JAR, collector.otlpHttpEndpoint(), false, List.of(), env,
            AgentRun.DEMO_APP_MAIN, "--base-url", simulator.baseUrl(), "--project", PROJECT);
    Files.writeString(OUT_DIR.resolve("demo-app-" + name + ".out"), run.stdout() + "\n--- stderr ---\n" + run.stderr());
    assertEquals(0, run.exitCode(), () -> "demo app (" + name + ") failed:\n" + run.stdout() + run.stderr());
    assertFalse(run.resultLines().isEmpty(), () -> "demo app (" + name + ") made no calls:\n" + run.stdout());
    if (realtime) {
      for (String line : run.resultLines()) {
        assertFalse(line.contains("status=EXC"), () -> "a Realtime scenario failed in the app (" + name + "): " + line
            + "\n" + run.stderr());
      }
      // One RESULT line per connection; a client's close reaches the simulator a little after the
      // client returns, and only then is the connection's last unit recorded.
      int ended = connectionsBefore + run.resultLines().size();
      assertTrue(simulator.awaitRealtimeIdle(ended, Duration.ofSeconds(10)), () -> "Realtime connections of " + name
          + " did not end: " + simulator.realtimeConnections().size() + " of " + ended);
    }
    List<GroundTruth> records = simulator.groundTruth();
    // Kept beside the demo app's output: the first thing to look at when a record has no ledger row.
    StringBuilder jsonl = new StringBuilder();
    for (GroundTruth t : records.subList(before, records.size())) {
      jsonl.append(t.toJson()).append('\n');
    }
    Files.writeString(OUT_DIR.resolve("ground-truth-" + name + ".jsonl"), jsonl);
    List<GroundTruth> moved = new ArrayList<>();
    for (GroundTruth t : records.subList(before, records.size())) {
      // A Batch output line is stamped with the time its line says its response was made (the
      // simulator's clock, docs/signals.md#batch-output-lines), which the faked clock does not move.
      moved.add(t.batch() ? t : FakeClock.shifted(t, Duration.ofSeconds(offsetSeconds)));
    }
    if (!realtime) {
      errorCalls += run.resultLines().stream().filter(l -> l.contains(" scenario=error-")).count();
      errorResponses += moved.stream().filter(t -> t.host().equals("127.0.0.1") && t.usageSource().equals("none"))
          .count();
    }
    System.err.printf("[PipelineIT] demo run %s: clock offset %+d s, %d simulator records from %s to %s%n", name,
        offsetSeconds, moved.size(), moved.isEmpty() ? "-" : moved.get(0).time(),
        moved.isEmpty() ? "-" : moved.get(moved.size() - 1).time());
    return moved;
  }

  /**
   * Waits until usage_events holds {@code expected} rows and the Collector has handed every log record
   * it accepted to the ClickHouse exporter's insert (so a late duplicate would be seen too), or until
   * the deadline; the tests then report what is missing.
   */
  private static void awaitLedgerRows(long expected) throws Exception {
    long start = System.nanoTime();
    long deadline = start + TimeUnit.MILLISECONDS.toNanos(ROWS_DEADLINE_MILLIS);
    long count = -1;
    boolean drained = false;
    double accepted = -1;
    double sent = -1;
    double queued = -1;
    while (System.nanoTime() < deadline) {
      if (!collector.isAlive()) {
        fail("the Collector exited while the ledger was being written");
      }
      count = Long.parseLong(rows("SELECT count() AS n FROM " + q + ".usage_events").get(0).get("n"));
      if (count >= expected) {
        // Logs only: the metrics and traces pipelines have their own queues and counters.
        accepted = collector.selfMetric("otelcol_receiver_accepted_log_records");
        sent = collector.selfMetric("otelcol_exporter_sent_log_records", "exporter=\"clickhouse\"");
        queued = collector.selfMetric("otelcol_exporter_queue_size", "exporter=\"clickhouse\"", "data_type=\"logs\"");
        drained = accepted > 0 && sent == accepted && queued == 0;
        if (drained) {
          count = Long.parseLong(rows("SELECT count() AS n FROM " + q + ".usage_events").get(0).get("n"));
          break;
        }
      }
      Thread.sleep(200);
    }
    ledgerRowsSeen = count;
    waitOutcome = String.format("%d of %d rows after %d ms%s", count, expected,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start),
        drained ? ", Collector drained" : String.format(", Collector not reported drained by the deadline (log records"
            + " accepted %.0f, sent to ClickHouse %.0f, queued %.0f; -1 = not reported)", accepted, sent, queued));
    System.err.println("[PipelineIT] " + waitOutcome);
  }

  /**
   * Waits until the {@code tokenledger.requests} delta points in otel_metrics_sum add up to
   * {@code expected} (the agent flushes its last metrics at exit), or until the deadline; the
   * metrics test then reports the difference.
   */
  private static void awaitRequestCounter(long expected) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ROWS_DEADLINE_MILLIS);
    long seen = -1;
    while (System.nanoTime() < deadline) {
      seen = Long.parseLong(rows("SELECT toInt64(sum(Value)) AS n FROM " + q + ".otel_metrics_sum"
          + " WHERE MetricName = 'tokenledger.requests'").get(0).get("n"));
      if (seen >= expected) {
        break;
      }
      Thread.sleep(200);
    }
    System.err.println("[PipelineIT] tokenledger.requests in otel_metrics_sum: " + seen + " of " + expected);
  }

  private static List<Map<String, String>> rows(String sql) throws Exception {
    try (Connection c = Migrations.connect(clickhouseUrl, user, password);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      ResultSetMetaData md = rs.getMetaData();
      List<Map<String, String>> out = new ArrayList<>();
      while (rs.next()) {
        Map<String, String> row = new LinkedHashMap<>();
        for (int i = 1; i <= md.getColumnCount(); i++) {
          row.put(md.getColumnLabel(i), rs.getString(i));
        }
        out.add(row);
      }
      return out;
    }
  }

  private static void exec(String sql) throws Exception {
    try (Connection c = Migrations.connect(clickhouseUrl, user, password); Statement st = c.createStatement()) {
      st.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(sql + ": " + e.getMessage(), e);
    }
  }

  private static void check(List<String> problems, String what, String field, String expected, String actual) {
    if (!Objects.equals(expected, actual)) {
      problems.add(what + ": " + field + " expected <" + expected + "> but was <" + actual + ">");
    }
  }

  private static List<Long> zeros(int n) {
    List<Long> z = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      z.add(0L);
    }
    return z;
  }

  /** The connections (simulator ids) that carried each Realtime session's billable units. */
  private static Map<String, Set<String>> realtimeConnectionsPerSession() {
    return realtimeBillable.stream().collect(Collectors.groupingBy(GroundTruth::sessionId,
        TreeMap::new, Collectors.mapping(GroundTruth::connectionId, Collectors.toCollection(TreeSet::new))));
  }

  /**
   * [responses, cancelled responses, transcriptions, audio input (cached included), text input
   * (cached included), audio output, text output] of Realtime units: responses are the
   * {@code realtime} units (one per response.done or cut response), transcriptions the
   * {@code realtime.transcription} ones.
   */
  private static List<Long> realtimeFigures(List<GroundTruth> units) {
    List<GroundTruth> responses = units.stream().filter(t -> t.api().equals("realtime")).toList();
    return List.of((long) responses.size(),
        responses.stream().filter(t -> t.status().equals("cancelled")).count(),
        units.stream().filter(t -> t.api().equals("realtime.transcription")).count(),
        sum(units, "input_audio_tokens") + sum(units, "input_cached_audio_tokens"),
        sum(units, "input_text_tokens") + sum(units, "input_cached_text_tokens"),
        sum(units, "output_audio_tokens"),
        sum(units, "output_text_tokens"));
  }

  private static long sum(List<GroundTruth> units, String field) {
    return units.stream().mapToLong(t -> t.token(field)).sum();
  }

  private static List<Long> longs(Map<String, String> row, String... columns) {
    List<Long> out = new ArrayList<>();
    for (String c : columns) {
      out.add(Long.parseLong(Objects.requireNonNull(row.get(c), () -> "no column " + c + " in " + row)));
    }
    return out;
  }

  /** A library query, rendered for this database as the command and the dashboards render it. */
  private static List<Map<String, String>> libraryRows(QueryLibrary library, String name, Map<String, String> params)
      throws Exception {
    return rows(library.get(name).render(params, db));
  }

  record CliRun(int exit, String out, String err) {
    String output() {
      return out + "\n--- stderr ---\n" + err;
    }
  }

  /**
   * Runs the {@code tokenledger} command's jar in a child JVM on this pipeline's database, with its
   * wall clock at {@code now} (libfaketime, as for the demo app): the records lie in the future of
   * the real clock.
   */
  private static CliRun tokenledger(Instant now, String... args) throws Exception {
    assertTrue(Files.isRegularFile(CLI_JAR), "the tokenledger command's jar is missing: " + CLI_JAR
        + " (integration-tests copies it in pre-integration-test; run through Maven verify)");
    List<String> command = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", CLI_JAR.toString(), "--url", clickhouseUrl, "--user", user, "--database", db));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().putAll(FakeClock.environment(Duration.between(Instant.now(), now).getSeconds()));
    builder.environment().put("CLICKHOUSE_PASSWORD", password);
    Path out = Files.createTempFile(OUT_DIR, "tokenledger", ".out");
    Path err = Files.createTempFile(OUT_DIR, "tokenledger", ".err");
    Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!process.waitFor(2, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      fail("tokenledger " + String.join(" ", args) + " did not finish in 2 minutes");
    }
    CliRun run = new CliRun(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
    Files.deleteIfExists(out);
    Files.deleteIfExists(err);
    return run;
  }

  /** Realtime {@code error} events: no usage, but a request with usage source none for the agent. */
  private static long realtimeUnbilled() {
    return realtimeTruth.size() - realtimeBillable.size();
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }

  private static String envOr(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isEmpty() ? fallback : v;
  }

  private interface Step {
    void run() throws Exception;
  }

  private static void run(String what, Step step) {
    try {
      step.run();
    } catch (Exception | Error e) {
      System.err.println("[PipelineIT] stopping the " + what + " failed: " + e);
    }
  }

  private static void printCollectorLog(String why) {
    if (collector == null) {
      return;
    }
    System.err.println("[PipelineIT] " + why + "; the Collector's log (" + collector.log() + "):\n" + collector.logText());
  }
}
