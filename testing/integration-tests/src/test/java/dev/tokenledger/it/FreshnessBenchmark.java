package dev.tokenledger.it;

import dev.tokenledger.clickhouse.ClickHouseHttpFront;
import dev.tokenledger.clickhouse.EmbeddedClickHouse;
import dev.tokenledger.clickhouse.Migrations;
import dev.tokenledger.simulator.OpenAiSimulator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A printed benchmark, not a test: freshness, the time from the application receiving an OpenAI
 * response to that response being counted in {@code usage_hourly}, where dashboards read it.
 *
 * <p>The parts are the real ones at their default settings: the demo app's SteadyChat (chat
 * completions through OkHttp at a steady rate against the OpenAI simulator) under the upstream agent
 * with the TokenLedger extension, the agent's export settings left at the SDK's defaults (batch log
 * processor every 1 s); the built Collector with {@code collector-production.yaml} (persistent queue,
 * batching in the exporter: at least 10,000 records or 5 s), TLS and a token as users run it; the
 * embedded ClickHouse behind its HTTP front with the real migrations, whose materialized views fill
 * usage_records and usage_hourly in the Collector's insert into otel_logs.
 *
 * <p>How each response is matched: the app prints the moment it had read each response and its
 * {@code x-request-id}, which the ledger keeps as request_id. Every POLL_MS the benchmark reads the
 * request ids in the ledger (usage_records) and then the rollup's request count
 * (sum(num_model_requests) of usage_hourly); a response is counted at the first poll where its id is
 * in the ledger and the rollup counts at least as many requests as the ledger holds (the rollup's
 * view writes in the same insert, so the check only waits out the moment between the two tables'
 * commits). Its freshness is that poll's end minus the app's receive time.
 *
 * <p>What the delay is made of, per response: until the Collector accepted it (the Collector's own
 * otelcol_receiver_accepted_log_records, read at each poll; the n-th response received is taken as
 * accepted when the counter reaches n), until the insert that carried it had committed (the HTTP
 * front's hook after each otel_logs insert, materialized views included, reads the ledger's new ids)
 * and until the next poll saw it.
 *
 * <pre>FreshnessBenchmark [CALLS_PER_SECOND (5)] [SECONDS (90)] [POLL_MS (100)] [local|production]</pre>
 */
public final class FreshnessBenchmark {

  private static final double TARGET_P99_S = 10;

  private FreshnessBenchmark() {}

  public static void main(String[] args) throws Exception {
    double rate = args.length > 0 ? Double.parseDouble(args[0]) : 5;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 90;
    long pollMs = args.length > 2 ? Long.parseLong(args[2]) : 100;
    boolean production = args.length <= 3 || !args[3].equals("local");
    long runStart = System.nanoTime();
    Path out = Paths.get(System.getProperty("tokenledger.it.dir", "target/it")).toAbsolutePath().getParent()
        .resolve("freshness-benchmark");
    Files.createDirectories(out);
    EmbeddedClickHouse engine = EmbeddedClickHouse.shared();
    String db = "tl_freshness_bench";
    Map<String, Long> committedAt = new ConcurrentHashMap<>();
    List<Long> logInserts = java.util.Collections.synchronizedList(new ArrayList<>());
    try (ClickHouseHttpFront front = ClickHouseHttpFront.start(engine);
        OpenAiSimulator simulator = OpenAiSimulator.start(0)) {
      try (Connection c = Migrations.connect(front.url(), front.user(), front.password())) {
        new Migrations(Migrations.loadDefault(), new Migrations.Options().database(db).skipAccessControl(true).log(null))
            .apply(c);
      }
      // After each insert into otel_logs (committed with its materialized views): the ids it brought.
      front.afterExecute(sql -> {
        if (sql.regionMatches(true, 0, "INSERT", 0, 6) && sql.contains("otel_logs")) {
          long now = System.currentTimeMillis();
          logInserts.add(now);
          for (String id : ledgerIds(engine, db)) {
            committedAt.putIfAbsent(id, now);
          }
        }
      });
      Path binary = Collector.build(out.resolve("collector-build.log"));
      Path queue = Files.createTempDirectory("tokenledger-freshness-queue-");
      try (Collector collector = production
          ? Collector.startProduction(binary, front.url(), front.user(), front.password(), db, queue,
              out.resolve("collector.log"), TimeUnit.SECONDS.toMillis(30))
          : Collector.start(binary, front.url(), front.user(), front.password(), db, out.resolve("collector.log"),
              TimeUnit.SECONDS.toMillis(30))) {
        Map<String, String> env = new LinkedHashMap<>(collector.agentEnvironment());
        env.put("OPENAI_API_KEY", "sk-proj-freshness-benchmark");
        // The SDK's defaults again, over the short intervals AgentRun sets for tests.
        List<String> defaults = List.of("-Dotel.blrp.schedule.delay=1000", "-Dotel.bsp.schedule.delay=5000",
            "-Dotel.metric.export.interval=60000");
        long linger = 20;
        AgentRun.Running app = AgentRun.startMain(AgentRun.Agent.UPSTREAM_WITH_EXTENSION, collector.otlpHttpEndpoint(),
            defaults, env, "dev.tokenledger.demo.SteadyChat", simulator.baseUrl(), String.valueOf(rate),
            String.valueOf(seconds), String.valueOf(linger));

        Map<String, Long> countedAt = new HashMap<>();
        List<long[]> accepted = new ArrayList<>(); // {time, accepted log records}
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds + linger + 120);
        long expected = -1;
        while (System.nanoTime() < deadline) {
          long pollStart = System.currentTimeMillis();
          List<String> ids = ledgerIds(engine, db);
          long rollup = count(engine, "SELECT sum(num_model_requests) FROM " + db + ".usage_hourly");
          long now = System.currentTimeMillis();
          if (rollup >= ids.size()) {
            for (String id : ids) {
              countedAt.putIfAbsent(id, now);
            }
          }
          double acc = collector.selfMetric("otelcol_receiver_accepted_log_records");
          if (acc >= 0) {
            accepted.add(new long[] {now, (long) acc});
          }
          if (expected < 0 && app.stdout().contains("CALLS done=")) {
            expected = app.stdout().lines().filter(l -> l.startsWith("RECEIVED ")).count();
          }
          if (expected >= 0 && countedAt.size() >= expected) {
            break;
          }
          if (!app.process().isAlive() && app.process().exitValue() != 0) {
            throw new IllegalStateException("the app failed:\n" + app.stdout() + app.stderr());
          }
          Thread.sleep(Math.max(0, pollMs - (System.currentTimeMillis() - pollStart)));
        }
        app.process().destroy();
        app.process().waitFor(10, TimeUnit.SECONDS);
        front.afterExecute(null);

        List<String[]> received = app.stdout().lines().filter(l -> l.startsWith("RECEIVED "))
            .map(l -> l.split(" ")).toList();
        List<Double> fresh = new ArrayList<>();
        List<Double> toCollector = new ArrayList<>();
        List<Double> toCommit = new ArrayList<>();
        List<Double> toPoll = new ArrayList<>();
        long missing = 0;
        for (int n = 0; n < received.size(); n++) {
          long at = Long.parseLong(received.get(n)[1]);
          String id = received.get(n)[2];
          Long counted = countedAt.get(id);
          if (counted == null) {
            missing++;
            continue;
          }
          fresh.add((counted - at) / 1000.0);
          Long committed = committedAt.get(id);
          Long acceptedAt = firstReaching(accepted, n + 1);
          if (committed != null && acceptedAt != null) {
            toCollector.add((acceptedAt - at) / 1000.0);
            toCommit.add((committed - acceptedAt) / 1000.0);
            toPoll.add((counted - committed) / 1000.0);
          }
        }
        List<Long> gaps = new ArrayList<>();
        for (int i = 1; i < logInserts.size(); i++) {
          gaps.add(logInserts.get(i) - logInserts.get(i - 1));
        }
        double p99 = percentile(fresh, 99);
        System.out.printf(Locale.ROOT, "FRESHNESS-BENCH %d responses at %.1f/s for %d s (agent + extension, SDK export"
                + " defaults; Collector %s; embedded ClickHouse %s); %d counted in usage_hourly, %d never%n",
            received.size(), rate, seconds, production ? "collector-production.yaml" : "collector-local.yaml",
            engine.version(), fresh.size(), missing);
        System.out.printf(Locale.ROOT, "FRESHNESS-BENCH response -> counted in usage_hourly: p50 %.2f s, p99 %.2f s,"
            + " max %.2f s (poll every %d ms); target p99 <= %.0f s: %s%n", percentile(fresh, 50), p99,
            percentile(fresh, 100), pollMs, TARGET_P99_S, missing == 0 && p99 <= TARGET_P99_S ? "met" : "not met");
        System.out.printf(Locale.ROOT, "FRESHNESS-BENCH made of (p50 / p99 / max, %d responses): agent -> Collector"
                + " accepted %s; Collector batch + insert committed (MVs included) %s; commit -> seen by a reader %s%n",
            toCollector.size(), triple(toCollector), triple(toCommit), triple(toPoll));
        System.out.printf(Locale.ROOT, "FRESHNESS-BENCH %d inserts into otel_logs, one every %s (p50 / p99 / max)%n",
            logInserts.size(), triple(gaps.stream().map(g -> g / 1000.0).toList()));
        System.out.printf(Locale.ROOT, "FRESHNESS-BENCH whole run %.0f s%n", (System.nanoTime() - runStart) / 1e9);
      }
    } finally {
      engine.close();
    }
  }

  private static List<String> ledgerIds(EmbeddedClickHouse engine, String db) {
    String text = engine.query("SELECT request_id FROM " + db + ".usage_records").strip();
    return text.isEmpty() ? List.of() : Arrays.asList(text.split("\n"));
  }

  private static long count(EmbeddedClickHouse engine, String sql) {
    String v = engine.query(sql).strip();
    return v.isEmpty() || v.equals("\\N") ? 0 : Long.parseLong(v);
  }

  /** The first poll time at which the counter had reached {@code n}. */
  private static Long firstReaching(List<long[]> samples, long n) {
    for (long[] s : samples) {
      if (s[1] >= n) {
        return s[0];
      }
    }
    return null;
  }

  private static String triple(List<Double> values) {
    if (values.isEmpty()) {
      return "n/a";
    }
    return String.format(Locale.ROOT, "%.2f / %.2f / %.2f s", percentile(values, 50), percentile(values, 99),
        percentile(values, 100));
  }

  private static double percentile(List<Double> values, double p) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    List<Double> sorted = new ArrayList<>(values);
    java.util.Collections.sort(sorted);
    int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
  }
}
