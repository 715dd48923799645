package dev.tokenledger.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tokenledger.clickhouse.ClickHouseHttpFront;
import dev.tokenledger.clickhouse.EmbeddedClickHouse;
import dev.tokenledger.clickhouse.Migrations;
import dev.tokenledger.clickhouse.SqlText;
import dev.tokenledger.simulator.GroundTruth;
import dev.tokenledger.simulator.OpenAiSimulator;
import dev.tokenledger.simulator.UsageExport;
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
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * The whole pipeline with real parts, compared with the simulator's ground truth (DESIGN §4): the
 * demo app under the one-jar agent calls the OpenAI simulator through every client; the agent sends
 * OTLP to the real Collector (collector-config/, built from its Go modules); the Collector writes into
 * ClickHouse (the embedded engine behind its HTTP front, or the server at {@code CLICKHOUSE_URL});
 * the migrations' materialized views fill {@code usage_events} and {@code usage_hourly}. Then:
 * one ledger row per billable response with every token field exact, hourly sums with zero
 * difference, and {@code usage_daily_openai} equal to the simulator's OpenAI-style export row for row.
 * The demo app runs twice with its clock moved (FakeClock) to either side of a UTC midnight, so the
 * rows land in two hours and two days; and the metrics pipeline's {@code tokenledger.tokens} and
 * {@code tokenledger.requests} in otel_metrics_sum add up to the same ground truth.
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
      List<GroundTruth> all = new ArrayList<>();
      all.addAll(runDemoWithClockAt(midnight.minus(RUN_BEFORE_MIDNIGHT), "before-midnight"));
      all.addAll(runDemoWithClockAt(midnight.plus(RUN_AFTER_MIDNIGHT), "after-midnight"));
      billable = all.stream().filter(t -> t.host().equals("127.0.0.1") && !t.usageSource().equals("none")).toList();
      assertFalse(billable.isEmpty(), "the simulator recorded no billable responses");
      awaitLedgerRows(billable.size());
      awaitRequestCounter(billable.size() + errorCalls);
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
        + " model, project_id, service_tier, api_key_fingerprint, malformed_fields, audio_seconds, input_characters, "
        + String.join(", ", TOKEN_FIELDS) + " FROM " + q + ".usage_events");
    // The differences are collected first, so that a missing or extra row is named, not just counted.

    Map<String, List<Map<String, String>>> byKey = new HashMap<>();
    for (Map<String, String> row : rows) {
      // As in HttpUsageIT: a batch output line is identified by its response id (all lines of one file
      // share the download's x-request-id), every other record by its x-request-id.
      String key = "true".equals(row.get("batch")) ? "batch:" + row.get("response_id") : "request:" + row.get("request_id");
      byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(row);
    }
    List<String> problems = new ArrayList<>();
    for (GroundTruth truth : billable) {
      String key = truth.batch() ? "batch:" + truth.responseId() : "request:" + truth.requestId();
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
   * The metrics pipeline as an independent cross-check of the ledger (DESIGN §2.2): the delta points
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
    expectedRequests.put("none", errorCalls);
    Map<String, Long> actualRequests = new TreeMap<>();
    for (Map<String, String> row : rows("SELECT Attributes['tokenledger.usage.source'] AS source,"
        + " toInt64(sum(Value)) AS v FROM " + q + ".otel_metrics_sum WHERE MetricName = 'tokenledger.requests'"
        + " AND AggregationTemporality = 1 GROUP BY source")) {
      actualRequests.put(row.get("source"), Long.parseLong(row.get("v")));
    }
    assertEquals(expectedRequests, actualRequests, "tokenledger.requests per usage source vs the simulator's requests");
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
      user = "default";
      password = "";
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
   * Runs the demo app under the one-jar agent with its wall clock starting at {@code fakeStart}
   * (libfaketime, monotonic clock untouched so timeouts and the agent's schedules behave), and returns
   * the simulator's records of that run with their times moved by the same offset.
   */
  private static List<GroundTruth> runDemoWithClockAt(Instant fakeStart, String name) throws Exception {
    int before = simulator.groundTruth().size();
    long offsetSeconds = Duration.between(Instant.now(), fakeStart).getSeconds();
    Map<String, String> env = new LinkedHashMap<>(FakeClock.environment(offsetSeconds));
    env.put("OPENAI_API_KEY", API_KEY);
    AgentRun.Result run = AgentRun.runMain(AgentRun.Agent.ONE_JAR, collector.otlpHttpEndpoint(), false, List.of(), env,
        AgentRun.DEMO_APP_MAIN, "--base-url", simulator.baseUrl(), "--project", PROJECT);
    Files.writeString(OUT_DIR.resolve("demo-app-" + name + ".out"), run.stdout() + "\n--- stderr ---\n" + run.stderr());
    assertEquals(0, run.exitCode(), () -> "demo app (" + name + ") failed:\n" + run.stdout() + run.stderr());
    assertFalse(run.resultLines().isEmpty(), () -> "demo app (" + name + ") made no calls:\n" + run.stdout());
    List<GroundTruth> records = simulator.groundTruth();
    // Kept beside the demo app's output: the first thing to look at when a record has no ledger row.
    StringBuilder jsonl = new StringBuilder();
    for (GroundTruth t : records.subList(before, records.size())) {
      jsonl.append(t.toJson()).append('\n');
    }
    Files.writeString(OUT_DIR.resolve("ground-truth-" + name + ".jsonl"), jsonl);
    List<GroundTruth> moved = new ArrayList<>();
    for (GroundTruth t : records.subList(before, records.size())) {
      moved.add(FakeClock.shifted(t, Duration.ofSeconds(offsetSeconds)));
    }
    errorCalls += run.resultLines().stream().filter(l -> l.contains(" scenario=error-")).count();
    errorResponses += moved.stream().filter(t -> t.host().equals("127.0.0.1") && t.usageSource().equals("none"))
        .count();
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
