package dev.tokenledger.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.sun.net.httpserver.HttpServer;
import dev.tokenledger.clickhouse.ClickHouseHttpFront;
import dev.tokenledger.clickhouse.EmbeddedClickHouse;
import dev.tokenledger.clickhouse.Migrations;
import dev.tokenledger.clickhouse.SqlText;
import dev.tokenledger.clickhouse.queries.QueryLibrary;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A 50,000-line Batch output file downloaded twice bills once (docs/signals.md#batch-output-lines):
 * the demo app, under the one-jar agent, downloads the same output file twice (two runs, as a job run
 * again) through openai-java from a server that serves it as OpenAI would; the agent exports to the
 * real Collector, which writes into ClickHouse (the embedded engine, or {@code CLICKHOUSE_URL}).
 *
 * <p>The application must read exactly the file's bytes both times. The agent must give each line
 * the same record id and the same time on both downloads: otel_logs holds two copies of 50,000 ids,
 * stamped with the lines' own times. And ClickHouse must count each line once: usage_events holds
 * each line once, and the query library's totals equal the file's.
 */
class BatchDownloadedTwiceIT {

  static final int LINES = 50_000;
  static final String FILE_ID = "file-demo-batch-output"; // the demo app's batch-output scenario
  static final String API_KEY = "sk-proj-batchTwice0000000000000000000000000000000";
  static final long FIGURES_DEADLINE_MILLIS = TimeUnit.MINUTES.toMillis(5);
  static final Path OUT_DIR =
      Paths.get(System.getProperty("tokenledger.it.dir", "target/it")).toAbsolutePath().getParent().resolve("batch-twice-it");

  static EmbeddedClickHouse engine;
  static ClickHouseHttpFront front;
  static String clickhouseUrl;
  static String user;
  static String password;
  static boolean realServer;
  static String db;
  static String q;
  static Collector collector;
  static HttpServer files;
  static byte[] file;
  /** The hour the lines say their responses were made in: two hours ago. */
  static Instant linesHour;
  static long inputTokens;
  static long outputTokens;

  @BeforeAll
  static void start() throws Exception {
    Files.createDirectories(OUT_DIR);
    linesHour = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(2, ChronoUnit.HOURS);
    file = outputFile();
    files = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    files.createContext("/v1/files/" + FILE_ID + "/content", exchange -> {
      exchange.getResponseHeaders().add("Content-Type", "application/octet-stream");
      exchange.getResponseHeaders().add("x-request-id", "req_batch_twice");
      exchange.sendResponseHeaders(200, file.length);
      try (OutputStream out = exchange.getResponseBody()) {
        for (int off = 0; off < file.length; off += 16384) {
          out.write(file, off, Math.min(16384, file.length - off));
        }
      }
    });
    files.start();
    startClickHouse();
    Path binary = Collector.build(OUT_DIR.resolve("collector-build.log"));
    collector = Collector.start(binary, clickhouseUrl, user, password, db, OUT_DIR.resolve("collector.log"),
        TimeUnit.SECONDS.toMillis(30));
  }

  @AfterAll
  static void stop() throws Exception {
    if (files != null) {
      files.stop(0);
    }
    if (collector != null) {
      collector.close();
    }
    if (db != null && realServer) {
      exec("DROP DATABASE IF EXISTS " + q + " SYNC");
    }
    if (front != null) {
      front.close();
    }
    if (engine != null) {
      engine.close();
    }
  }

  @Test
  void aFileDownloadedTwiceIsCountedOnce() throws Exception {
    String expectedRead = "sha256=" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(file))
        + " length=" + file.length;
    for (int run = 1; run <= 2; run++) {
      // A queue that holds the whole file: it is read faster than the Collector takes its records.
      AgentRun.Result result = AgentRun.runMain(AgentRun.Agent.ONE_JAR, collector.otlpHttpEndpoint(), false,
          List.of("-Dotel.instrumentation.tokenledger.ledger-queue-size=65536"), Map.of("OPENAI_API_KEY", API_KEY),
          AgentRun.DEMO_APP_MAIN, "--base-url", "http://127.0.0.1:" + files.getAddress().getPort() + "/v1",
          "--clients", "openai-java", "--scenarios", "batch-output");
      Files.writeString(OUT_DIR.resolve("demo-app-" + run + ".out"), result.stdout() + "\n--- stderr ---\n" + result.stderr());
      assertEquals(0, result.exitCode(), result::stderr);
      List<String> lines = result.resultLines();
      assertEquals(1, lines.size(), () -> "one download: " + lines);
      assertTrue(lines.get(0).contains("status=200 " + expectedRead),
          () -> "the application reads exactly the file's bytes: " + lines.get(0) + " vs " + expectedRead);
    }

    // The agent's part: both downloads exported, each line with one id and one time on both.
    Map<String, String> raw = awaitRow("SELECT count() AS copies, uniqExact(LogAttributes['tokenledger.record.id']) AS ids,"
        + " uniqExact(LogAttributes['tokenledger.record.id'], Timestamp) AS id_times,"
        + " toString(min(Timestamp), 'UTC') AS first, toString(max(Timestamp), 'UTC') AS last FROM " + q + ".otel_logs"
        + " WHERE EventName = 'tokenledger.usage'", row -> Long.parseLong(row.get("copies")) >= 2L * LINES);
    String dropped = awaitRow("SELECT toString(sum(Value)) AS n FROM " + q + ".otel_metrics_sum"
        + " WHERE MetricName = 'tokenledger.records.dropped'", row -> true).get("n");
    assertEquals(String.valueOf(2L * LINES), raw.get("copies"), () -> "both downloads' records in otel_logs: " + raw
        + ", dropped in the agents: " + dropped);
    assertEquals(String.valueOf(LINES), raw.get("ids"), () -> "one record id per line on both downloads: " + raw);
    assertEquals(String.valueOf(LINES), raw.get("id_times"), () -> "one time per line on both downloads: " + raw);
    assertTrue(raw.get("first").startsWith(linesHour.toString().substring(0, 13).replace('T', ' ')),
        () -> "stamped with the lines' own times, in " + linesHour + ": " + raw);

    // ClickHouse's part: each line once in the ledger and in every figure.
    QueryLibrary library = QueryLibrary.fromRepository();
    String totals = library.get("totals").render(Map.of(), db);
    Map<String, String> figures = awaitRow("SELECT requests, input_tokens, output_tokens, (SELECT count() FROM " + q
        + ".usage_events) AS ledger_rows FROM (" + totals + ")",
        row -> row.get("requests").equals(String.valueOf(LINES)) && row.get("ledger_rows").equals(String.valueOf(LINES)));
    Map<String, String> expected = new LinkedHashMap<>();
    expected.put("requests", String.valueOf(LINES));
    expected.put("input_tokens", String.valueOf(inputTokens));
    expected.put("output_tokens", String.valueOf(outputTokens));
    expected.put("ledger_rows", String.valueOf(LINES));
    assertEquals(expected, figures, "the library's totals and usage_events after two downloads of " + LINES + " lines");
  }

  /** The output file: line i reports 100 + i % 900 input and 10 + i % 300 output tokens. */
  static byte[] outputFile() {
    StringBuilder out = new StringBuilder(LINES * 700);
    long created = linesHour.getEpochSecond();
    for (int i = 0; i < LINES; i++) {
      long in = 100 + i % 900;
      long outTokens = 10 + i % 300;
      inputTokens += in;
      outputTokens += outTokens;
      out.append("{\"id\":\"batch_req_twice").append(i).append("\",\"custom_id\":\"request-").append(i)
          .append("\",\"response\":{\"status_code\":200,\"request_id\":\"req_twice").append(i)
          .append("\",\"body\":{\"id\":\"chatcmpl-twice").append(i).append("\",\"object\":\"chat.completion\",\"created\":")
          .append(created + i % 1800).append(",\"model\":\"gpt-4.1-mini-2025-04-14\",\"choices\":[{\"index\":0,")
          .append("\"message\":{\"role\":\"assistant\",\"content\":\"Ticket ").append(i)
          .append(" is about a billing question.\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":").append(in)
          .append(",\"completion_tokens\":").append(outTokens).append(",\"total_tokens\":").append(in + outTokens)
          .append(",\"prompt_tokens_details\":{\"cached_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":0}}")
          .append(",\"service_tier\":\"default\",\"system_fingerprint\":\"fp_batch\"}},\"error\":null}\n");
    }
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  private interface Done {
    boolean test(Map<String, String> row);
  }

  /** The query's one row once {@code done} holds, or at the deadline (the assertions then tell what differs). */
  private static Map<String, String> awaitRow(String sql, Done done) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(FIGURES_DEADLINE_MILLIS);
    Map<String, String> row = Map.of();
    while (System.nanoTime() < deadline) {
      if (!collector.isAlive()) {
        fail("the Collector exited; its log:\n" + collector.logText());
      }
      List<Map<String, String>> rows = rows(sql);
      row = rows.isEmpty() ? Map.of() : rows.get(0);
      if (!rows.isEmpty() && done.test(row)) {
        return row;
      }
      Thread.sleep(500);
    }
    return row;
  }

  private static void startClickHouse() throws Exception {
    String url = System.getenv("CLICKHOUSE_URL");
    if (url != null && !url.isBlank()) {
      realServer = true;
      clickhouseUrl = url.replaceFirst("^jdbc:clickhouse:", "").replaceFirst("[?].*$", "");
      user = System.getenv().getOrDefault("CLICKHOUSE_USER", "default");
      password = System.getenv().getOrDefault("CLICKHOUSE_PASSWORD", "");
    } else {
      engine = EmbeddedClickHouse.shared();
      front = ClickHouseHttpFront.start(engine);
      clickhouseUrl = front.url();
      user = front.user();
      password = front.password();
    }
    db = "tl_batch_twice_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    q = SqlText.quoteIdentifier(db);
    try (Connection c = Migrations.connect(clickhouseUrl, user, password)) {
      new Migrations(Migrations.loadDefault(), new Migrations.Options().database(db).skipAccessControl(true).log(null))
          .apply(c);
    }
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
    }
  }
}
