package dev.tokenledger.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.clickhouse.UsageFixture.Record;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
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

  /**
   * The retention edge (issue: a rebuild took an hour from 5 requests / 500 tokens to 2 / 200). The
   * ledger drops whole parts (ttl_only_drop_parts, monthly partitions): of two parts holding rows of
   * the same hour, one may be gone while the other stays, because it also holds newer rows. The
   * rollup still has the whole hour; the ledger has part of it. A rebuild must refuse that hour
   * rather than "correct" the rollup down to what is left.
   */
  @Test
  void refusesHoursAtTheLedgersRetentionEdgeRatherThanEraseThem() throws Exception {
    try (Connection c = ch.connect()) {
      long now = Long.parseLong(ClickHouseTarget.scalar(c, "SELECT toUnixTimestamp(now())"));
      // An hour on the 15th of the month thirteen months ago, so that a later row of the same
      // monthly partition fits before the month ends.
      Instant hour = Instant.ofEpochSecond(now).atZone(ZoneOffset.UTC).minusMonths(13).withDayOfMonth(15)
          .withHour(10).truncatedTo(ChronoUnit.HOURS).toInstant();
      // Part A: three requests of that hour. Part B: two more of that hour, and one five days later.
      List<Record> partA = fixed(31, 3, hour);
      List<Record> partB = fixed(32, 2, hour);
      Record later = fixed(33, 1, hour.plus(5, ChronoUnit.DAYS)).get(0);
      partB.add(later);
      ClickHouseTarget.exec(c, UsageFixture.insertSql(ch.db(), partA, "async_insert = 0"));
      ClickHouseTarget.exec(c, UsageFixture.insertSql(ch.db(), partB, "async_insert = 0"));
      assertEquals(List.of("5", "500"), hourSums(c, hour), "the rollup holds the whole hour");

      // A TTL that puts the retention horizon between the hour and the later row: part A is past it
      // and goes as a whole, part B keeps its rows of the hour for the sake of its later row. The
      // rebuild must read this TTL from the table (not assume the 400 days of the file).
      long days = (now - hour.getEpochSecond()) / 86_400 - 1;
      ClickHouseTarget.exec(c, "ALTER TABLE " + ch.q() + ".usage_records MODIFY TTL toDateTime(Timestamp)"
          + " + toIntervalDay(" + days + ") SETTINGS mutations_sync = 2");
      ClickHouseTarget.exec(c, "ALTER TABLE " + ch.q() + ".usage_records MATERIALIZE TTL SETTINGS mutations_sync = 2");
      assertEquals("2", ClickHouseTarget.scalar(c, "SELECT count() FROM " + ch.q() + ".usage_events WHERE"
          + " toStartOfHour(Timestamp, 'UTC') = toDateTime(" + hour.getEpochSecond() + ", 'UTC')"),
          "part A expired, part B's two rows of the hour remain");

      Instant settled = Instant.ofEpochSecond(now).truncatedTo(ChronoUnit.HOURS).plus(1, ChronoUnit.HOURS);
      IllegalStateException refused = assertThrows(IllegalStateException.class,
          () -> RollupRebuild.rebuild(c, ch.db(), hour, hour.plus(1, ChronoUnit.HOURS), settled));
      assertTrue(refused.getMessage().contains("reaches the ledger's retention edge: rows of " + hour + " expire at"),
          refused.getMessage());
      assertEquals(List.of("5", "500"), hourSums(c, hour), "the rollup of the hour is kept");

      // The later row's hour is past the TTL's reach, but in the partition the TTL is at work in.
      Instant laterHour = later.hour();
      IllegalStateException edge = assertThrows(IllegalStateException.class,
          () -> RollupRebuild.rebuild(c, ch.db(), laterHour, laterHour.plus(1, ChronoUnit.HOURS), settled));
      assertTrue(edge.getMessage().contains("is at the retention edge: its oldest row (" + hour), edge.getMessage());
      assertTrue(edge.getMessage().contains("hours from " + laterHour.plus(1, ChronoUnit.HOURS) + " on can be"),
          edge.getMessage());
      assertEquals(List.of("1", "100"), hourSums(c, laterHour));
    }
  }

  /**
   * A partition that lost its oldest rows by other means than the TTL now in force (a part dropped
   * by hand here; a TTL that was shorter when the part went, in life): the rollup counts requests in
   * the partition before its oldest ledger row, so the partition is refused, though the TTL is far.
   */
  @Test
  void refusesAPartitionThatHasLostRowsThoughTheTtlIsFar() throws Exception {
    try (Connection c = ch.connect()) {
      long now = Long.parseLong(ClickHouseTarget.scalar(c, "SELECT toUnixTimestamp(now())"));
      Instant hour = Instant.ofEpochSecond(now).atZone(ZoneOffset.UTC).minusMonths(13).withDayOfMonth(15)
          .withHour(10).truncatedTo(ChronoUnit.HOURS).toInstant();
      long days = (now - hour.getEpochSecond()) / 86_400 + 30;
      ClickHouseTarget.exec(c, "ALTER TABLE " + ch.q() + ".usage_records MODIFY TTL toDateTime(Timestamp)"
          + " + toIntervalDay(" + days + ") SETTINGS mutations_sync = 2");
      ClickHouseTarget.exec(c, UsageFixture.insertSql(ch.db(), fixed(41, 1, hour.minus(2, ChronoUnit.HOURS)),
          "async_insert = 0"));
      ClickHouseTarget.exec(c, UsageFixture.insertSql(ch.db(), fixed(42, 2, hour), "async_insert = 0"));
      String oldest = ClickHouseTarget.scalar(c, "SELECT name FROM system.parts WHERE database = '" + ch.db()
          + "' AND table = 'usage_records' AND active ORDER BY min_block_number LIMIT 1");
      ClickHouseTarget.exec(c, "ALTER TABLE " + ch.q() + ".usage_records DROP PART '" + oldest + "'");

      Instant settled = Instant.ofEpochSecond(now).truncatedTo(ChronoUnit.HOURS).plus(1, ChronoUnit.HOURS);
      IllegalStateException refused = assertThrows(IllegalStateException.class,
          () -> RollupRebuild.rebuild(c, ch.db(), hour, hour.plus(1, ChronoUnit.HOURS), settled));
      assertTrue(refused.getMessage().contains("has lost rows"), refused.getMessage());
      assertEquals(List.of("2", "200"), hourSums(c, hour));
      assertEquals(List.of("1", "100"), hourSums(c, hour.minus(2, ChronoUnit.HOURS)));

      // The next month is another partition, untouched: rebuilt (nothing to correct there).
      Instant nextMonth = hour.atZone(ZoneOffset.UTC).plusMonths(1).withDayOfMonth(1).withHour(0).toInstant();
      RollupRebuild.Result r = RollupRebuild.rebuild(c, ch.db(), nextMonth, nextMonth.plus(1, ChronoUnit.HOURS), settled);
      assertEquals(0, r.correctionRows(), r.toString());
    }
  }

  /**
   * One rebuild at a time: a second rebuild started while the first holds the lock fails with a
   * message naming the holder; the first completes exactly; afterwards the lock is free again.
   */
  @Test
  void aSecondRebuildWhileOneRunsFailsClearlyAndTheFirstCompletes() throws Exception {
    Instant settled;
    List<Record> records = fixedHours(51, 40, START);
    try (Connection c = ch.connect()) {
      ClickHouseTarget.exec(c, UsageFixture.insertSql(ch.db(), records, "async_insert = 0"));
      long now = Long.parseLong(ClickHouseTarget.scalar(c, "SELECT toUnixTimestamp(now())"));
      settled = Instant.ofEpochSecond(now).truncatedTo(ChronoUnit.HOURS).plus(1, ChronoUnit.HOURS);
      ClickHouseTarget.exec(c, "ALTER TABLE " + ch.q() + ".usage_hourly DELETE WHERE hour = toDateTime("
          + START.getEpochSecond() + ", 'UTC') SETTINGS mutations_sync = 2");
      assertNotEquals(expectedPerHour(records), actualPerHour(c), "the damage shows");
    }
    CountDownLatch firstHoldsTheLock = new CountDownLatch(1);
    CountDownLatch secondTried = new CountDownLatch(1);
    AtomicReference<Object> first = new AtomicReference<>();
    Thread firstRebuild = new Thread(() -> {
      try (Connection c = ch.connect()) {
        first.set(RollupRebuild.rebuild(c, ch.db(), FROM, TO, settled, RollupRebuildLock.LEASE, () -> {
          firstHoldsTheLock.countDown();
          try {
            secondTried.await(60, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }));
      } catch (Throwable t) {
        first.set(t);
        firstHoldsTheLock.countDown();
      }
    }, "first-rebuild");
    firstRebuild.start();
    try (Connection c = ch.connect()) {
      assertTrue(firstHoldsTheLock.await(60, TimeUnit.SECONDS));
      RollupRebuild.AlreadyRunning second = assertThrows(RollupRebuild.AlreadyRunning.class,
          () -> RollupRebuild.rebuild(c, ch.db(), FROM, TO, settled));
      assertTrue(second.getMessage().startsWith("another rollup rebuild is running: "), second.getMessage());
      assertTrue(second.getMessage().contains("rebuilding " + FROM + " – " + TO), second.getMessage());
    } finally {
      secondTried.countDown();
      firstRebuild.join();
    }
    assertTrue(first.get() instanceof RollupRebuild.Result, String.valueOf(first.get()));
    assertTrue(((RollupRebuild.Result) first.get()).correctionRows() > 0, String.valueOf(first.get()));
    try (Connection c = ch.connect()) {
      assertEquals(expectedPerHour(records), actualPerHour(c), "the first rebuild's result, added once");
      RollupRebuild.Result again = RollupRebuild.rebuild(c, ch.db(), FROM, TO, settled);
      assertEquals(0, again.correctionRows(), "the lock is free again, and there is nothing left to correct");
    }
  }

  /** Claims racing for the lock from several connections at once: exactly one holds it each time. */
  @Test
  void claimsRacingForTheLockHaveOneWinner() throws Exception {
    int contenders = 6;
    ExecutorService pool = Executors.newFixedThreadPool(contenders);
    try {
      for (int round = 0; round < 8; round++) {
        CyclicBarrier start = new CyclicBarrier(contenders);
        List<Future<RollupRebuildLock>> attempts = new ArrayList<>();
        for (int i = 0; i < contenders; i++) {
          attempts.add(pool.submit(() -> {
            Connection c = ch.connect();
            start.await(30, TimeUnit.SECONDS);
            try {
              return RollupRebuildLock.acquire(c, ch.db(), FROM, TO, RollupRebuildLock.LEASE);
            } catch (RollupRebuild.AlreadyRunning busy) {
              c.close();
              return null;
            }
          }));
        }
        List<RollupRebuildLock> held = new ArrayList<>();
        for (Future<RollupRebuildLock> f : attempts) {
          RollupRebuildLock lock = f.get(60, TimeUnit.SECONDS);
          if (lock != null) {
            held.add(lock);
          }
        }
        assertEquals(1, held.size(), "round " + round + ": holders " + held.size());
        held.get(0).close();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** A lock whose holder died is taken over once its lease has passed; a lease too short to correct is refused. */
  @Test
  void anExpiredLockIsTakenOver() throws Exception {
    try (Connection c = ch.connect()) {
      // Taken and never released, as by a rebuild that died.
      RollupRebuildLock dead = RollupRebuildLock.acquire(c, ch.db(), FROM, TO, Duration.ofSeconds(10));
      assertThrows(RollupRebuild.AlreadyRunning.class,
          () -> RollupRebuildLock.acquire(c, ch.db(), FROM, TO, RollupRebuildLock.LEASE));
      Thread.sleep(Math.max(0, dead.secondsLeft() + 1) * 1000 + 500);
      RollupRebuild.Result r = RollupRebuild.rebuild(c, ch.db(), FROM, TO);
      assertEquals(0, r.correctionRows(), r.toString());
      assertTrue(dead.claim().generation() > 0);

      IllegalStateException tooShort = assertThrows(IllegalStateException.class,
          () -> RollupRebuild.rebuild(c, ch.db(), FROM, TO, Instant.now().truncatedTo(ChronoUnit.HOURS),
              Duration.ofSeconds(60), () -> {}));
      assertTrue(tooShort.getMessage().contains("nothing was corrected"), tooShort.getMessage());
    }
  }

  /** {@code n} records spread over the two hours from {@code start}, with their generated tokens. */
  private static List<Record> fixedHours(long seed, int n, Instant start) {
    List<Record> out = new ArrayList<>(UsageFixture.records(seed, n, start, 7200));
    for (Record r : out) {
      r.eventName = "tokenledger.usage";
    }
    return out;
  }

  /** {@code n} records at {@code time}, 100 input tokens each. */
  private static List<Record> fixed(long seed, int n, Instant time) {
    List<Record> out = new ArrayList<>(UsageFixture.records(seed, n, time, 1));
    for (Record r : out) {
      r.eventName = "tokenledger.usage";
      r.source = "reported";
      r.tokens.clear();
      r.tokens.put("input_tokens", 100L);
      r.tokens.put("input_uncached_tokens", 100L);
      r.tokens.put("input_text_tokens", 100L);
      r.audioSeconds = 0;
      r.inputCharacters = 0;
    }
    return out;
  }

  private List<String> hourSums(Connection c, Instant hour) throws Exception {
    return ClickHouseTarget.rows(c, "SELECT toString(sum(num_model_requests)), toString(sum(input_tokens)) FROM "
        + ch.q() + ".usage_hourly WHERE hour = toDateTime(" + hour.getEpochSecond() + ", 'UTC')").get(0);
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
