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
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Nobody forges ledger rows: the production configuration's OTLP receivers speak TLS only and require
 * the bearer token. The real Collector runs collector-production.yaml with a certificate and a token
 * made for this run; then
 * <ul>
 *   <li>the demo app under the agent, configured as the README says (token through
 *       {@code OTEL_EXPORTER_OTLP_HEADERS}, the certificate through
 *       {@code OTEL_EXPORTER_OTLP_CERTIFICATE}), lands every billable response in the ledger;</li>
 *   <li>requests without a token, with a wrong token or another scheme are answered 401, and
 *       plaintext HTTP with the right token is refused; none of their records reaches ClickHouse,
 *       while a record sent with the token after them does.</li>
 * </ul>
 */
class CollectorAuthIT {

  @Test
  void onlyTheTokenOverTlsGetsIn() throws Exception {
    Path out = Path.of(System.getProperty("tokenledger.it.dir", "target/it")).toAbsolutePath().getParent()
        .resolve("collector-auth-it");
    Files.createDirectories(out);
    Path queue = Files.createTempDirectory("tokenledger-queue-");
    String db = "tl_auth_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    ClickHouseHttpFront front = ClickHouseHttpFront.start(EmbeddedClickHouse.shared());
    Collector collector = null;
    try (OpenAiSimulator simulator = OpenAiSimulator.start(0)) {
      try (var c = Migrations.connect(front.url(), front.user(), front.password())) {
        new Migrations(Migrations.loadDefault(), new Migrations.Options().database(db).skipAccessControl(true).log(null))
            .apply(c);
      }
      Path binary = Collector.build(out.resolve("collector-build.log"));
      collector = Collector.startProduction(binary, front.url(), front.user(), front.password(), db, queue, out.resolve("collector.log"),
          TimeUnit.SECONDS.toMillis(30), "exporters::clickhouse::retry_on_failure::max_interval=5s");
      String q = SqlText.quoteIdentifier(db);

      // Forgeries first: with a token that is not the Collector's, without one, with the token under
      // another scheme, and in plaintext to the TLS port with the right token.
      Map<String, OtlpPost.Answer> forged = new LinkedHashMap<>();
      String https = collector.otlpHttpEndpoint();
      forged.put("no-token", OtlpPost.post(collector, https, record("no-token"), null, Duration.ofSeconds(10)));
      forged.put("wrong-token", OtlpPost.post(collector, https, record("wrong-token"),
          "Bearer " + TlsMaterial.randomToken(), Duration.ofSeconds(10)));
      forged.put("other-scheme", OtlpPost.post(collector, https, record("other-scheme"),
          "Basic " + collector.token, Duration.ofSeconds(10)));
      forged.put("token-without-scheme", OtlpPost.post(collector, https, record("token-without-scheme"),
          collector.token, Duration.ofSeconds(10)));
      String plaintext = plaintextStatusLine(collector.otlpHttpPort, record("plaintext"), "Bearer " + collector.token);
      forged.forEach((name, answer) -> assertEquals(401, answer.status(), name + ": " + answer));
      assertTrue(plaintext.startsWith("HTTP/1.0 400"),
          "Go's TLS server answers a plaintext request 400 and closes: " + plaintext);

      // The agent, configured as a user would, through the environment.
      Map<String, String> env = new LinkedHashMap<>(collector.agentEnvironment());
      env.put("OPENAI_API_KEY", HttpUsageIT.API_KEY);
      AgentRun.Result run = AgentRun.runMain(AgentRun.Agent.ONE_JAR, collector.otlpHttpEndpoint(), false, List.of(), env,
          AgentRun.DEMO_APP_MAIN, "--base-url", simulator.baseUrl(), "--project", "proj_tokenledger_auth");
      Files.writeString(out.resolve("demo-app.out"), run.stdout() + "\n--- stderr ---\n" + run.stderr());
      assertEquals(0, run.exitCode(), () -> "demo app failed:\n" + run.stdout() + run.stderr());
      List<GroundTruth> billable = simulator.groundTruth().stream()
          .filter(t -> t.host().equals("127.0.0.1") && !t.usageSource().equals("none"))
          .toList();
      assertFalse(billable.isEmpty(), "the simulator recorded no billable responses");

      // One more record with the token, after the forgeries: once it is in, so would they be.
      OtlpPost.Answer good = OtlpPost.post(collector, record("with-token"), Duration.ofSeconds(10));
      assertTrue(good.accepted(), "the right token over TLS: " + good);

      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      long ledger = 0;
      Set<String> ids = Set.of();
      while (System.nanoTime() < deadline) {
        ledger = ClickHouseRows.count(front, "SELECT count() AS n FROM " + q + ".usage_events");
        ids = ClickHouseRows.strings(front, "SELECT LogAttributes['" + OtlpPost.RECORD_ID + "'] AS v FROM " + q
            + ".otel_logs WHERE mapContains(LogAttributes, '" + OtlpPost.RECORD_ID + "')");
        if (ledger >= billable.size() && ids.contains("with-token")) {
          break;
        }
        Thread.sleep(300);
      }
      final Collector running = collector;
      assertEquals(billable.size(), ledger, () -> "ledger rows from the agent that presented the token over TLS"
          + " (Collector log " + running.log() + ")");
      assertEquals(Set.of("with-token"), ids, "test records in otel_logs: only the one sent with the token");
      // Errors in the Collector's log other than the plaintext request's failed handshake: none.
      List<String> errors = collector.logText().lines()
          .filter(l -> l.contains("\"level\":\"error\"") && !l.contains("TLS handshake error"))
          .toList();
      assertEquals(List.of(), errors, "the Collector logged errors");
    } finally {
      if (collector != null) {
        collector.close();
      }
      front.close();
      Files.walk(queue).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /**
   * The status line a plaintext HTTP/1.1 POST gets from the TLS port (read from a raw socket: the
   * JDK client may refuse the HTTP/1.0 answer before showing it).
   */
  private static String plaintextStatusLine(int port, byte[] body, String authorization) throws Exception {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(("POST /v1/logs HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Type: application/x-protobuf\r\n"
          + "Authorization: " + authorization + "\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.write(body);
      out.flush();
      String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
      int end = answer.indexOf("\r\n");
      return end < 0 ? answer : answer.substring(0, end);
    }
  }

  private static byte[] record(String id) {
    return OtlpPost.logs("forger", List.of(Map.of(OtlpPost.RECORD_ID, id)));
  }
}
