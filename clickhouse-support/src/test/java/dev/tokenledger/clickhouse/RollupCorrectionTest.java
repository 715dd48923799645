package dev.tokenledger.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.clickhouse.UsageFixture.Record;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The rollup's automatic correction (migration 017, docs/clickhouse.md#exactly-once): its view runs
 * the same correction as the manual rebuild, over exactly the rollup's measures; and on its own,
 * with no manual step, it makes usage_hourly equal to the de-duplicated ledger within the stated
 * bound after a re-formed replay.
 */
class RollupCorrectionTest {

  /** The bound stated in docs/clickhouse.md#exactly-once. */
  static final Duration BOUND = Duration.ofMinutes(2);
  /** What a loaded test machine may add to it: the refresh's own run, a refresh started late. */
  static final Duration SLACK = Duration.ofSeconds(45);

  /** A fresh database for each test. */
  @RegisterExtension
  final MigratedDatabase ch = new MigratedDatabase("tl_correction");

  @Test
  void theViewRunsTheRebuildsCorrectionOverTheRollupsMeasures() throws Exception {
    Migrations migrations = new Migrations(Migrations.loadDefault(), ch.target().options(ch.db()));
    Migrations.Migration file = migrations.migrations().stream().filter(m -> m.version() == 17).findFirst()
        .orElseThrow();
    List<String> statements = migrations.statements(file);
    assertEquals(1, statements.size(), "017 is the view");
    String view = statements.get(0);
    String select = view.substring(view.indexOf("\nAS\n") + 4);
    try (Connection c = ch.connect()) {
      // measures() reads usage_hourly's columns: the view's static list must be exactly those.
      String expected = RollupRebuild.settleSelect(ch.db(), RollupRebuild.AUTO_SETTLED_BEFORE, 400,
          RollupRebuild.measures(c, ch.db()));
      assertEquals(normalize(expected), normalize(select));
      assertEquals("1", ClickHouseTarget.scalar(c, "SELECT count() FROM system.view_refreshes WHERE database = "
          + SqlText.quoteString(ch.db()) + " AND view = 'usage_hourly_correction'"), "the view is scheduled");
    }
  }

  @Test
  void aReformedReplayIsCorrectedOnItsOwnWithinTheBound() throws Exception {
    Instant start = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(2, ChronoUnit.HOURS);
    List<Record> records = UsageFixture.records(41, 30, start, 7200);
    for (int i = 0; i < records.size(); i++) {
      records.get(i).eventName = "tokenledger.usage";
      if (i % 5 != 2) { // one in five from an agent without the id
        records.get(i).extra.put("tokenledger.record.id", String.format(Locale.ROOT, "%032x", 0xc0ffee00L + i));
      }
    }
    Instant last;
    try (Connection c = ch.connect()) {
      // [r1 … r10], then [r1 … r30], then r1 … r10 again without EventName, then r11 … r30 in threes.
      ClickHouseTarget.exec(c, UsageFixture.insertSql(ch.db(), records.subList(0, 10), null));
      ClickHouseTarget.exec(c, UsageFixture.insertSql(ch.db(), records, null));
      List<Record> first = records.subList(0, 10);
      first.forEach(r -> r.eventName = "");
      ClickHouseTarget.exec(c, UsageFixture.insertSql(ch.db(), first, null));
      for (int i = 10; i < 30; i += 3) {
        ClickHouseTarget.exec(c, UsageFixture.insertSql(ch.db(), records.subList(i, Math.min(30, i + 3)), null));
      }
      last = Instant.now();
      String expected = expectedPerHour(records);
      assertEquals(expected, perHour(c, "toStartOfHour(Timestamp, 'UTC')", "count()", "usage_events"),
          "the ledger counts each record once at once");
      assertNotEquals(expected, perHour(c, "hour", "sum(num_model_requests)", "usage_hourly"),
          "the rollup has counted the copies at insert time");

      String actual = null;
      Duration took = null;
      while (Duration.between(last, Instant.now()).compareTo(BOUND.plus(SLACK).plusSeconds(30)) < 0) {
        actual = perHour(c, "hour", "sum(num_model_requests)", "usage_hourly");
        if (actual.equals(expected)) {
          took = Duration.between(last, Instant.now());
          break;
        }
        Thread.sleep(2000);
      }
      System.err.printf(Locale.ROOT, "[RollupCorrectionTest] usage_hourly exact %s after the last copy was inserted%n",
          took);
      assertEquals(expected, actual, "usage_hourly per hour [requests, input, output] vs the records");
      assertTrue(took.compareTo(BOUND.plus(SLACK)) <= 0, "corrected after " + took + ", bound " + BOUND);
      assertEquals("0", ClickHouseTarget.scalar(c, "SELECT countIf(exception != '') FROM system.view_refreshes"
          + " WHERE database = " + SqlText.quoteString(ch.db())), "the view's refreshes fail");

      // Once every copy has settled, another refresh finds nothing to correct.
      Thread.sleep(Math.max(0, Duration.between(Instant.now(), last.plus(BOUND)).toMillis()));
      ClickHouseTarget.exec(c, "SYSTEM REFRESH VIEW " + ch.q() + ".usage_hourly_correction");
      ClickHouseTarget.exec(c, "SYSTEM WAIT VIEW " + ch.q() + ".usage_hourly_correction");
      String rows = "SELECT toString(count()) FROM " + ch.q() + ".usage_hourly";
      String before = ClickHouseTarget.scalar(c, rows);
      ClickHouseTarget.exec(c, "SYSTEM REFRESH VIEW " + ch.q() + ".usage_hourly_correction");
      ClickHouseTarget.exec(c, "SYSTEM WAIT VIEW " + ch.q() + ".usage_hourly_correction");
      assertEquals(before, ClickHouseTarget.scalar(c, rows), "rows of usage_hourly after a refresh with nothing to do");
      assertEquals(expected, perHour(c, "hour", "sum(num_model_requests)", "usage_hourly"));
      assertEquals("0", ClickHouseTarget.scalar(c, "SELECT toString(sum(num_model_requests)) FROM " + ch.q()
          + ".usage_hourly WHERE ingest_minute != toDateTime(0, 'UTC')"), "settled rows are compacted");
    }
  }

  /** Per hour: [requests, input tokens, output tokens] of the records, each once. */
  private static String expectedPerHour(List<Record> records) {
    java.util.Map<String, long[]> m = new java.util.TreeMap<>();
    for (Record r : records) {
      long[] s = m.computeIfAbsent(r.hour().toString(), k -> new long[3]);
      s[0]++;
      s[1] += r.token("input_tokens");
      s[2] += r.token("output_tokens");
    }
    List<String> out = new ArrayList<>();
    m.forEach((k, v) -> out.add(k + "=" + java.util.Arrays.toString(v)));
    return out.toString();
  }

  private String perHour(Connection c, String hour, String requests, String table) throws Exception {
    List<String> out = new ArrayList<>();
    for (List<String> row : ClickHouseTarget.rows(c, "SELECT formatDateTime(" + hour + ", '%Y-%m-%dT%H:%i:%SZ') AS h, "
        + requests + ", sum(input_tokens), sum(output_tokens) FROM " + ch.q() + "." + table
        + " GROUP BY h HAVING " + requests + " != 0 ORDER BY h")) {
      out.add(row.get(0) + "=[" + row.get(1) + ", " + row.get(2) + ", " + row.get(3) + "]");
    }
    return out.toString();
  }

  /** SQL text with comments dropped and whitespace made uniform. */
  static String normalize(String sql) {
    return sql.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("\\s+", " ").replace("( ", "(").replace(" )", ")")
        .replaceAll(";\\s*$", "").strip();
  }
}
