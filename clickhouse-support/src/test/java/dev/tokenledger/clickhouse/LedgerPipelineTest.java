package dev.tokenledger.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tokenledger.clickhouse.UsageFixture.Record;
import java.sql.Connection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Synthetic tokenledger.usage rows inserted into otel_logs (as the exporter writes them) land in
 * usage_events and usage_hourly, through the materialized views, with exact sums for every field.
 * The records cross hour boundaries and a UTC day boundary.
 */
class LedgerPipelineTest {

  @RegisterExtension
  static final MigratedDatabase ch = new MigratedDatabase("tl_ledger");
  static List<Record> records;

  @BeforeAll
  static void seed() throws Exception {
    records = UsageFixture.records(42, 600, Instant.parse("2026-11-24T21:40:00Z"), 4 * 3600);
    try (Connection c = ch.connect()) {
      // Several INSERTs: the views run per inserted block.
      for (int from = 0; from < records.size(); from += 150) {
        ClickHouseTarget.exec(c, UsageFixture.insertSql(ch.db(),
            records.subList(from, Math.min(records.size(), from + 150)), "async_insert = 0"));
      }
      // Log records that are not usage records must not reach the ledger.
      ClickHouseTarget.exec(c, "INSERT INTO " + ch.q() + ".otel_logs (" + UsageFixture.LOG_COLUMNS + ") VALUES "
          + UsageFixture.otherLogRow(Instant.parse("2026-11-24T22:00:00Z"), "", Map.of("http.route", "/x")) + ", "
          + UsageFixture.otherLogRow(Instant.parse("2026-11-24T22:00:01Z"), "other.event",
              Map.of("tokenledger.usage.source", "reported", "tokenledger.usage.input_tokens", "999")));
    }
  }

  @Test
  void everyUsageRecordIsOneLedgerRowWithExactTotals() throws Exception {
    try (Connection c = ch.connect()) {
      StringBuilder sql = new StringBuilder("SELECT count(), sum(malformed_fields)");
      for (String f : UsageFixture.TOKEN_FIELDS) {
        sql.append(", sum(").append(f).append(')');
      }
      sql.append(", sum(audio_seconds), sum(input_characters) FROM ").append(ch.q()).append(".usage_events");
      List<String> row = ClickHouseTarget.rows(c, sql.toString()).get(0);
      assertEquals(String.valueOf(records.size()), row.get(0), "one ledger row per usage record");
      assertEquals("0", row.get(1), "no malformed fields");
      for (int i = 0; i < UsageFixture.TOKEN_FIELDS.size(); i++) {
        String f = UsageFixture.TOKEN_FIELDS.get(i);
        long expected = records.stream().mapToLong(r -> r.token(f)).sum();
        assertEquals(expected, Long.parseLong(row.get(2 + i)), f);
      }
      double seconds = records.stream().mapToDouble(r -> r.audioSeconds).sum();
      assertEquals(seconds, Double.parseDouble(row.get(2 + UsageFixture.TOKEN_FIELDS.size())), 0.0, "audio_seconds");
      long chars = records.stream().mapToLong(r -> r.inputCharacters).sum();
      assertEquals(chars, Long.parseLong(row.get(3 + UsageFixture.TOKEN_FIELDS.size())), "input_characters");
    }
  }

  @Test
  void ledgerRowsCarryTheDimensions() throws Exception {
    try (Connection c = ch.connect()) {
      // Per (model, project, api, source, batch, tier) counts equal the fixture's.
      Map<String, Long> expected = new TreeMap<>();
      for (Record r : records) {
        expected.merge(String.join("|", r.billedModel(), nz(r.project), r.api, r.source, String.valueOf(r.batch),
            nz(r.tier), nz(r.fingerprint)), 1L, Long::sum);
      }
      Map<String, Long> actual = new TreeMap<>();
      for (List<String> row : ClickHouseTarget.rows(c, "SELECT model, project_id, api, usage_source, toString(batch),"
          + " service_tier, api_key_fingerprint, count() FROM " + ch.q() + ".usage_events GROUP BY ALL")) {
        actual.put(String.join("|", row.subList(0, 7)), Long.parseLong(row.get(7)));
      }
      assertEquals(expected, actual);
    }
  }

  @Test
  void hourlyRollupEqualsTheRecordsPerHourAndKey() throws Exception {
    try (Connection c = ch.connect()) {
      Map<String, long[]> expected = new TreeMap<>();
      int n = UsageFixture.TOKEN_FIELDS.size();
      for (Record r : records) {
        String key = r.hour().getEpochSecond() + "|" + r.billedModel() + "|" + nz(r.project) + "|" + r.api + "|"
            + r.source + "|" + r.status;
        long[] s = expected.computeIfAbsent(key, k -> new long[n + 1]);
        s[0]++;
        for (int i = 0; i < n; i++) {
          s[i + 1] += r.token(UsageFixture.TOKEN_FIELDS.get(i));
        }
      }
      StringBuilder sql = new StringBuilder("SELECT toUnixTimestamp(hour), model, project_id, api, usage_source, status,"
          + " sum(num_model_requests)");
      for (String f : UsageFixture.TOKEN_FIELDS) {
        sql.append(", sum(").append(f).append(')');
      }
      sql.append(" FROM ").append(ch.q()).append(".usage_hourly GROUP BY ALL");
      Map<String, long[]> actual = new TreeMap<>();
      for (List<String> row : ClickHouseTarget.rows(c, sql.toString())) {
        long[] s = new long[n + 1];
        for (int i = 0; i <= n; i++) {
          s[i] = Long.parseLong(row.get(6 + i));
        }
        actual.put(String.join("|", row.subList(0, 6)), s);
      }
      assertEquals(expected.keySet(), actual.keySet());
      for (String k : expected.keySet()) {
        assertEquals(List.of(box(expected.get(k))), List.of(box(actual.get(k))), k);
      }
      // The records span two UTC days and several hours.
      assertEquals("2", ClickHouseTarget.scalar(c, "SELECT uniqExact(toDate(hour)) FROM " + ch.q() + ".usage_hourly"));
    }
  }

  @Test
  void dailyOpenAiViewEqualsTheExportOfTheSameRecords() throws Exception {
    try (Connection c = ch.connect()) {
      Map<String, long[]> expected = new TreeMap<>();
      List<String> fields = OpenAiExportShapeTest.TOKEN_COLUMNS;
      for (Record r : records) {
        if (!UsageFixture.COMPLETIONS_APIS.contains(r.api)) {
          continue;
        }
        String key = r.day().getEpochSecond() + "|" + nz(r.project) + "|" + r.billedModel() + "|" + r.batch + "|"
            + nz(r.tier);
        long[] s = expected.computeIfAbsent(key, k -> new long[fields.size() + 1]);
        s[0]++;
        for (int i = 0; i < fields.size(); i++) {
          s[i + 1] += r.token(fields.get(i));
        }
      }
      StringBuilder sql = new StringBuilder("SELECT start_time, ifNull(project_id, ''), model, toString(batch),"
          + " ifNull(service_tier, ''), num_model_requests");
      for (String f : fields) {
        sql.append(", ").append(f);
      }
      sql.append(" FROM ").append(ch.q()).append(".usage_daily_openai");
      Map<String, long[]> actual = new TreeMap<>();
      List<String> order = new ArrayList<>();
      for (List<String> row : ClickHouseTarget.rows(c, sql.toString())) {
        long[] s = new long[fields.size() + 1];
        for (int i = 0; i <= fields.size(); i++) {
          s[i] = Long.parseLong(row.get(5 + i));
        }
        String key = String.join("|", row.subList(0, 5));
        order.add(key);
        actual.put(key, s);
      }
      assertEquals(expected.keySet(), actual.keySet());
      for (String k : expected.keySet()) {
        assertEquals(List.of(box(expected.get(k))), List.of(box(actual.get(k))), k);
      }
      assertEquals(order.size(), actual.size(), "one row per day and grouping key");
    }
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }

  private static Long[] box(long[] a) {
    Long[] b = new Long[a.length];
    for (int i = 0; i < a.length; i++) {
      b[i] = a[i];
    }
    return b;
  }
}
