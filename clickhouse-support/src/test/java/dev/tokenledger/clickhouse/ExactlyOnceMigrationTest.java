package dev.tokenledger.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.clickhouse.UsageFixture.Record;
import java.sql.Connection;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Migration 016 on a ledger that already holds copies, while the Collector keeps inserting: records
 * delivered as re-formed batches before the migration (with the agent's id, without it, without
 * EventName), copies of them and new records inserted during the migration and after it. Then
 * usage_events holds every record once, with every field; running the file again (a half-applied
 * run repeated) changes nothing; and once corrected, usage_hourly sums to the same figures.
 */
class ExactlyOnceMigrationTest {

  static final Instant START = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(3, ChronoUnit.HOURS);

  @Test
  void theLedgerCountsEveryRecordOnceAcrossTheMigrationAndARunAgain() throws Exception {
    ClickHouseTarget target = ClickHouseTarget.get();
    String db = ClickHouseTarget.uniqueDatabase("tl_once_migration");
    String q = SqlText.quoteIdentifier(db);
    List<Migrations.Migration> all = Migrations.loadDefault();
    List<Migrations.Migration> before = all.stream().filter(m -> m.version() <= 15).toList();
    Migrations.Options options = target.options(db);
    Map<String, Record> records = Collections.synchronizedMap(new LinkedHashMap<>());
    try (Connection c = target.connect()) {
      new Migrations(before, options).apply(c);

      // Before the migration: a batch, then a bigger batch holding it again, then the first one
      // again without EventName; one record in four without the agent's id.
      List<Record> batch = withIds(UsageFixture.records(31, 60, START, 7200), "a", records);
      ClickHouseTarget.exec(c, UsageFixture.insertSql(db, batch.subList(0, 25), null));
      ClickHouseTarget.exec(c, UsageFixture.insertSql(db, batch, null));
      ClickHouseTarget.exec(c, UsageFixture.insertSql(db, withoutEventName(batch.subList(0, 25)), null));
      assertTrue(Long.parseLong(ClickHouseTarget.scalar(c, "SELECT count() FROM " + q + ".usage_events")) > 60,
          "the ledger before 016 has counted the copies");

      // The Collector keeps inserting during the migration: new records, and copies of old ones.
      AtomicBoolean stop = new AtomicBoolean();
      AtomicReference<Throwable> failure = new AtomicReference<>();
      Thread writer = new Thread(() -> {
        try (Connection w = target.connect()) {
          for (int seed = 100; !stop.get(); seed++) {
            List<Record> fresh = withIds(UsageFixture.records(seed, 10, START, 7200), "w" + seed, records);
            List<Record> send = new ArrayList<>(fresh);
            send.addAll(batch.subList(seed % 40, seed % 40 + 5));
            ClickHouseTarget.exec(w, UsageFixture.insertSql(db, send, null));
          }
        } catch (Throwable t) {
          failure.set(t);
        }
      }, "exactly-once-migration-writer");
      writer.start();
      try {
        Thread.sleep(200);
        new Migrations(all, options).apply(c);
        Thread.sleep(200);
        // The view of 017 would correct the rollup on its own; this test corrects it when it checks.
        ClickHouseTarget.exec(c, "SYSTEM STOP VIEW " + q + ".usage_hourly_correction");
      } finally {
        stop.set(true);
        writer.join();
      }
      assertEquals(null, failure.get(), "the concurrent writer failed");

      // After the migration: copies of records from before it and from during it.
      List<Record> late = new ArrayList<>(batch.subList(20, 45));
      synchronized (records) {
        late.addAll(new ArrayList<>(records.values()).subList(records.size() - 8, records.size()));
      }
      ClickHouseTarget.exec(c, UsageFixture.insertSql(db, withoutEventName(late), null));
      assertLedgerIsEveryRecordOnce(c, q, records);

      // A run of the file again, as after a failure in its middle: nothing counted twice.
      String rollup = "SELECT toString(sum(num_model_requests)) FROM " + q + ".usage_hourly";
      String requestsBefore = ClickHouseTarget.scalar(c, rollup);
      Migrations.Migration exactlyOnce = all.stream().filter(m -> m.version() == 16).findFirst().orElseThrow();
      for (String s : new Migrations(all, options).statements(exactlyOnce)) {
        ClickHouseTarget.exec(c, s);
      }
      assertLedgerIsEveryRecordOnce(c, q, records);
      assertEquals(requestsBefore, ClickHouseTarget.scalar(c, rollup), "the rollup after 016 ran again");

      // The rollup, corrected, is the ledger: every record once in every measure.
      RollupRebuild.settle(c, db, Instant.now().plus(1, ChronoUnit.MINUTES), 400);
      Map<String, long[]> expected = new TreeMap<>();
      for (Record r : records.values()) {
        long[] s = expected.computeIfAbsent(r.hour().toString(), k -> new long[3]);
        s[0]++;
        s[1] += r.token("input_tokens");
        s[2] += r.token("output_tokens");
      }
      Map<String, long[]> actual = new TreeMap<>();
      for (List<String> row : ClickHouseTarget.rows(c, "SELECT formatDateTime(hour, '%Y-%m-%dT%H:%i:%SZ'),"
          + " sum(num_model_requests), sum(input_tokens), sum(output_tokens) FROM " + q + ".usage_hourly"
          + " GROUP BY hour HAVING sum(num_model_requests) != 0")) {
        actual.put(row.get(0), new long[] {Long.parseLong(row.get(1)), Long.parseLong(row.get(2)),
            Long.parseLong(row.get(3))});
      }
      assertEquals(render(expected), render(actual), "usage_hourly per hour: [requests, input, output]");
    } finally {
      target.dropDatabase(db);
    }
  }

  /** The ledger has exactly one row per record, with the record's tokens. */
  private static void assertLedgerIsEveryRecordOnce(Connection c, String q, Map<String, Record> records)
      throws Exception {
    Map<String, String> expected = new TreeMap<>();
    synchronized (records) {
      for (Record r : records.values()) {
        expected.put(String.valueOf(r.time.getEpochSecond() * 1_000_000_000L + r.time.getNano()),
            r.token("input_tokens") + "/" + r.token("output_tokens"));
      }
    }
    Map<String, String> actual = new TreeMap<>();
    List<String> twice = new ArrayList<>();
    for (List<String> row : ClickHouseTarget.rows(c, "SELECT toString(toUnixTimestamp64Nano(Timestamp)),"
        + " input_tokens, output_tokens FROM " + q + ".usage_events")) {
      String time = row.get(0);
      if (actual.put(time, row.get(1) + "/" + row.get(2)) != null) {
        twice.add(time);
      }
    }
    assertEquals(List.of(), twice, "records with more than one ledger row");
    assertEquals(expected, actual, "ledger rows (time in ns → input/output tokens) vs the records delivered");
  }

  /** Gives three records in four the agent's id (prefix + index); registers them all. */
  private static List<Record> withIds(List<Record> batch, String prefix, Map<String, Record> registry) {
    for (int i = 0; i < batch.size(); i++) {
      Record r = batch.get(i);
      r.eventName = "tokenledger.usage";
      if (i % 4 != 1) {
        r.extra.put("tokenledger.record.id", String.format("%-32s", prefix + "-" + i).replace(' ', '0'));
      }
      registry.put(r.time.toString(), r);
    }
    return batch;
  }

  /** The same records as the exporter writes them when it lost EventName. */
  private static List<Record> withoutEventName(List<Record> batch) {
    List<Record> out = new ArrayList<>();
    for (Record r : batch) {
      Record copy = new Record();
      copy.time = r.time;
      copy.eventName = "";
      copy.api = r.api;
      copy.model = r.model;
      copy.requestModel = r.requestModel;
      copy.project = r.project;
      copy.tier = r.tier;
      copy.batch = r.batch;
      copy.fingerprint = r.fingerprint;
      copy.source = r.source;
      copy.split = r.split;
      copy.status = r.status;
      copy.service = r.service;
      copy.audioSeconds = r.audioSeconds;
      copy.inputCharacters = r.inputCharacters;
      copy.tokens.putAll(r.tokens);
      copy.extra.putAll(r.extra);
      out.add(copy);
    }
    return out;
  }

  private static Map<String, String> render(Map<String, long[]> m) {
    Map<String, String> out = new TreeMap<>();
    m.forEach((k, v) -> out.put(k, java.util.Arrays.toString(v)));
    return out;
  }
}
