package dev.tokenledger.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tokenledger.clickhouse.UsageFixture.Record;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A retried Collector batch — the same block inserted again with the same settings — is counted
 * once in otel_logs, usage_events and usage_hourly (insert de-duplication on every table of the
 * materialized-view chain, docs/clickhouse.md#de-duplication).
 */
class DeduplicationTest {

  /** A fresh database for each test. */
  @RegisterExtension
  final MigratedDatabase ch = new MigratedDatabase("tl_dedup");

  List<Record> batch;

  @BeforeEach
  void setUp() {
    batch = UsageFixture.records(11, 40, Instant.parse("2026-11-24T10:00:00Z"), 7200);
    for (Record r : batch) {
      r.eventName = "tokenledger.usage";
    }
  }

  @Test
  void theSameBatchInsertedTwiceWithTheWritersSettingsIsCountedOnce() throws Exception {
    try (Connection c = ch.connect()) {
      // The writer profile's settings: synchronous insert, de-duplication through the views.
      String settings = "async_insert = 0, insert_deduplicate = 1, deduplicate_blocks_in_dependent_materialized_views = 1";
      ClickHouseTarget.exec(c, UsageFixture.insertSql(ch.db(), batch, settings));
      // A retry comes later: the views' now() (usage_events.ingested_at) then differs from the first
      // attempt's, which must not make the views' blocks look new.
      Thread.sleep(1100);
      ClickHouseTarget.exec(c, UsageFixture.insertSql(ch.db(), batch, settings)); // the retry
      assertCountedOnce(c);
    }
  }

  @Test
  void theSameBatchWithTheSameDeduplicationTokenIsCountedOnce() throws Exception {
    try (Connection c = ch.connect()) {
      String settings = "async_insert = 0, insert_deduplication_token = 'batch-0001'";
      ClickHouseTarget.exec(c, UsageFixture.insertSql(ch.db(), batch, settings));
      ClickHouseTarget.exec(c, UsageFixture.insertSql(ch.db(), batch, settings));
      assertCountedOnce(c);
      // Control: a different token is a different batch, so its blocks are stored — block
      // de-duplication is what kept the retry out, not something else. The ledger still counts each
      // record once (record-level, migration 016); the rollup counts the copies until corrected (017).
      ClickHouseTarget.exec(c, UsageFixture.insertSql(ch.db(), batch,
          "async_insert = 0, insert_deduplication_token = 'batch-0002'"));
      assertEquals(String.valueOf(2 * batch.size()),
          ClickHouseTarget.scalar(c, "SELECT count() FROM " + ch.q() + ".otel_logs"));
      assertEquals(String.valueOf(2 * batch.size()),
          ClickHouseTarget.scalar(c, "SELECT sum(num_model_requests) FROM " + ch.q() + ".usage_hourly"));
      assertEquals(String.valueOf(batch.size()),
          ClickHouseTarget.scalar(c, "SELECT count() FROM " + ch.q() + ".usage_events"));
    }
  }

  @Test
  void theExportersNativeInsertRetriedOverHttpIsCountedOnce() throws Exception {
    Http http = new Http(ch.target());
    // Build the exporter's block: the rows as one plain Native block with otel_logs' column types.
    try (Connection c = ch.connect()) {
      ClickHouseTarget.exec(c, "CREATE TABLE " + ch.q() + ".staging AS " + ch.q() + ".otel_logs ENGINE = Memory");
      ClickHouseTarget.exec(c, UsageFixture.insertSql(ch.db(), batch, null)
          .replace(ch.q() + ".otel_logs", ch.q() + ".staging"));
    }
    HttpResponse<byte[]> block = http.get("/", Http.params("query", "SELECT " + UsageFixture.LOG_COLUMNS + " FROM "
        + ch.q() + ".staging ORDER BY Timestamp FORMAT Native"));
    assertEquals(200, block.statusCode(), Http.text(block));
    String insert = "INSERT INTO " + ch.q() + ".\"otel_logs\" (" + UsageFixture.LOG_COLUMNS + ") FORMAT Native";
    for (int attempt = 0; attempt < 2; attempt++) {
      HttpResponse<byte[]> r = http.post(Http.params("query", insert, "async_insert", "0", "database", ch.db()),
          block.body(), "Content-Type", "application/octet-stream");
      assertEquals(200, r.statusCode(), Http.text(r));
    }
    try (Connection c = ch.connect()) {
      assertCountedOnce(c);
    }
  }

  private void assertCountedOnce(Connection c) throws Exception {
    String n = String.valueOf(batch.size());
    assertEquals(n, ClickHouseTarget.scalar(c, "SELECT count() FROM " + ch.q() + ".otel_logs"), "otel_logs");
    assertEquals(n, ClickHouseTarget.scalar(c, "SELECT count() FROM " + ch.q() + ".usage_events"), "usage_events");
    assertEquals(n, ClickHouseTarget.scalar(c, "SELECT sum(num_model_requests) FROM " + ch.q() + ".usage_hourly"),
        "usage_hourly");
    long input = batch.stream().mapToLong(r -> r.token("input_tokens")).sum();
    assertEquals(String.valueOf(input),
        ClickHouseTarget.scalar(c, "SELECT sum(input_tokens) FROM " + ch.q() + ".usage_hourly"));
  }
}
