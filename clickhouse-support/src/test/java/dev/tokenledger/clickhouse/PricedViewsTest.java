package dev.tokenledger.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The price lookup and the cost arithmetic exist once, in usage_priced (015): the two priced views
 * read it and nothing else, and no other view reads the prices. A time filter on a priced view still
 * reaches the primary key of its own table, and the other grain's table is not read at all. What
 * the views compute is checked against figures computed in Java by QueryResultsTest and
 * CostAndParityTest.
 */
class PricedViewsTest {

  @RegisterExtension
  static final MigratedDatabase ch = new MigratedDatabase("tl_priced");

  @BeforeAll
  static void seed() throws Exception {
    try (Connection c = ch.connect()) {
      // Two days of usage, so a one-hour filter has something to leave out.
      ClickHouseTarget.exec(c, UsageFixture.insertSql(ch.db(), UsageFixture.records(11, 400,
          Instant.parse("2026-11-23T00:00:00Z"), 2 * 86_400), "async_insert = 0"));
    }
  }

  @Test
  void thePriceLookupIsWrittenOnce() throws Exception {
    Map<String, Set<String>> reads = new TreeMap<>();
    Pattern reference = Pattern.compile("\\b" + Pattern.quote(ch.db()) + "\\.`?(\\w+)");
    try (Connection c = ch.connect()) {
      for (List<String> row : ClickHouseTarget.rows(c, "SELECT name, create_table_query FROM system.tables"
          + " WHERE database = " + SqlText.quoteString(ch.db()) + " AND engine = 'View'")) {
        Set<String> tables = new TreeSet<>();
        Matcher m = reference.matcher(row.get(1));
        while (m.find()) {
          tables.add(m.group(1));
        }
        tables.remove(row.get(0));
        reads.put(row.get(0), tables);
      }
    }
    assertEquals(Set.of("model_prices", "usage_events", "usage_hourly"), reads.get("usage_priced"));
    assertEquals(Set.of("usage_priced"), reads.get("usage_hourly_priced"));
    assertEquals(Set.of("usage_priced"), reads.get("usage_events_priced"));
    reads.forEach((view, tables) -> assertTrue(view.equals("usage_priced") || !tables.contains("model_prices"),
        view + " reads model_prices itself: price through usage_hourly_priced or usage_events_priced"));
  }

  @Test
  void aTimeFilterReachesThePrimaryKeyOfItsGrainOnly() throws Exception {
    String range = " BETWEEN '2026-11-23 10:00:00' AND '2026-11-23 10:59:59'";
    try (Connection c = ch.connect()) {
      String hourly = "SELECT sum(cost_usd) FROM " + ch.q() + ".usage_hourly_priced WHERE hour" + range;
      assertPrimaryKeyCondition(c, hourly, "usage_hourly", "hour");
      assertNotRead(c, hourly, "usage_records");

      // The ledger is usage_records, read through the view usage_events (FINAL, 016), whose key starts
      // with the hour of Timestamp.
      String events = "SELECT sum(cost_usd) FROM " + ch.q() + ".usage_events_priced WHERE Timestamp" + range;
      assertPrimaryKeyCondition(c, events, "usage_records", "toStartOfHour(Timestamp)");
      assertNotRead(c, events, "usage_hourly");

      // The filtered views give what filtering the whole views gives.
      assertEquals(ClickHouseTarget.scalar(c, hourly), ClickHouseTarget.scalar(c, "SELECT sum(cost_usd) FROM (SELECT *"
          + " FROM " + ch.q() + ".usage_hourly_priced LIMIT 1000000) WHERE hour" + range));
    }
  }

  // The ReadFromMergeTree step of `table` in EXPLAIN indexes = 1 has a primary-key condition on `column`.
  private static void assertPrimaryKeyCondition(Connection c, String sql, String table, String column)
      throws Exception {
    StringBuilder plan = new StringBuilder();
    ClickHouseTarget.rows(c, "EXPLAIN indexes = 1 " + sql).forEach(r -> plan.append(r.get(0)).append('\n'));
    String text = plan.toString();
    int read = text.indexOf("ReadFromMergeTree (" + ch.db() + "." + table + ")");
    assertTrue(read >= 0, text);
    int next = text.indexOf("──", read);
    String step = text.substring(read, next < 0 ? text.length() : next);
    int key = step.indexOf("PrimaryKey");
    assertTrue(key >= 0, "no primary key use on " + table + ":\n" + text);
    Matcher condition = Pattern.compile("Condition: (.*)").matcher(step.substring(key));
    assertTrue(condition.find(), step);
    assertTrue(condition.group(1).contains(column + " in"), "the " + column + " filter does not reach the primary key of "
        + table + ": " + condition.group(1));
  }

  // EXPLAIN ESTIMATE: nothing of `table` is read.
  private static void assertNotRead(Connection c, String sql, String table) throws Exception {
    for (List<String> row : ClickHouseTarget.rows(c, "EXPLAIN ESTIMATE " + sql)) {
      if (row.get(1).equals(table)) {
        assertEquals("0", row.get(4), table + " is read: " + row);
      }
    }
  }
}
