package dev.tokenledger.it;

import dev.tokenledger.clickhouse.ClickHouseHttpFront;
import dev.tokenledger.clickhouse.EmbeddedClickHouse;
import dev.tokenledger.clickhouse.Migrations;
import dev.tokenledger.simulator.OpenAiSimulator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A printed benchmark, not a test: ingest throughput from the agent to the ledger through the real
 * Collector. Several load generators (the demo app's ChatBenchmark: sequential chat completions
 * against the OpenAI simulator, one JVM each, in parallel — one alone is limited by its own round
 * trips) run under the one-jar agent; each agent exports OTLP to the built Collector
 * (collector-local.yaml), which writes into the embedded ClickHouse behind its HTTP front, where the
 * materialized views fill usage_events. Printed: ledger rows, the simulator's billable responses,
 * and rows per second from the application's start to the last ledger row visible — the whole
 * path, agent batching and Collector batching included.
 *
 * <pre>IngestBenchmark [CALLS_PER_APP (2000)] [APPS (8)]</pre>
 */
public final class IngestBenchmark {

  private IngestBenchmark() {}

  public static void main(String[] args) throws Exception {
    int calls = args.length > 0 ? Integer.parseInt(args[0]) : 2_000;
    int apps = args.length > 1 ? Integer.parseInt(args[1]) : 8;
    Path out = Paths.get(System.getProperty("tokenledger.it.dir", "target/it")).toAbsolutePath().getParent()
        .resolve("ingest-benchmark");
    Files.createDirectories(out);
    EmbeddedClickHouse engine = EmbeddedClickHouse.shared();
    String db = "tl_ingest_bench";
    try (ClickHouseHttpFront front = ClickHouseHttpFront.start(engine);
        OpenAiSimulator simulator = OpenAiSimulator.start(0)) {
      try (Connection c = Migrations.connect(front.url(), front.user(), front.password())) {
        new Migrations(Migrations.loadDefault(), new Migrations.Options().database(db).skipAccessControl(true).log(null))
            .apply(c);
      }
      Path binary = Collector.build(out.resolve("collector-build.log"));
      try (Collector collector = Collector.start(binary, front.url(), front.user(), front.password(), db, out.resolve("collector.log"),
          TimeUnit.SECONDS.toMillis(30))) {
        long start = System.nanoTime();
        List<java.util.concurrent.Future<AgentRun.Result>> runs = new java.util.ArrayList<>();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(apps);
        for (int i = 0; i < apps; i++) {
          runs.add(pool.submit(() -> AgentRun.runMain(AgentRun.Agent.ONE_JAR, collector.otlpHttpEndpoint(), false,
              List.of(), Map.of(), "dev.tokenledger.demo.ChatBenchmark", simulator.baseUrl(), "okhttp", "0",
              String.valueOf(calls))));
        }
        List<String> benchLines = new java.util.ArrayList<>();
        for (java.util.concurrent.Future<AgentRun.Result> f : runs) {
          AgentRun.Result run = f.get();
          if (run.exitCode() != 0) {
            throw new IllegalStateException("a load generator failed:\n" + run.stdout() + run.stderr());
          }
          run.stdout().lines().filter(l -> l.startsWith("BENCH")).forEach(benchLines::add);
        }
        pool.shutdown();
        long appDone = System.nanoTime();
        long billable = simulator.groundTruth().stream().filter(t -> !t.usageSource().equals("none")).count();
        // Until every billable response is in the ledger, or nothing new arrived for 15 s.
        long rows = 0;
        long lastChange = System.nanoTime();
        long lastRowSeen = appDone;
        while (rows < billable && System.nanoTime() - lastChange < TimeUnit.SECONDS.toNanos(15)) {
          long n = count(front, db);
          if (n != rows) {
            rows = n;
            lastChange = System.nanoTime();
            lastRowSeen = lastChange;
          }
          Thread.sleep(100);
        }
        double seconds = (lastRowSeen - start) / 1e9;
        System.out.printf(Locale.ROOT, "INGEST-BENCH apps=%d calls=%d billable=%d ledger_rows=%d missing=%d%n", apps,
            (long) apps * calls, billable, rows, billable - rows);
        System.out.printf(Locale.ROOT, "INGEST-BENCH agent -> Collector -> ClickHouse ledger: %.0f rows/s (%d rows in"
            + " %.1f s from the application's start to the last row in usage_events; the application ran %.1f s)%n",
            rows / seconds, rows, seconds, (appDone - start) / 1e9);
        benchLines.forEach(l -> System.out.println("INGEST-BENCH application: " + l));
      }
    } finally {
      engine.close();
    }
  }

  private static long count(ClickHouseHttpFront front, String db) throws Exception {
    try (Connection c = Migrations.connect(front.url(), front.user(), front.password());
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT count() FROM " + db + ".usage_events")) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
