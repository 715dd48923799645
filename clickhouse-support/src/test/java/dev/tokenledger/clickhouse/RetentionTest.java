package dev.tokenledger.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.clickhouse.UsageFixture.Record;
import java.sql.Connection;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Retention: raw tables 30 days, ledger 400 days, rollups kept. Because the ledger and the rollup are
 * filled at insert time, they are complete before any raw row can expire: expiring raw data (and
 * ledger data) leaves the rollup's totals unchanged.
 */
class RetentionTest {

  @RegisterExtension
  static final MigratedDatabase ch = new MigratedDatabase("tl_ttl");

  @Test
  void ttlsAreAsDesigned() throws Exception {
    try (Connection c = ch.connect()) {
      for (String raw : List.of("otel_logs", "otel_traces", "otel_metrics_sum", "otel_metrics_gauge",
          "otel_metrics_histogram", "otel_metrics_exponential_histogram", "otel_metrics_summary")) {
        String engine = engineFull(c, raw);
        assertTrue(engine.contains("toIntervalDay(30)"), raw + ": " + engine);
        assertTrue(engine.contains("non_replicated_deduplication_window = 1000"), raw + ": " + engine);
      }
      assertTrue(engineFull(c, "usage_records").contains("toIntervalDay(400)"));
      assertFalse(engineFull(c, "usage_hourly").contains("TTL"), "rollups are kept");
      assertTrue(engineFull(c, "usage_hourly").contains("non_replicated_deduplication_window = 1000"));
    }
  }

  @Test
  void rollupsOutliveTheRawDataTheyCameFrom() throws Exception {
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    List<Record> recs = UsageFixture.records(5, 3, now, 1);
    recs.get(0).time = now.minus(1, ChronoUnit.DAYS);     // everywhere
    recs.get(1).time = now.minus(45, ChronoUnit.DAYS);    // past the raw TTL
    recs.get(2).time = now.minus(500, ChronoUnit.DAYS);   // past the ledger TTL too
    long total = 0;
    for (Record r : recs) {
      r.eventName = "tokenledger.usage";
      r.source = "reported";
      r.tokens.put("input_tokens", 1000L + total);
      total += r.token("input_tokens");
    }
    try (Connection c = ch.connect()) {
      for (Record r : recs) {
        ClickHouseTarget.exec(c, UsageFixture.insertSql(ch.db(), List.of(r), "async_insert = 0"));
      }
      String hourly = "SELECT sum(num_model_requests), sum(input_tokens) FROM " + ch.q() + ".usage_hourly";
      assertEquals(List.of("3", String.valueOf(total)), ClickHouseTarget.rows(c, hourly).get(0));

      // Expire now: what the background TTL merges would do eventually.
      for (String t : List.of("otel_logs", "usage_records")) { // usage_events is a view of usage_records
        ClickHouseTarget.exec(c, "ALTER TABLE " + ch.q() + "." + t + " MATERIALIZE TTL SETTINGS mutations_sync = 2");
        ClickHouseTarget.exec(c, "OPTIMIZE TABLE " + ch.q() + "." + t + " FINAL");
      }
      ClickHouseTarget.exec(c, "OPTIMIZE TABLE " + ch.q() + ".usage_hourly FINAL");
      assertEquals("1", ClickHouseTarget.scalar(c, "SELECT count() FROM " + ch.q() + ".otel_logs"), "raw: 30 days");
      assertEquals("2", ClickHouseTarget.scalar(c, "SELECT count() FROM " + ch.q() + ".usage_events"),
          "ledger: 400 days");
      assertEquals(List.of("3", String.valueOf(total)), ClickHouseTarget.rows(c, hourly).get(0), "rollup: complete");
    }
  }

  private static String engineFull(Connection c, String table) throws Exception {
    return ClickHouseTarget.scalar(c, "SELECT engine_full FROM system.tables WHERE database = '" + ch.db()
        + "' AND name = '" + table + "'");
  }
}
