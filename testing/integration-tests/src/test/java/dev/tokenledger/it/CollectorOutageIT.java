package dev.tokenledger.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.clickhouse.ClickHouseHttpFront;
import dev.tokenledger.clickhouse.EmbeddedClickHouse;
import dev.tokenledger.clickhouse.Migrations;
import dev.tokenledger.clickhouse.SqlText;
import dev.tokenledger.simulator.GroundTruth;
import dev.tokenledger.simulator.OpenAiSimulator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * At-least-once delivery, end to end, with the production configuration (collector-production.yaml:
 * the persistent file_storage sending queue): ClickHouse becomes unreachable, the demo app's usage
 * arrives at the Collector meanwhile, the Collector is restarted while ClickHouse is still away, and
 * ClickHouse comes back after at least 30 s. Then every billable response is in the ledger exactly
 * once, every token field equal to the simulator's ground truth.
 *
 * <p>"Unreachable" is the embedded engine's HTTP front closed (connections refused on its port) and
 * started again on the same port; the engine and its data stay, as a restarted server's would. One
 * change to the production settings, for the test's duration only: retries back off to at most 5 s
 * instead of 60 s, so the ledger is complete seconds after ClickHouse returns.
 */
class CollectorOutageIT {

  static final String API_KEY = HttpUsageIT.API_KEY;
  static final List<String> TOKEN_FIELDS = HttpUsageIT.TOKEN_FIELDS;
  static final long OUTAGE_MILLIS = TimeUnit.SECONDS.toMillis(30);

  @Test
  void nothingIsLostWhenClickHouseIsAwayAndTheCollectorRestarts() throws Exception {
    Path out = Path.of(System.getProperty("tokenledger.it.dir", "target/it")).toAbsolutePath().getParent()
        .resolve("collector-outage-it");
    Files.createDirectories(out);
    Path queue = Files.createTempDirectory("tokenledger-queue-");
    String db = "tl_outage_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    EmbeddedClickHouse engine = EmbeddedClickHouse.shared();
    ClickHouseHttpFront front = ClickHouseHttpFront.start(engine);
    int port = front.port();
    Collector collector = null;
    try (OpenAiSimulator simulator = OpenAiSimulator.start(0)) {
      try (Connection c = Migrations.connect(front.url(), front.user(), front.password())) {
        new Migrations(Migrations.loadDefault(), new Migrations.Options().database(db).skipAccessControl(true).log(null))
            .apply(c);
      }
      Path binary = Collector.build(out.resolve("collector-build.log"));
      collector = Collector.startProduction(binary, front.url(), front.user(), front.password(), db, queue, out.resolve("collector.log"),
          TimeUnit.SECONDS.toMillis(30), "exporters::clickhouse::retry_on_failure::max_interval=5s");

      // ClickHouse goes away; the application's usage arrives at the Collector meanwhile.
      front.close();
      long outageStart = System.nanoTime();
      // The agent presents the Collector's token and trusts its certificate, as a user configures it.
      Map<String, String> env = new HashMap<>(collector.agentEnvironment());
      env.put("OPENAI_API_KEY", API_KEY);
      AgentRun.Result run = AgentRun.runMain(AgentRun.Agent.ONE_JAR, collector.otlpHttpEndpoint(), false, List.of(), env,
          AgentRun.DEMO_APP_MAIN, "--base-url", simulator.baseUrl(), "--project", "proj_tokenledger_outage");
      Files.writeString(out.resolve("demo-app.out"), run.stdout() + "\n--- stderr ---\n" + run.stderr());
      assertEquals(0, run.exitCode(), () -> "demo app failed:\n" + run.stdout() + run.stderr());
      List<GroundTruth> billable = simulator.groundTruth().stream()
          .filter(t -> t.host().equals("127.0.0.1") && !t.usageSource().equals("none"))
          .toList();
      assertFalse(billable.isEmpty(), "the simulator recorded no billable responses");

      // Every record accepted and waiting in the persistent queue, none delivered.
      double accepted = awaitSelfMetric(collector, billable.size(), "otelcol_receiver_accepted_log_records");
      assertEquals(billable.size(), accepted, 0.0, "log records the Collector accepted");
      double queued = collector.selfMetric("otelcol_exporter_queue_size", "data_type=\"logs\"");
      assertTrue(queued > 0, "the logs are queued while ClickHouse is away (queue size " + queued + ")");

      // The Collector restarts while ClickHouse is still away: the queue must survive on disk.
      collector = collector.restart(TimeUnit.SECONDS.toMillis(30));
      double requeued = collector.selfMetric("otelcol_exporter_queue_size", "data_type=\"logs\"");
      assertTrue(requeued > 0, "after the restart the queue was read back from disk (queue size " + requeued + ")");

      long away = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - outageStart);
      if (away < OUTAGE_MILLIS) {
        Thread.sleep(OUTAGE_MILLIS - away);
      }
      // Back where the Collector expects it, admitting the credential it was started with.
      front = ClickHouseHttpFront.start(engine, port, front.credentials());
      long back = System.nanoTime();
      System.err.printf("[CollectorOutageIT] ClickHouse away for %d ms; %d billable records queued%n",
          TimeUnit.NANOSECONDS.toMillis(back - outageStart), billable.size());

      String q = SqlText.quoteIdentifier(db);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      long count = 0;
      while (System.nanoTime() < deadline) {
        count = Long.parseLong(rows(front, "SELECT count() AS n FROM " + q + ".usage_events").get(0).get("n"));
        if (count >= billable.size() && collector.selfMetric("otelcol_exporter_queue_size", "data_type=\"logs\"") == 0) {
          break;
        }
        Thread.sleep(500);
      }
      System.err.printf("[CollectorOutageIT] ledger complete %d ms after ClickHouse returned (%d rows)%n",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - back), count);

      List<Map<String, String>> rows = rows(front, "SELECT request_id, response_id, toString(batch) AS batch, "
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
      final Collector last = collector;
      assertTrue(problems.isEmpty(), () -> problems.size() + " difference(s) after the outage (" + rows.size()
          + " rows, " + billable.size() + " expected):\n  " + String.join("\n  ", problems) + "\nCollector log: "
          + last.log());
      assertEquals(String.valueOf(billable.size()),
          rows(front, "SELECT sum(num_model_requests) AS n FROM " + q + ".usage_hourly").get(0).get("n"),
          "usage_hourly requests");
    } finally {
      if (collector != null) {
        collector.close();
      }
      front.close();
      Files.walk(queue).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  private static double awaitSelfMetric(Collector collector, double expected, String name) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    double v = -1;
    while (System.nanoTime() < deadline) {
      v = collector.selfMetric(name);
      if (v >= expected) {
        break;
      }
      Thread.sleep(200);
    }
    return v;
  }

  private static List<Map<String, String>> rows(ClickHouseHttpFront front, String sql) throws Exception {
    try (Connection c = Migrations.connect(front.url(), front.user(), front.password());
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      List<Map<String, String>> out = new ArrayList<>();
      while (rs.next()) {
        Map<String, String> row = new HashMap<>();
        for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
          row.put(rs.getMetaData().getColumnLabel(i), rs.getString(i));
        }
        out.add(row);
      }
      return out;
    }
  }
}
