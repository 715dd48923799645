package dev.tokenledger.it;

import dev.tokenledger.clickhouse.ClickHouseHttpFront;
import dev.tokenledger.clickhouse.EmbeddedClickHouse;
import dev.tokenledger.clickhouse.Migrations;
import dev.tokenledger.simulator.GroundTruth;
import dev.tokenledger.simulator.OpenAiSimulator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The README's first command, the whole pipeline: the demo app under the one-jar agent calls the
 * OpenAI simulator (or real OpenAI when {@code OPENAI_API_KEY} is set) through every client; the
 * agent exports to the locally built Collector, which writes into ClickHouse (the embedded engine, or
 * the server at {@code CLICKHOUSE_URL}); the usage summary is read from {@code usage_hourly} and,
 * with the simulator, set beside what the simulator knows it sent.
 */
public final class Demo {

  private static final String[] COLUMNS = {"num_model_requests", "input_tokens", "input_cached_tokens", "output_tokens"};

  public static void main(String[] args) throws Exception {
    String realKey = System.getenv("OPENAI_API_KEY");
    String serverUrl = System.getenv("CLICKHOUSE_URL");
    Path work = Paths.get(System.getProperty("tokenledger.it.dir", "target/it")).toAbsolutePath().getParent().resolve("demo");
    Files.createDirectories(work);

    EmbeddedClickHouse engine = null;
    ClickHouseHttpFront front = null;
    Collector collector = null;
    OpenAiSimulator simulator = null;
    try {
      String url;
      String user;
      String password;
      if (serverUrl != null && !serverUrl.isBlank()) {
        url = serverUrl;
        user = envOr("CLICKHOUSE_USER", "default");
        password = envOr("CLICKHOUSE_PASSWORD", "");
        System.out.println("ClickHouse: " + url);
      } else {
        engine = EmbeddedClickHouse.shared();
        front = ClickHouseHttpFront.start(engine);
        url = front.url();
        // The front's random credential of this run, handed to the Collector below.
        user = front.user();
        password = front.password();
        System.out.println("ClickHouse: the embedded engine " + engine.version() + " at " + url);
      }
      try (Connection connection = Migrations.connect(url, user, password)) {
        // Users and grants are an administrator's step with their own passwords (see the migration
        // runner); the embedded engine has no access storage at all.
        new Migrations(Migrations.loadDefault(), new Migrations.Options().skipAccessControl(true))
            .apply(connection);
      }

      System.out.println("Collector: building (cached after the first time)…");
      Path binary = Collector.build(work.resolve("collector-build.log"));
      collector = Collector.start(binary, url, user, password, "tokenledger", work.resolve("collector.log"),
          TimeUnit.SECONDS.toMillis(30));
      System.out.println("Collector: OTLP at " + collector.otlpHttpEndpoint());

      List<String> jvmArgs = new ArrayList<>();
      List<String> appArgs = new ArrayList<>();
      if (realKey == null) {
        simulator = OpenAiSimulator.start(0);
        appArgs.addAll(List.of("--base-url", simulator.baseUrl()));
      } else {
        // Real OpenAI: a few cheap calls through the official SDK.
        jvmArgs.add("-Dotel.instrumentation.tokenledger.hosts=api.openai.com");
        appArgs.addAll(List.of("--base-url", "https://api.openai.com/v1", "--clients", "openai-java",
            "--scenarios", "chat,chat-stream-usage,responses,embeddings"));
      }
      System.out.println("Demo app: running under the TokenLedger agent (" + (realKey == null ? "OpenAI simulator" : "real OpenAI") + ")…");
      AgentRun.Result run =
          AgentRun.run(AgentRun.Agent.ONE_JAR, collector.otlpHttpEndpoint(), false, jvmArgs,
              realKey != null ? realKey : "sk-proj-demo-key-for-the-simulator", appArgs.toArray(new String[0]));
      if (run.exitCode() != 0) {
        System.err.println(run.stdout() + run.stderr());
        throw new IllegalStateException("the demo app failed (exit " + run.exitCode() + ")");
      }
      System.out.println("Demo app: " + run.resultLines().size() + " calls made.");
      if (simulator != null) {
        // Voice sessions over the Realtime API, through the same WebSocket clients as PipelineIT.
        int connections = 0;
        for (List<String> clients : PipelineIT.REALTIME_RUNS) {
          List<String> realtimeArgs = new ArrayList<>(List.of("--ws-url", simulator.realtimeUri()));
          realtimeArgs.addAll(clients);
          AgentRun.Result realtime =
              AgentRun.runMain(AgentRun.Agent.ONE_JAR, collector.otlpHttpEndpoint(), false, jvmArgs,
                  Map.of("OPENAI_API_KEY", "sk-proj-demo-key-for-the-simulator"), AgentRun.REALTIME_DEMO_MAIN,
                  realtimeArgs.toArray(new String[0]));
          if (realtime.exitCode() != 0) {
            System.err.println(realtime.stdout() + realtime.stderr());
            throw new IllegalStateException("the Realtime demo failed (exit " + realtime.exitCode() + ")");
          }
          connections += realtime.resultLines().size();
        }
        simulator.awaitRealtimeIdle(connections, java.time.Duration.ofSeconds(10));
        System.out.println("Demo app: " + connections + " Realtime connections played.");
      }

      Map<String, long[]> sent = new TreeMap<>();
      if (simulator != null) {
        for (GroundTruth t : simulator.groundTruth()) {
          if (t.host().equals("127.0.0.1") && !t.usageSource().equals("none")) {
            long[] row = sent.computeIfAbsent(t.api() + " (" + t.usageSource() + ")", k -> new long[COLUMNS.length]);
            row[0]++;
            for (int i = 1; i < COLUMNS.length; i++) {
              row[i] += t.token(COLUMNS[i]);
            }
          }
        }
      }
      long expectedRequests = simulator != null ? sent.values().stream().mapToLong(r -> r[0]).sum() : 1;
      Map<String, long[]> recorded = awaitHourlyRows(url, user, password, expectedRequests, collector);
      print(recorded, sent, simulator != null);
    } finally {
      if (simulator != null) {
        simulator.close();
      }
      if (collector != null) {
        collector.close();
      }
      if (front != null) {
        front.close();
      }
      if (engine != null) {
        engine.close();
      }
    }
  }

  /** Polls usage_hourly until it holds the expected requests (or 60 s pass), then reads it per API. */
  private static Map<String, long[]> awaitHourlyRows(
      String url, String user, String password, long expectedRequests, Collector collector) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    Map<String, long[]> rows = new TreeMap<>();
    while (System.nanoTime() < deadline) {
      rows = new TreeMap<>();
      try (Connection c = Migrations.connect(url, user, password);
          Statement s = c.createStatement();
          ResultSet r =
              s.executeQuery(
                  "SELECT api, usage_source, sum(num_model_requests), sum(input_tokens), sum(input_cached_tokens),"
                      + " sum(output_tokens) FROM tokenledger.usage_hourly GROUP BY api, usage_source")) {
        while (r.next()) {
          long[] row = new long[COLUMNS.length];
          for (int i = 0; i < COLUMNS.length; i++) {
            row[i] = r.getLong(3 + i);
          }
          rows.put(r.getString(1) + " (" + r.getString(2) + ")", row);
        }
      }
      long requests = rows.values().stream().mapToLong(row -> row[0]).sum();
      if (requests >= expectedRequests || !collector.isAlive()) {
        break;
      }
      Thread.sleep(250);
    }
    return rows;
  }

  private static void print(Map<String, long[]> recorded, Map<String, long[]> sent, boolean withTruth) {
    System.out.println("\nFrom tokenledger.usage_hourly:\n");
    System.out.printf("%-36s %9s %13s %13s %13s%s%n", "api (usage source)", "requests", "input", "cached", "output",
        withTruth ? "   difference vs simulator" : "");
    long differences = 0;
    TreeMap<String, long[]> all = new TreeMap<>(recorded);
    sent.keySet().forEach(k -> all.putIfAbsent(k, new long[COLUMNS.length]));
    for (Map.Entry<String, long[]> row : all.entrySet()) {
      long[] r = row.getValue();
      String diff = "";
      if (withTruth) {
        long[] s = sent.getOrDefault(row.getKey(), new long[COLUMNS.length]);
        long d = 0;
        for (int i = 0; i < r.length; i++) {
          d += Math.abs(r[i] - s[i]);
        }
        differences += d;
        diff = "   " + d;
      }
      System.out.printf("%-36s %9d %13d %13d %13d%s%n", row.getKey(), r[0], r[1], r[2], r[3], diff);
    }
    if (withTruth) {
      System.out.println(differences == 0
          ? "\nEvery response's usage reached ClickHouse exactly."
          : "\nDIFFERENCES FOUND: " + differences);
    }
  }

  private static String envOr(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? fallback : value;
  }

  private Demo() {}
}
