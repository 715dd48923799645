package dev.tokenledger.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.clickhouse.ClickHouseHttpFront;
import dev.tokenledger.clickhouse.EmbeddedClickHouse;
import dev.tokenledger.clickhouse.Migrations;
import dev.tokenledger.clickhouse.SqlText;
import dev.tokenledger.simulator.OpenAiSimulator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A full queue, with the production configuration and ClickHouse away so that nothing drains: the
 * Collector refuses what it cannot keep, the sender is told, the Collector counts it, everything it
 * accepted reaches ClickHouse exactly once when ClickHouse returns, and it accepts data again.
 *
 * <ul>
 *   <li>The byte bound ({@code sending_queue.queue_size}, sizer bytes), set to 64 KiB here: with
 *       {@code block_on_overflow} the receiver holds the request until the sender gives up (its
 *       timeout, 3 s here; the agent's is 10 s), and the records of that request are counted in
 *       {@code otelcol_exporter_enqueue_failed_log_records}.</li>
 *   <li>A full disk: the queue directory is a 2 MiB tmpfs (mounted in a user and mount namespace of
 *       the Collector's own, so no privileges are needed and nothing outlives the process), the byte
 *       bound left at its 1 GiB default. A write the file storage cannot make is answered 503 at
 *       once and counted the same way.</li>
 * </ul>
 *
 * Ground truth: every request's answer as the sender saw it, record by record.
 */
class CollectorQueueFullIT {

  static final String PAD = "x".repeat(300);

  @Test
  void theByteBoundHoldsTheSenderUntilItsDeadlineAndCountsTheRefusal() throws Exception {
    run("bytes", Map.of("TOKENLEDGER_QUEUE_MAX_BYTES", "65536"), List.of(), 20, Duration.ofSeconds(3), 40);
  }

  @Test
  void aFullDiskIsRefusedAtOnceAndNothingAcceptedIsLost() throws Exception {
    Path probe = Files.createTempDirectory("tokenledger-tmpfs-probe-");
    Process p = new ProcessBuilder("unshare", "-Urm", "sh", "-c",
        "mount -t tmpfs -o size=1m tl-probe \"$0\" && df -k \"$0\"", probe.toString())
        .redirectErrorStream(true).start();
    String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0,
        "this test gives the Collector a small file system through `unshare -Urm` (user and mount namespaces);"
            + " it failed here: " + said);
    Files.delete(probe);
    // Larger records so that a few dozen requests fill the 2 MiB.
    run("disk", Map.of(), List.of("unshare", "-Urm", "sh", "-c",
        "mount -t tmpfs -o size=2m tl-queue \"$0\" && exec \"$@\""), 200, Duration.ofSeconds(10), 400);
  }

  /**
   * What the agent does when the Collector holds its export (block_on_overflow): the exporter's call
   * timeout (3 s here through OTEL_EXPORTER_OTLP_TIMEOUT; 10 s by default) ends it, the batch is
   * dropped and counted in the SDK's {@code otlp.exporter.exported{type=log, success=false}} — sent
   * to a second receiver here, since the Collector is the one that is full. Every log record the
   * agent sent is then either accepted by the Collector (and in ClickHouse once it returns) or
   * counted as refused by the Collector; none is gone without a count.
   */
  @Test
  void theAgentDropsAndCountsWhatAFullCollectorHoldsPastItsTimeout() throws Exception {
    Path out = Path.of(System.getProperty("tokenledger.it.dir", "target/it")).toAbsolutePath().getParent()
        .resolve("collector-queue-full-it");
    Files.createDirectories(out);
    Path queue = Files.createTempDirectory("tokenledger-queue-");
    String db = "tl_fullagent_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    EmbeddedClickHouse engine = EmbeddedClickHouse.shared();
    ClickHouseHttpFront front = ClickHouseHttpFront.start(engine);
    int port = front.port();
    Collector collector = null;
    try (OpenAiSimulator simulator = OpenAiSimulator.start(0); OtlpReceiver agentMetrics = new OtlpReceiver()) {
      try (var c = Migrations.connect(front.url(), front.user(), front.password())) {
        new Migrations(Migrations.loadDefault(), new Migrations.Options().database(db).skipAccessControl(true).log(null))
            .apply(c);
      }
      Path binary = Collector.build(out.resolve("collector-build.log"));
      collector = Collector.startProduction(binary, front.url(), front.user(), front.password(), db, queue,
          out.resolve("collector-agent.log"), TimeUnit.SECONDS.toMillis(30),
          Map.of("TOKENLEDGER_QUEUE_MAX_BYTES", "32768"), List.of(),
          "exporters::clickhouse::retry_on_failure::max_interval=2s",
          "exporters::clickhouse::sending_queue::batch::flush_timeout=500ms");
      final Collector running = collector;
      front.close();

      Map<String, String> env = new LinkedHashMap<>(collector.agentEnvironment());
      env.put("OPENAI_API_KEY", HttpUsageIT.API_KEY);
      env.put("OTEL_EXPORTER_OTLP_TIMEOUT", "3000");
      // Only the logs go to the full Collector; metrics (with the exporter's own counters) and spans
      // go to a receiver that always answers.
      List<String> jvm = List.of(
          "-Dotel.exporter.otlp.metrics.endpoint=" + agentMetrics.endpoint() + "/v1/metrics",
          "-Dotel.exporter.otlp.traces.endpoint=" + agentMetrics.endpoint() + "/v1/traces");
      AgentRun.Result run = AgentRun.runMain(AgentRun.Agent.ONE_JAR, collector.otlpHttpEndpoint(), false, jvm, env,
          AgentRun.DEMO_APP_MAIN, "--base-url", simulator.baseUrl(), "--project", "proj_tokenledger_full");
      Files.writeString(out.resolve("demo-app-agent.out"), run.stdout() + "\n--- stderr ---\n" + run.stderr());
      assertEquals(0, run.exitCode(), () -> "demo app failed:\n" + run.stdout() + run.stderr());

      double seen = sum(agentMetrics, "otlp.exporter.seen", null);
      double exportedOk = sum(agentMetrics, "otlp.exporter.exported", true);
      double exportedFailed = sum(agentMetrics, "otlp.exporter.exported", false);
      double accepted = collector.selfMetric("otelcol_receiver_accepted_log_records");
      double enqueueFailed = -1;
      long counted = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      while (System.nanoTime() < counted && accepted + enqueueFailed < seen) {
        Thread.sleep(200);
        accepted = collector.selfMetric("otelcol_receiver_accepted_log_records");
        enqueueFailed = collector.selfMetric("otelcol_exporter_enqueue_failed_log_records", "exporter=\"clickhouse\"");
      }
      long billable = simulator.groundTruth().stream()
          .filter(t -> t.host().equals("127.0.0.1") && !t.usageSource().equals("none"))
          .count();
      System.err.printf("[CollectorQueueFullIT:agent] %d usage records made; the agent's exporter saw %s: %s"
          + " exported, %s failed (its last metric export left before the rest ended); the Collector accepted %s,"
          + " refused %s%n", billable, seen, exportedOk, exportedFailed, accepted, enqueueFailed);
      assertTrue(exportedFailed > 0, "the agent's exports were held past its timeout and counted as failed");
      assertTrue(run.stderr().contains("Failed to export logs"), "the agent logged the failed export");
      assertTrue(exportedOk + exportedFailed <= seen, "the agent counts at most one outcome per record it tried");
      assertTrue(exportedOk <= accepted, "the Collector accepted at least what the agent saw acknowledged");
      assertTrue(accepted + enqueueFailed >= exportedOk + exportedFailed,
          "every export the agent resolved reached the Collector and was accepted or counted as refused there");
      assertTrue(accepted + enqueueFailed <= billable, "no more log records than usage records");
      front = ClickHouseHttpFront.start(engine, port, front.credentials());
      String idsSql = "SELECT toString(count()) AS v FROM " + SqlText.quoteIdentifier(db) + ".otel_logs";
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      long landed = 0;
      while (System.nanoTime() < deadline) {
        landed = Long.parseLong(ClickHouseRows.list(front, idsSql).get(0));
        if (landed >= accepted && running.selfMetric("otelcol_exporter_queue_size", "data_type=\"logs\"") == 0) {
          break;
        }
        Thread.sleep(500);
      }
      assertEquals((long) accepted, landed, "every record the Collector accepted is in ClickHouse, once");
      assertEquals(landed, ClickHouseRows.count(front, "SELECT count() AS n FROM " + SqlText.quoteIdentifier(db)
          + ".usage_events"), "and each is a ledger row");
    } finally {
      if (collector != null) {
        collector.close();
      }
      front.close();
      Files.walk(queue).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /** Sum of a log-type counter of the agent's exporter metrics; {@code success} null for any. */
  private static double sum(OtlpReceiver receiver, String name, Boolean success) {
    return Otlp.sumPoints(receiver.metrics(), name).stream()
        .filter(p -> "log".equals(p.getKey().get("type")))
        .filter(p -> success == null || success.equals(p.getKey().get("success")))
        .mapToDouble(Map.Entry::getValue)
        .sum();
  }

  /**
   * Sends requests of {@code perRequest} records until the Collector has refused two in a row (at
   * most {@code maxRequests}), with ClickHouse away; then brings ClickHouse back and checks the ledger.
   * A non-empty {@code prefix} runs the Collector with its queue directory as the last argument of the
   * prefix (a wrapper that mounts something there).
   */
  private void run(String name, Map<String, String> env, List<String> prefix, int perRequest, Duration timeout,
      int maxRequests) throws Exception {
    Path out = Path.of(System.getProperty("tokenledger.it.dir", "target/it")).toAbsolutePath().getParent()
        .resolve("collector-queue-full-it");
    Files.createDirectories(out);
    Path queue = Files.createTempDirectory("tokenledger-queue-");
    String db = "tl_full_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    EmbeddedClickHouse engine = EmbeddedClickHouse.shared();
    ClickHouseHttpFront front = ClickHouseHttpFront.start(engine);
    int port = front.port();
    Collector collector = null;
    try {
      try (var c = Migrations.connect(front.url(), front.user(), front.password())) {
        new Migrations(Migrations.loadDefault(), new Migrations.Options().database(db).skipAccessControl(true).log(null))
            .apply(c);
      }
      List<String> command = new ArrayList<>(prefix);
      if (!prefix.isEmpty()) {
        command.add(queue.toString()); // $0 of the wrapper
      }
      Path binary = Collector.build(out.resolve("collector-build.log"));
      collector = Collector.startProduction(binary, front.url(), front.user(), front.password(), db, queue,
          out.resolve("collector-" + name + ".log"), TimeUnit.SECONDS.toMillis(30), env, command,
          "exporters::clickhouse::retry_on_failure::max_interval=2s",
          "exporters::clickhouse::sending_queue::batch::flush_timeout=500ms");
      final Collector running = collector;

      // ClickHouse goes away: nothing leaves the queue.
      front.close();
      List<String> accepted = new ArrayList<>();
      List<String> refused = new ArrayList<>();
      Map<Integer, OtlpPost.Answer> refusals = new LinkedHashMap<>();
      int refusedInARow = 0;
      for (int r = 0; r < maxRequests && refusedInARow < 2; r++) {
        List<Map<String, String>> records = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < perRequest; i++) {
          String id = name + "-" + r + "-" + i;
          ids.add(id);
          records.add(Map.of(OtlpPost.RECORD_ID, id, "test.pad", PAD + id));
        }
        OtlpPost.Answer answer = OtlpPost.post(collector, OtlpPost.logs("app-" + name, records), timeout);
        if (answer.accepted()) {
          accepted.addAll(ids);
          refusedInARow = 0;
        } else {
          refused.addAll(ids);
          refusals.put(r, answer);
          refusedInARow++;
        }
      }
      System.err.printf("[CollectorQueueFullIT:%s] %d records accepted, %d refused: %s%n", name, accepted.size(),
          refused.size(), refusals);
      assertFalse(accepted.isEmpty(), "the Collector accepted nothing: " + refusals);
      assertFalse(refused.isEmpty(), "the queue never filled (" + accepted.size() + " records accepted)");
      if (name.equals("bytes")) {
        refusals.values().forEach(a -> assertTrue(a.status() == -1 && a.failure().contains("HttpTimeoutException"),
            "block_on_overflow: the request is held until the sender's own deadline, which ends it: " + a));
        double queued = collector.selfMetric("otelcol_exporter_queue_size", "data_type=\"logs\"");
        assertTrue(queued > 0 && queued <= 65536, "queued bytes within the bound: " + queued);
      } else {
        refusals.values().forEach(a -> assertEquals(503, a.status(),
            "a write the storage cannot make is answered 503 (retryable) at once: " + a));
      }

      // The Collector counted every refused record (the server sees a sender's timeout as a cancel).
      long counted = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      double enqueueFailed = -1;
      while (System.nanoTime() < counted) {
        enqueueFailed = collector.selfMetric("otelcol_exporter_enqueue_failed_log_records", "exporter=\"clickhouse\"");
        if (enqueueFailed >= refused.size()) {
          break;
        }
        Thread.sleep(200);
      }
      assertEquals(refused.size(), enqueueFailed, 0.0, "otelcol_exporter_enqueue_failed_log_records");

      // ClickHouse returns: exactly the accepted records arrive, each once.
      front = ClickHouseHttpFront.start(engine, port, front.credentials());
      String q = SqlText.quoteIdentifier(db);
      String idsSql = "SELECT LogAttributes['" + OtlpPost.RECORD_ID + "'] AS v FROM " + q + ".otel_logs";
      List<String> landed = awaitRows(front, idsSql, accepted.size(), running);
      assertEquals(accepted.stream().sorted().toList(), landed.stream().sorted().toList(),
          () -> "after the queue drained: every accepted record once, no refused one (log " + running.log() + ")");

      // And the Collector takes data again.
      String after = name + "-after";
      OtlpPost.Answer again = OtlpPost.post(collector,
          OtlpPost.logs("app-" + name, List.of(Map.of(OtlpPost.RECORD_ID, after))), timeout);
      assertTrue(again.accepted(), "accepted again once the queue drained: " + again);
      List<String> withAfter = awaitRows(front, idsSql, accepted.size() + 1, running);
      assertTrue(withAfter.contains(after), "the record sent after recovery reached ClickHouse");
      assertEquals(accepted.size() + 1, withAfter.size());
    } finally {
      if (collector != null) {
        collector.close();
      }
      front.close();
      Files.walk(queue).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /** Waits (up to 90 s) until {@code sql} answers at least {@code expected} rows and the queue is empty. */
  private static List<String> awaitRows(ClickHouseHttpFront front, String sql, int expected, Collector collector)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    List<String> rows = List.of();
    while (System.nanoTime() < deadline) {
      rows = ClickHouseRows.list(front, sql);
      if (rows.size() >= expected
          && collector.selfMetric("otelcol_exporter_queue_size", "data_type=\"logs\"") == 0) {
        break;
      }
      Thread.sleep(500);
    }
    return rows;
  }
}
