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
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Exactly once through the faults that make the Collector deliver a record twice in a different
 * batch (docs/clickhouse.md#exactly-once), with the production configuration (persistent
 * file_storage sending queue, batching after the queue), the real agent and the embedded engine:
 *
 * <ul>
 *   <li>the Collector is killed (SIGKILL) while its inserts are committed but not yet answered, and
 *       restarted while ClickHouse is away, with another batch size: its replay is re-formed, and
 *       written without EventName (the exporter found no ClickHouse at its start); more usage
 *       arrives meanwhile, so the replayed records get new neighbours;
 *   <li>ClickHouse commits an insert but answers after the exporter's timeout, so the exporter sends
 *       it again.
 * </ul>
 *
 * Each ends with usage_events holding every billable response of the simulator's ground truth once
 * with every token field equal, usage_hourly (once its automatic correction has settled every
 * row) summing to the ground truth per API, model, source, batch flag and project, and
 * usage_daily_openai equal to the simulator's own OpenAI-style export row for row.
 */
class ExactlyOnceIT {

  static final String API_KEY = HttpUsageIT.API_KEY;
  static final String PROJECT = "proj_tokenledger_exactly_once";
  static final List<String> TOKEN_FIELDS = HttpUsageIT.TOKEN_FIELDS;
  static final List<String> EXPORT_TOKEN_COLUMNS =
      UsageExport.CSV_COLUMNS.subList(11, UsageExport.CSV_COLUMNS.size());
  /** The correction's bound (docs/clickhouse.md#exactly-once), and what a loaded machine adds. */
  static final Duration CORRECTED_WITHIN = Duration.ofMinutes(2).plusSeconds(60);

  Path out;
  Path queue;
  String db;
  String q;
  EmbeddedClickHouse engine;
  /** What the Collector writes through; the faults are injected here. */
  ClickHouseHttpFront front;
  /** What the test reads through, never held up by a fault. */
  ClickHouseHttpFront reader;
  OpenAiSimulator simulator;
  Collector collector;
  Path binary;

  @BeforeEach
  void setUp() throws Exception {
    out = Path.of(System.getProperty("tokenledger.it.dir", "target/it")).toAbsolutePath().getParent()
        .resolve("exactly-once-it");
    Files.createDirectories(out);
    queue = Files.createTempDirectory("tokenledger-queue-");
    db = "tl_once_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    q = SqlText.quoteIdentifier(db);
    engine = EmbeddedClickHouse.shared();
    front = ClickHouseHttpFront.start(engine);
    reader = ClickHouseHttpFront.start(engine);
    try (Connection c = Migrations.connect(reader.url(), reader.user(), reader.password())) {
      new Migrations(Migrations.loadDefault(), new Migrations.Options().database(db).skipAccessControl(true).log(null))
          .apply(c);
    }
    simulator = OpenAiSimulator.start(0);
    binary = Collector.build(out.resolve("collector-build.log"));
  }

  @AfterEach
  void tearDown() throws Exception {
    if (collector != null) {
      collector.close();
    }
    if (simulator != null) {
      simulator.close();
    }
    front.close();
    try (Connection c = Migrations.connect(reader.url(), reader.user(), reader.password()); Statement st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + q + " SYNC");
    }
    reader.close();
    try (var files = Files.walk(queue)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Test
  void aCollectorKilledMidExportReplaysReformedBatchesAndEveryFigureIsTheGroundTruth() throws Exception {
    // Every insert into otel_logs is committed, then held unanswered until the Collector is dead.
    CountDownLatch committed = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger held = new AtomicInteger();
    front.afterExecute(sql -> {
      if (isLogInsert(sql)) {
        held.incrementAndGet();
        committed.countDown();
        release.await(5, TimeUnit.MINUTES);
      }
    });
    int port = front.port();
    collector = Collector.startProduction(binary, front.url(), front.user(), front.password(), db, queue, out.resolve("collector-kill.log"),
        TimeUnit.SECONDS.toMillis(30), "exporters::clickhouse::timeout=300s",
        "exporters::clickhouse::retry_on_failure::max_interval=5s");
    List<GroundTruth> billable = new ArrayList<>(runDemo("first", List.of()));
    awaitAccepted(billable.size());
    assertTrue(committed.await(60, TimeUnit.SECONDS), "no insert into otel_logs reached ClickHouse");
    long committedBeforeKill = count("SELECT count() FROM " + q + ".otel_logs");
    assertTrue(committedBeforeKill > 0, "usage log rows committed before the kill");

    collector.kill();
    System.err.printf(Locale.ROOT, "[ExactlyOnceIT] Collector killed with %d insert(s) into otel_logs committed and"
        + " unanswered (%d rows), %d billable records sent%n", held.get(), committedBeforeKill, billable.size());
    // ClickHouse goes away; the Collector restarts meanwhile with another batch size, so the replay
    // of the unanswered requests is split differently, and its exporter, finding no ClickHouse at its
    // start, leaves EventName out of its inserts.
    front.close();
    release.countDown();
    collector = Collector.startProduction(binary, "http://127.0.0.1:" + port, front.user(), front.password(), db, queue,
        out.resolve("collector-restarted.log"), TimeUnit.SECONDS.toMillis(30),
        "exporters::clickhouse::retry_on_failure::max_interval=5s",
        "exporters::clickhouse::sending_queue::batch::min_size=1",
        "exporters::clickhouse::sending_queue::batch::max_size=7",
        "exporters::clickhouse::sending_queue::batch::flush_timeout=1s");
    // New usage while ClickHouse is away: the replay is batched with it.
    List<GroundTruth> second = runDemo("second", List.of("--clients", "jdk,okhttp"));
    awaitAccepted(second.size());
    billable.addAll(second);
    front = ClickHouseHttpFront.start(engine, port, front.credentials());

    assertEveryFigureIsTheGroundTruth(billable);
    long raw = count("SELECT count() FROM " + q + ".otel_logs");
    System.err.printf(Locale.ROOT, "[ExactlyOnceIT] %d usage log rows in otel_logs for %d billable records%n", raw,
        billable.size());
    assertTrue(raw > billable.size(), "the replay delivered copies (" + raw + " raw rows): the fault did not happen");
    assertTrue(count("SELECT count() FROM " + q + ".otel_logs WHERE EventName = ''") > 0,
        "the restarted exporter wrote without EventName");
  }

  @Test
  void anInsertCommittedButAnsweredAfterTheExportersTimeoutIsCountedOnce() throws Exception {
    // The first insert into otel_logs is committed, then answered 15 s later: after the exporter's
    // 10 s timeout, so the exporter sends it again.
    AtomicInteger late = new AtomicInteger();
    front.afterExecute(sql -> {
      if (isLogInsert(sql) && late.getAndIncrement() == 0) {
        Thread.sleep(15_000);
      }
    });
    collector = Collector.startProduction(binary, front.url(), front.user(), front.password(), db, queue, out.resolve("collector-late.log"),
        TimeUnit.SECONDS.toMillis(30), "exporters::clickhouse::timeout=10s",
        "exporters::clickhouse::retry_on_failure::max_interval=5s");
    List<GroundTruth> billable = runDemo("late-answer", List.of());
    awaitAccepted(billable.size());
    assertEveryFigureIsTheGroundTruth(billable);
    assertTrue(late.get() > 1, "the late insert was sent again (" + late.get() + " inserts into otel_logs)");
    assertTrue(collector.logText().contains("deadline exceeded") || collector.logText().contains("timeout"),
        "the exporter timed out: " + collector.log());
  }

  // ------------------------------------------------------------------------------------------ checks

  private void assertEveryFigureIsTheGroundTruth(List<GroundTruth> billable) throws Exception {
    awaitLedger(billable.size());

    // The ledger: one row per billable response, every token field equal.
    List<Map<String, String>> rows = rows("SELECT request_id, response_id, toString(batch) AS batch, "
        + String.join(", ", TOKEN_FIELDS) + " FROM " + q + ".usage_events");
    Map<String, List<Map<String, String>>> byKey = new HashMap<>();
    for (Map<String, String> row : rows) {
      String key = "true".equals(row.get("batch")) ? "batch:" + row.get("response_id") : "request:" + row.get("request_id");
      byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(row);
    }
    List<String> problems = new ArrayList<>();
    for (GroundTruth t : billable) {
      String key = t.batch() ? "batch:" + t.responseId() : "request:" + t.requestId();
      List<Map<String, String>> matches = byKey.remove(key);
      if (matches == null || matches.size() != 1) {
        problems.add(key + " (" + t.api() + "): " + (matches == null ? 0 : matches.size()) + " ledger rows, expected 1");
        continue;
      }
      for (String f : TOKEN_FIELDS) {
        if (!Objects.equals(String.valueOf(t.token(f)), matches.get(0).get(f))) {
          problems.add(key + ": " + f + " expected " + t.token(f) + " but was " + matches.get(0).get(f));
        }
      }
    }
    byKey.forEach((k, v) -> problems.add("ledger row(s) without a ground-truth record: " + k));
    assertTrue(problems.isEmpty(), () -> problems.size() + " difference(s) in usage_events (" + rows.size() + " rows, "
        + billable.size() + " expected):\n  " + String.join("\n  ", problems) + "\nCollector log: " + collector.log());

    // The rollup: once every row has settled and been corrected, the ground truth per key.
    Map<String, List<Long>> expected = new TreeMap<>();
    for (GroundTruth t : billable) {
      String key = String.join("|", t.api(), t.model(), t.usageSource(), String.valueOf(t.batch()), nz(t.project()));
      List<Long> sums = expected.computeIfAbsent(key, k -> new ArrayList<>(java.util.Collections.nCopies(
          TOKEN_FIELDS.size() + 1, 0L)));
      sums.set(0, sums.get(0) + 1);
      for (int i = 0; i < TOKEN_FIELDS.size(); i++) {
        sums.set(i + 1, sums.get(i + 1) + t.token(TOKEN_FIELDS.get(i)));
      }
    }
    long start = System.nanoTime();
    Map<String, List<Long>> actual = rollupByKey();
    long unsettled = -1;
    while (System.nanoTime() - start < CORRECTED_WITHIN.toNanos()) {
      actual = rollupByKey();
      // Rows of an ingest minute that sum to anything are still to be corrected and compacted.
      unsettled = count("SELECT count() FROM (SELECT ingest_minute FROM " + q + ".usage_hourly WHERE ingest_minute"
          + " != toDateTime(0, 'UTC') GROUP BY hour, ingest_minute HAVING sum(num_model_requests) != 0)");
      if (actual.equals(expected) && unsettled == 0) {
        break;
      }
      Thread.sleep(2000);
    }
    System.err.printf(Locale.ROOT, "[ExactlyOnceIT] usage_hourly %s %d s after the ledger was complete%n",
        actual.equals(expected) && unsettled == 0 ? "corrected and settled" : "NOT exact",
        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start));
    assertEquals(expected, actual,
        "usage_hourly per api|model|usage_source|batch|project: [num_model_requests, " + TOKEN_FIELDS + "]");
    assertEquals(0, unsettled, "rollup rows of an ingest minute left uncorrected");

    // The OpenAI-shaped daily view, row for row against the simulator's export.
    List<Map<String, String>> expectedRows = new ArrayList<>();
    for (UsageExport.Row r : UsageExport.completionsDaily(billable)) {
      Map<String, String> row = new LinkedHashMap<>();
      row.put("start_time", String.valueOf(r.startTime().getEpochSecond()));
      row.put("project_id", r.projectId());
      row.put("num_model_requests", String.valueOf(r.numModelRequests()));
      row.put("model", r.model());
      row.put("batch", String.valueOf(r.batch()));
      row.put("service_tier", r.serviceTier());
      for (String c : EXPORT_TOKEN_COLUMNS) {
        row.put(c, String.valueOf(r.tokens().get(c)));
      }
      expectedRows.add(row);
    }
    assertFalse(expectedRows.isEmpty(), "the simulator's export has no rows");
    List<Map<String, String>> daily = rows("SELECT start_time, project_id, num_model_requests, model,"
        + " toString(batch) AS batch, service_tier, " + String.join(", ", EXPORT_TOKEN_COLUMNS) + " FROM " + q
        + ".usage_daily_openai");
    assertEquals(expectedRows, daily, "usage_daily_openai vs the simulator's export");
  }

  private Map<String, List<Long>> rollupByKey() throws Exception {
    StringBuilder sql = new StringBuilder("SELECT api, model, usage_source, toString(batch) AS b, project_id,"
        + " sum(num_model_requests) AS n");
    for (String f : TOKEN_FIELDS) {
      sql.append(", sum(").append(f).append(") AS ").append(f);
    }
    sql.append(" FROM ").append(q).append(".usage_hourly GROUP BY api, model, usage_source, b, project_id")
        .append(" HAVING n != 0");
    Map<String, List<Long>> out = new TreeMap<>();
    for (Map<String, String> row : rows(sql.toString())) {
      List<Long> sums = new ArrayList<>();
      sums.add(Long.parseLong(row.get("n")));
      for (String f : TOKEN_FIELDS) {
        sums.add(Long.parseLong(row.get(f)));
      }
      out.put(String.join("|", row.get("api"), row.get("model"), row.get("usage_source"), row.get("b"),
          row.get("project_id")), sums);
    }
    return out;
  }

  // ------------------------------------------------------------------------------------------ steps

  private List<GroundTruth> runDemo(String name, List<String> extraArgs) throws Exception {
    int before = simulator.groundTruth().size();
    List<String> args = new ArrayList<>(List.of("--base-url", simulator.baseUrl(), "--project", PROJECT));
    args.addAll(extraArgs);
    // The agent presents the Collector's token and trusts its certificate, as a user configures it.
    Map<String, String> env = new HashMap<>(collector.agentEnvironment());
    env.put("OPENAI_API_KEY", API_KEY);
    AgentRun.Result run = AgentRun.runMain(AgentRun.Agent.ONE_JAR, collector.otlpHttpEndpoint(), false, List.of(), env,
        AgentRun.DEMO_APP_MAIN, args.toArray(new String[0]));
    Files.writeString(out.resolve("demo-app-" + name + ".out"), run.stdout() + "\n--- stderr ---\n" + run.stderr());
    assertEquals(0, run.exitCode(), () -> "demo app failed:\n" + run.stdout() + run.stderr());
    List<GroundTruth> all = simulator.groundTruth();
    List<GroundTruth> billable = all.subList(before, all.size()).stream()
        .filter(t -> t.host().equals("127.0.0.1") && !t.usageSource().equals("none")).toList();
    assertFalse(billable.isEmpty(), "the simulator recorded no billable responses");
    return billable;
  }

  /** Waits until the Collector has accepted (and queued on disk) every log record of the runs so far. */
  private void awaitAccepted(long expected) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    double accepted = -1;
    while (System.nanoTime() < deadline) {
      accepted = collector.selfMetric("otelcol_receiver_accepted_log_records");
      if (accepted >= expected) {
        return;
      }
      Thread.sleep(200);
    }
    fail("the Collector accepted " + accepted + " log records, expected " + expected + "; log " + collector.log());
  }

  /** Waits until the ledger holds {@code expected} rows and the Collector's log queue is empty. */
  private void awaitLedger(long expected) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    long count = -1;
    double queued = -1;
    while (System.nanoTime() < deadline) {
      if (!collector.isAlive()) {
        fail("the Collector exited; log " + collector.log());
      }
      count = count("SELECT count() FROM " + q + ".usage_events");
      queued = collector.selfMetric("otelcol_exporter_queue_size", "exporter=\"clickhouse\"", "data_type=\"logs\"");
      if (count >= expected && queued == 0) {
        Thread.sleep(1000); // a request answered just now may still be on its way into the ledger
        return;
      }
      Thread.sleep(500);
    }
    System.err.printf(Locale.ROOT, "[ExactlyOnceIT] ledger %d of %d rows, Collector log queue %.0f by the deadline%n",
        count, expected, queued);
  }

  private static boolean isLogInsert(String sql) {
    return sql.regionMatches(true, 0, "INSERT", 0, 6) && sql.contains("otel_logs");
  }

  private long count(String sql) throws Exception {
    return Long.parseLong(rows("SELECT toString((" + sql + ")) AS n").get(0).get("n"));
  }

  private List<Map<String, String>> rows(String sql) throws Exception {
    try (Connection c = Migrations.connect(reader.url(), reader.user(), reader.password());
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

  private static String nz(String s) {
    return s == null ? "" : s;
  }
}
