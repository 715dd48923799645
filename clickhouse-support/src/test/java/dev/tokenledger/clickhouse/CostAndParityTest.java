package dev.tokenledger.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.tokenledger.clickhouse.UsageFixture.Record;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Cost computed at query time from effective-dated prices (model family, tier, batch), and the
 * parity report against an imported OpenAI export; mapping and import rows go in through
 * clickhouse-jdbc prepared batches.
 */
class CostAndParityTest {

  @RegisterExtension
  static final MigratedDatabase ch = new MigratedDatabase("tl_cost");

  @BeforeAll
  static void seed() throws Exception {
    List<Record> recs = new ArrayList<>();
    recs.add(rec("2026-11-24T10:00:00Z", "chat.completions", "gpt-4o-2024-08-06", "default", false,
        Map.of("input_text_tokens", 1000L, "input_cached_text_tokens", 500L, "output_text_tokens", 200L)));
    recs.add(rec("2026-11-24T11:00:00Z", "batch.output", "gpt-4o-2024-08-06", "default", true,
        Map.of("input_text_tokens", 1000L, "input_cached_text_tokens", 500L, "output_text_tokens", 200L)));
    recs.add(rec("2026-11-24T12:00:00Z", "responses", "gpt-5", "flex", false,
        Map.of("input_text_tokens", 1000000L, "output_text_tokens", 100000L)));
    recs.add(rec("2026-11-24T13:00:00Z", "chat.completions", "my-finetune", "default", false,
        Map.of("input_text_tokens", 1500L, "output_text_tokens", 200L)));
    Record whisper = rec("2026-11-24T14:00:00Z", "audio.transcriptions", "whisper-1", null, false, Map.of());
    whisper.audioSeconds = 90;
    recs.add(whisper);
    recs.add(rec("2026-11-25T10:00:00Z", "chat.completions", "gpt-4o-2024-08-06", "auto", false,
        Map.of("input_text_tokens", 1000L)));
    try (Connection c = ch.connect()) {
      ClickHouseTarget.exec(c, UsageFixture.insertSql(ch.db(), recs, "async_insert = 0"));
      // A price change from 2026-11-25 on: usage before keeps the old rate.
      ClickHouseTarget.exec(c, "INSERT INTO " + ch.q() + ".model_prices (model, service_tier, batch, valid_from,"
          + " input_text_per_mtok, input_cached_text_per_mtok, input_cache_write_per_mtok, output_text_per_mtok)"
          + " VALUES ('gpt-4o', 'default', false, '2026-11-25', 3.00, 1.50, 0, 12.00)");
    }
  }

  private static Record rec(String time, String api, String model, String tier, boolean batch, Map<String, Long> t) {
    Record r = UsageFixture.records(1, 1, Instant.parse(time), 1).get(0);
    r.time = Instant.parse(time);
    r.eventName = "tokenledger.usage";
    r.api = api;
    r.model = model;
    r.requestModel = model;
    r.tier = tier;
    r.batch = batch;
    r.project = "proj_a";
    r.fingerprint = "sk-proj-…Ax1";
    r.source = "reported";
    r.status = "ok";
    r.audioSeconds = 0;
    r.inputCharacters = 0;
    r.tokens.clear();
    for (String f : UsageFixture.TOKEN_FIELDS) {
      r.tokens.put(f, t.getOrDefault(f, 0L));
    }
    long uncached = r.token("input_text_tokens");
    long cached = r.token("input_cached_text_tokens");
    r.tokens.put("input_uncached_tokens", uncached);
    r.tokens.put("input_cached_tokens", cached);
    r.tokens.put("input_tokens", uncached + cached);
    r.tokens.put("output_tokens", r.token("output_text_tokens"));
    return r;
  }

  @Test
  void costFollowsModelFamilyTierBatchAndEffectiveDate() throws Exception {
    try (Connection c = ch.connect()) {
      Map<String, List<String>> byHour = new java.util.TreeMap<>();
      for (List<String> row : ClickHouseTarget.rows(c, "SELECT toString(hour), price_model, price_tier,"
          + " toString(price_valid_from), toString(cost_usd), toString(unpriced_tokens) FROM " + ch.q()
          + ".usage_cost_hourly")) {
        byHour.put(row.get(0), row.subList(1, row.size()));
      }
      // gpt-4o standard: 1000 x 2.50 + 500 x 1.25 + 200 x 10.00 per 1M = 0.005125 USD.
      assertCost("0.005125", byHour.get("2026-11-24 10:00:00"));
      assertEquals(List.of("gpt-4o", "default", "1970-01-01"), byHour.get("2026-11-24 10:00:00").subList(0, 3));
      // Batch: half.
      assertCost("0.0025625", byHour.get("2026-11-24 11:00:00"));
      // gpt-5 flex: half of 1M x 1.25 + 100k x 10.00 = 0.625 + 0.5.
      assertCost("1.125", byHour.get("2026-11-24 12:00:00"));
      // Unknown model: no cost, its tokens counted as unpriced.
      assertNull(byHour.get("2026-11-24 13:00:00").get(3));
      assertEquals("1700", byHour.get("2026-11-24 13:00:00").get(4));
      // Duration-billed: 1.5 min x 0.006.
      assertCost("0.009", byHour.get("2026-11-24 14:00:00"));
      // 'auto' is the standard list; the new price applies from its valid_from: 1000 x 3.00.
      assertEquals(List.of("gpt-4o", "default", "2026-11-25"), byHour.get("2026-11-25 10:00:00").subList(0, 3));
      assertCost("0.003", byHour.get("2026-11-25 10:00:00"));
    }
  }

  private static void assertCost(String expected, List<String> row) {
    assertEquals(0, new BigDecimal(expected).compareTo(new BigDecimal(row.get(3))), row.toString());
  }

  @Test
  void parityComparesOurDailyExportWithOpenAis() throws Exception {
    try (Connection c = ch.connect()) {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + ch.q() + ".api_key_map (project_id,"
          + " api_key_fingerprint, api_key_id, api_key_name) VALUES (?, ?, ?, ?)")) {
        ps.setString(1, "proj_a");
        ps.setString(2, "sk-proj-…Ax1");
        ps.setString(3, "key_abc");
        ps.setString(4, "test key");
        ps.addBatch();
        ps.setString(1, "proj_b");
        ps.setString(2, "sk-proj-…Bx1");
        ps.setString(3, "key_other");
        ps.setString(4, "unused");
        ps.addBatch();
        ps.executeBatch();
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + ch.q() + ".openai_usage_import ("
          + "start_time, end_time,"
          + " project_id, api_key_id, model, num_model_requests, input_tokens, output_tokens, input_cached_tokens,"
          + " input_uncached_tokens, input_text_tokens, output_text_tokens, input_cached_text_tokens, source, import_id)"
          + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'csv', 'test')")) {
        // 2026-11-24, gpt-4o-2024-08-06: ours = chat (1 request) + batch (1 request).
        Object[] row = {"2026-11-24 00:00:00", "2026-11-25 00:00:00", "proj_a", "key_abc", "gpt-4o-2024-08-06", 2, 3000,
            400, 1000, 2000, 2000, 400, 1000};
        for (int i = 0; i < row.length; i++) {
          ps.setObject(i + 1, row[i]);
        }
        ps.addBatch();
        // 2026-11-25: OpenAI saw 1100 input tokens where we saw 1000.
        Object[] row2 = {"2026-11-25 00:00:00", "2026-11-26 00:00:00", "proj_a", "key_abc", "gpt-4o-2024-08-06", 1, 1100,
            0, 0, 1100, 1100, 0, 0};
        for (int i = 0; i < row2.length; i++) {
          ps.setObject(i + 1, row2[i]);
        }
        ps.addBatch();
        ps.executeBatch();
      }
      assertEquals("2", ClickHouseTarget.scalar(c, "SELECT count() FROM " + ch.q() + ".openai_usage_import"));
      List<List<String>> rows = ClickHouseTarget.rows(c, "SELECT toString(day), model, field, toString(ours),"
          + " toString(openai), toString(diff), toString(diff_pct), state FROM " + ch.q() + ".usage_parity_daily"
          + " WHERE api_key_id = 'key_abc' AND model = 'gpt-4o-2024-08-06' AND field IN ('num_model_requests', 'input_tokens', 'output_tokens')"
          + " ORDER BY day, field");
      assertEquals(List.of(
          List.of("2026-11-24", "gpt-4o-2024-08-06", "input_tokens", "3000", "3000", "0", "0", "match"),
          List.of("2026-11-24", "gpt-4o-2024-08-06", "num_model_requests", "2", "2", "0", "0", "match"),
          List.of("2026-11-24", "gpt-4o-2024-08-06", "output_tokens", "400", "400", "0", "0", "match"),
          List.of("2026-11-25", "gpt-4o-2024-08-06", "input_tokens", "1000", "1100", "-100", "-9.0909", "mismatch"),
          List.of("2026-11-25", "gpt-4o-2024-08-06", "num_model_requests", "1", "1", "0", "0", "match"),
          List.of("2026-11-25", "gpt-4o-2024-08-06", "output_tokens", "0", "0", "0", "0", "match")), rows);
      // The gpt-5 responses traffic has no OpenAI row yet: reported as missing on OpenAI's side.
      assertEquals("missing_openai", ClickHouseTarget.scalar(c, "SELECT state FROM " + ch.q() + ".usage_parity_daily"
          + " WHERE model = 'gpt-5' AND field = 'num_model_requests'"));
      // usage_daily_openai carries the mapped api_key_id.
      assertEquals("key_abc", ClickHouseTarget.scalar(c, "SELECT DISTINCT api_key_id FROM " + ch.q()
          + ".usage_daily_openai"));
    }
  }
}
