package dev.tokenledger.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.clickhouse.UsageFixture.Record;
import java.sql.Connection;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The rollup rebuild (RollupRebuild, migration 013): a damaged usage_hourly is rebuilt from the
 * ledger while new usage records keep arriving for the same hours, and afterwards every hour's
 * sums equal the generated records' own totals exactly — also after a second run, which corrects
 * nothing.
 */
class RollupRebuildTest {

  static final Instant START = Instant.parse("2026-11-24T10:00:00Z");
  static final Instant FROM = START;
  static final Instant TO = START.plus(2, ChronoUnit.HOURS);

  /** A fresh database for each test. */
  @RegisterExtension
  final MigratedDatabase ch = new MigratedDatabase("tl_rebuild");

  @Test
  void aDamagedRollupIsRebuiltExactlyWhileInsertsContinueAndASecondRunChangesNothing() throws Exception {
    List<Record> all = Collections.synchronizedList(new ArrayList<>());
    try (Connection c = ch.connect()) {
      // Settled history: records ingested long ago (moved to 2020 the way a real old row has it).
      List<Record> old = UsageFixture.records(21, 300, START, 7200);
      ClickHouseTarget.exec(c, UsageFixture.insertSql(ch.db(), old, null));
      ClickHouseTarget.exec(c, "CREATE TABLE " + ch.q() + ".old AS " + ch.q() + ".usage_records ENGINE = Memory");
      ClickHouseTarget.exec(c, "INSERT INTO " + ch.q() + ".old SELECT * REPLACE (toDateTime('2020-01-01 00:00:00',"
          + " 'UTC') AS ingested_at) FROM " + ch.q() + ".usage_records");
      ClickHouseTarget.exec(c, "TRUNCATE TABLE " + ch.q() + ".usage_records");
      ClickHouseTarget.exec(c, "TRUNCATE TABLE " + ch.q() + ".usage_hourly");
      ClickHouseTarget.exec(c, "INSERT INTO " + ch.q() + ".usage_records SELECT * FROM " + ch.q() + ".old");
      all.addAll(old);
      assertEquals(expectedPerHour(all), actualPerHour(c), "the rollup before the damage");

      // Damage: the 10:00 hour's settled rollup is lost, and the 11:00 hour gets a wrong extra row.
      ClickHouseTarget.exec(c, "ALTER TABLE " + ch.q() + ".usage_hourly DELETE WHERE hour"
          + " = toDateTime('2026-11-24 10:00:00', 'UTC') SETTINGS mutations_sync = 2");
      ClickHouseTarget.exec(c, "INSERT INTO " + ch.q() + ".usage_hourly ("
          + "hour, api, model, ingest_hour, num_model_requests,"
          + " input_tokens, output_tokens, audio_seconds) VALUES (toDateTime('2026-11-24 11:00:00', 'UTC'),"
          + " 'chat.completions', 'gpt-5', toDateTime('2020-01-01 00:00:00', 'UTC'), 3, 12345, 678, 1.5)");
      assertNotEquals(expectedPerHour(all), actualPerHour(c), "the damage shows");
    }

    // Inserts keep arriving for the same hours (as the Collector's), before, during and after rebuilds.
    AtomicBoolean stop = new AtomicBoolean();
    AtomicReference<Throwable> writerFailure = new AtomicReference<>();
    Thread writer = new Thread(() -> {
      try (Connection c = ch.connect()) {
        for (int seed = 1000; !stop.get(); seed++) {
          List<Record> batch = UsageFixture.records(seed, 20, START, 7200);
          ClickHouseTarget.exec(c, UsageFixture.insertSql(ch.db(), batch, null));
          all.addAll(batch);
        }
      } catch (Throwable t) {
        writerFailure.set(t);
      }
    }, "rollup-rebuild-test-writer");
    writer.start();
    RollupRebuild.Result first;
    RollupRebuild.Result again;
    try (Connection c = ch.connect()) {
      Thread.sleep(300);
      first = RollupRebuild.rebuild(c, ch.db(), FROM, TO);
      again = RollupRebuild.rebuild(c, ch.db(), FROM, TO);
      Thread.sleep(300);
    } finally {
      stop.set(true);
      writer.join();
    }
    assertEquals(null, writerFailure.get(), "the concurrent writer failed");
    assertEquals(300, first.ledgerRows(), "settled ledger rows: the 300 old ones, never the fresh ones");
    assertTrue(first.correctionRows() > 0, first.toString());
    assertEquals(0, again.correctionRows(), "a second run finds nothing to correct: " + again);
    assertTrue(all.size() > 300 + 40, "inserts flowed during the rebuilds: " + all.size() + " records");

    try (Connection c = ch.connect()) {
      assertEquals(expectedPerHour(all), actualPerHour(c), "every hour after the rebuild vs the generated records");
      RollupRebuild.Result third = RollupRebuild.rebuild(c, ch.db(), FROM, TO);
      assertEquals(0, third.correctionRows(), third.toString());
      assertEquals(expectedPerHour(all), actualPerHour(c), "every hour after a third run");
      // Merged down, the numbers stay the same (the corrections are ordinary rows of the same keys).
      ClickHouseTarget.exec(c, "OPTIMIZE TABLE " + ch.q() + ".usage_hourly FINAL");
      assertEquals(expectedPerHour(all), actualPerHour(c), "every hour after the parts merged");
    }
  }

  @Test
  void refusesRangesItCannotRebuildWithAClearError() throws Exception {
    try (Connection c = ch.connect()) {
      IllegalArgumentException notWhole = assertThrows(IllegalArgumentException.class,
          () -> RollupRebuild.rebuild(c, ch.db(), FROM.plusSeconds(60), TO));
      assertTrue(notWhole.getMessage().contains("whole UTC hour"), notWhole.getMessage());
      IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
          () -> RollupRebuild.rebuild(c, ch.db(), TO, FROM));
      assertTrue(empty.getMessage().contains("must be after"), empty.getMessage());

      // A rollup hour whose ledger rows are gone (retention) is not erased.
      ClickHouseTarget.exec(c, "INSERT INTO " + ch.q() + ".usage_hourly (hour, api, ingest_hour, num_model_requests,"
          + " input_tokens) VALUES (toDateTime('2026-11-24 10:00:00', 'UTC'), 'responses',"
          + " toDateTime('2020-01-01 00:00:00', 'UTC'), 7, 700)");
      IllegalStateException orphan = assertThrows(IllegalStateException.class,
          () -> RollupRebuild.rebuild(c, ch.db(), FROM, TO));
      assertTrue(orphan.getMessage().contains("2026-11-24 10:00:00"), orphan.getMessage());
      assertEquals("7", ClickHouseTarget.scalar(c, "SELECT sum(num_model_requests) FROM " + ch.q() + ".usage_hourly"));
    }
  }

  /** Per hour: requests, every token field, characters and audio seconds, from the records. */
  private static Map<String, List<String>> expectedPerHour(List<Record> records) {
    Map<String, long[]> sums = new TreeMap<>();
    Map<String, Double> seconds = new TreeMap<>();
    synchronized (records) {
      for (Record r : records) {
        String hour = r.hour().toString().replace("T", " ").replace(":00Z", ":00").substring(0, 19);
        long[] s = sums.computeIfAbsent(hour, k -> new long[UsageFixture.TOKEN_FIELDS.size() + 2]);
        s[0]++;
        for (int i = 0; i < UsageFixture.TOKEN_FIELDS.size(); i++) {
          s[i + 1] += r.token(UsageFixture.TOKEN_FIELDS.get(i));
        }
        s[s.length - 1] += r.inputCharacters;
        seconds.merge(hour, r.audioSeconds, Double::sum);
      }
    }
    Map<String, List<String>> out = new TreeMap<>();
    sums.forEach((hour, s) -> {
      List<String> row = new ArrayList<>();
      for (long v : s) {
        row.add(String.valueOf(v));
      }
      row.add(String.valueOf(seconds.get(hour)));
      out.put(hour, row);
    });
    return out;
  }

  private Map<String, List<String>> actualPerHour(Connection c) throws Exception {
    StringBuilder sql = new StringBuilder("SELECT toString(hour), toString(sum(num_model_requests))");
    for (String f : UsageFixture.TOKEN_FIELDS) {
      sql.append(", toString(sum(").append(f).append("))");
    }
    sql.append(", toString(sum(input_characters)), toString(toFloat64(sum(audio_seconds))) FROM ").append(ch.q())
        .append(".usage_hourly GROUP BY hour HAVING sum(num_model_requests) != 0 ORDER BY hour");
    Map<String, List<String>> out = new TreeMap<>();
    for (List<String> row : ClickHouseTarget.rows(c, sql.toString())) {
      List<String> values = new ArrayList<>(row.subList(1, row.size()));
      // Sums of halves are exact in binary; print them the way Java does.
      values.set(values.size() - 1, String.valueOf(Double.parseDouble(values.get(values.size() - 1))));
      out.put(row.get(0), values);
    }
    return out;
  }
}
