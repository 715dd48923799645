package dev.tokenledger.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.clickhouse.ClickHouseHttpFront;
import dev.tokenledger.clickhouse.EmbeddedClickHouse;
import dev.tokenledger.clickhouse.Migrations;
import dev.tokenledger.clickhouse.SqlText;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A poison row does not hold its batch: ClickHouse refuses one record for its content (here a CHECK
 * constraint added to this test's otel_logs, answered with code 469 VIOLATED_CONSTRAINT, as a
 * value ClickHouse cannot store would be), next to good records of the same request and of another
 * application's request that the exporter's batcher merges into the same insert. With the production
 * configuration (retries for 24 h, first retry after 2 s), the good records must be in ClickHouse
 * within seconds, exactly once each, and the poison record counted as a permanent send failure
 * under the exporter id clickhouse/refused — not retried, not silently gone.
 */
class CollectorPoisonIT {

  static final long PROMPTLY_MILLIS = TimeUnit.SECONDS.toMillis(20);

  @Test
  void goodRowsArrivePromptlyAndThePoisonRowIsCountedAsRefused() throws Exception {
    Path out = Path.of(System.getProperty("tokenledger.it.dir", "target/it")).toAbsolutePath().getParent()
        .resolve("collector-poison-it");
    Files.createDirectories(out);
    Path queue = Files.createTempDirectory("tokenledger-queue-");
    String db = "tl_poison_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    ClickHouseHttpFront front = ClickHouseHttpFront.start(EmbeddedClickHouse.shared());
    Collector collector = null;
    try {
      try (var c = Migrations.connect(front.url(), front.user(), front.password())) {
        new Migrations(Migrations.loadDefault(), new Migrations.Options().database(db).skipAccessControl(true).log(null))
            .apply(c);
      }
      String q = SqlText.quoteIdentifier(db);
      ClickHouseRows.execute(front, "ALTER TABLE " + q + ".otel_logs ADD CONSTRAINT test_refuses_poison CHECK "
          + "LogAttributes['test.poison'] != 'yes'");

      Path binary = Collector.build(out.resolve("collector-build.log"));
      // The batcher's flush interval (5 s in production) is kept: both requests below land in one insert.
      collector = Collector.startProduction(binary, front.url(), front.user(), front.password(), db, queue, out.resolve("collector.log"),
          TimeUnit.SECONDS.toMillis(30));
      final Collector running = collector;

      List<String> good = new ArrayList<>();
      List<Map<String, String>> appA = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        if (i == 17) {
          appA.add(Map.of(OtlpPost.RECORD_ID, "poison", "test.poison", "yes"));
        }
        appA.add(Map.of(OtlpPost.RECORD_ID, "a-" + i));
        good.add("a-" + i);
      }
      List<Map<String, String>> appB = new ArrayList<>();
      for (int i = 0; i < 25; i++) {
        appB.add(Map.of(OtlpPost.RECORD_ID, "b-" + i));
        good.add("b-" + i);
      }
      long sent = System.nanoTime();
      OtlpPost.Answer a = OtlpPost.post(collector, OtlpPost.logs("app-a", appA), Duration.ofSeconds(10));
      OtlpPost.Answer b = OtlpPost.post(collector, OtlpPost.logs("app-b", appB), Duration.ofSeconds(10));
      assertTrue(a.accepted() && b.accepted(), "both requests accepted: " + a + " / " + b);

      String idsSql = "SELECT LogAttributes['" + OtlpPost.RECORD_ID + "'] AS v FROM " + q + ".otel_logs";
      long deadline = sent + TimeUnit.MILLISECONDS.toNanos(PROMPTLY_MILLIS);
      List<String> landed = List.of();
      double refused = -1;
      while (System.nanoTime() < deadline) {
        landed = ClickHouseRows.list(front, idsSql);
        refused = collector.selfMetric("otelcol_exporter_send_failed_log_records", "exporter=\"clickhouse/refused\"");
        if (landed.size() >= good.size() && refused >= 1) {
          break;
        }
        Thread.sleep(250);
      }
      long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
      System.err.printf("[CollectorPoisonIT] %d of %d good rows in ClickHouse after %d ms; refused counted: %s%n",
          landed.size(), good.size(), tookMillis, refused);
      final List<String> landedRows = landed;
      assertEquals(good.stream().sorted().toList(), landed.stream().sorted().toList(),
          () -> "the good rows, each once, within " + PROMPTLY_MILLIS + " ms (Collector log " + running.log() + ")\n"
              + "landed: " + landedRows + "\n" + running.logText());
      assertEquals(1.0, refused, "the poison row counted as a permanent failure under clickhouse/refused");
      assertEquals(1.0, collector.selfMetric("otelcol_exporter_send_failed_log_records",
          "exporter=\"clickhouse/refused\"", "error_permanent=\"true\""), "counted as permanent");
      double otherFailures = collector.selfMetric("otelcol_exporter_send_failed_log_records", "exporter=\"clickhouse\"");
      assertTrue(otherFailures <= 0, () -> "nothing else failed, but " + otherFailures + ":\n" + running.logText());

      // The queue is empty again: nothing left retrying.
      long drained = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      double size = -1;
      while (System.nanoTime() < drained) {
        size = collector.selfMetric("otelcol_exporter_queue_size", "exporter=\"clickhouse\"", "data_type=\"logs\"");
        if (size == 0) {
          break;
        }
        Thread.sleep(250);
      }
      assertEquals(0.0, size, "the logs queue is empty once the batch is settled");
      String log = collector.logText();
      assertTrue(log.contains("ClickHouse refused rows for their content"), "the refusal is logged:\n" + log);
      assertTrue(log.contains("VIOLATED_CONSTRAINT") || log.contains("Code: 469"), "with ClickHouse's answer:\n" + log);
      assertEquals(List.of(), ClickHouseRows.list(front, idsSql + " WHERE LogAttributes['test.poison'] = 'yes'"));
    } finally {
      if (collector != null) {
        collector.close();
      }
      front.close();
      Files.walk(queue).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
