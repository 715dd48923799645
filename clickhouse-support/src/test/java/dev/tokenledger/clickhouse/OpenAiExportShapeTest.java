package dev.tokenledger.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * usage_daily_openai has exactly the columns of OpenAI's completions usage export, in order
 * (docs/token-vocabulary.md#the-usage-export), then input_cache_write_tokens — the same list as the simulator's
 * UsageExport.CSV_COLUMNS — and its rows are UTC day buckets.
 */
class OpenAiExportShapeTest {

  /** The export's columns (docs/token-vocabulary.md#the-usage-export), then input_cache_write_tokens. */
  static final List<String> EXPORT_COLUMNS = List.of("start_time", "end_time", "start_time_iso", "end_time_iso",
      "project_id", "num_model_requests", "user_id", "api_key_id", "model", "batch", "service_tier", "input_tokens",
      "output_tokens", "input_cached_tokens", "input_uncached_tokens", "input_text_tokens", "output_text_tokens",
      "input_cached_text_tokens", "input_audio_tokens", "input_cached_audio_tokens", "output_audio_tokens",
      "input_image_tokens", "input_cached_image_tokens", "output_image_tokens", "input_cache_write_tokens");

  /** The token columns of the export. */
  static final List<String> TOKEN_COLUMNS = EXPORT_COLUMNS.subList(11, EXPORT_COLUMNS.size());

  @RegisterExtension
  static final MigratedDatabase ch = new MigratedDatabase("tl_shape");

  @Test
  void columnsAreTheExportsInOrder() throws Exception {
    try (Connection c = ch.connect()) {
      List<String> names = new ArrayList<>();
      for (List<String> row : ClickHouseTarget.rows(c, "SELECT name FROM system.columns WHERE database = '" + ch.db()
          + "' AND table = 'usage_daily_openai' ORDER BY position")) {
        names.add(row.get(0));
      }
      assertEquals(EXPORT_COLUMNS, names);
      // Same through the result set metadata of a SELECT *.
      try (var st = c.createStatement(); var rs = st.executeQuery("SELECT * FROM " + ch.q()
          + ".usage_daily_openai LIMIT 0")) {
        List<String> meta = new ArrayList<>();
        for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
          meta.add(rs.getMetaData().getColumnName(i));
        }
        assertEquals(EXPORT_COLUMNS, meta);
      }
    }
  }

  @Test
  void dayBucketsAreUtcWithUnixAndIsoBounds() throws Exception {
    try (Connection c = ch.connect()) {
      // 23:59:59.999 UTC and 00:00:00 UTC fall into different buckets whatever the server's time zone.
      List<UsageFixture.Record> recs = UsageFixture.records(7, 2, java.time.Instant.parse("2026-03-01T00:00:00Z"), 1);
      recs.get(0).time = java.time.Instant.parse("2026-02-28T23:59:59.999Z");
      recs.get(1).time = java.time.Instant.parse("2026-03-01T00:00:00Z");
      for (UsageFixture.Record r : recs) {
        r.api = "chat.completions";
        r.eventName = "tokenledger.usage";
      }
      ClickHouseTarget.exec(c, UsageFixture.insertSql(ch.db(), recs, null));
      List<List<String>> rows = ClickHouseTarget.rows(c, "SELECT start_time, end_time, start_time_iso, end_time_iso,"
          + " sum(num_model_requests) FROM " + ch.q() + ".usage_daily_openai GROUP BY ALL ORDER BY 1");
      assertEquals(List.of(
          List.of("1772236800", "1772323200", "2026-02-28T00:00:00Z", "2026-03-01T00:00:00Z", "1"),
          List.of("1772323200", "1772409600", "2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z", "1")), rows);
    }
  }
}
