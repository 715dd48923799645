package dev.tokenledger.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.simulator.OpenAiSimulator;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code rebuild-rollup}: an hour whose rollup rows were lost is rebuilt from the ledger to exactly
 * the ledger's totals; a second run changes nothing; a bad range is a usage error.
 */
class RebuildRollupTest {

  @Test
  void aDamagedHourIsRebuiltFromTheLedgerAndASecondRunChangesNothing() throws Exception {
    String db = CliTestSupport.migratedDatabase("tl_cli_rebuild");
    try (OpenAiSimulator sim = OpenAiSimulator.start(0)) {
      SimulatedTraffic traffic = SimulatedTraffic.generate(sim, 21, 1);
      CliTestSupport.execute(db, traffic.otelLogsInsert(db));
      // Ledger rows of an hour three days ago that were ingested (settled) hours ago: copies of today's
      // records, inserted with an old ingest time. The views put them into the rollup too ...
      Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(3, ChronoUnit.DAYS);
      Instant ingested = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(3, ChronoUnit.HOURS);
      CliTestSupport.execute(db, "INSERT INTO " + db + ".usage_records SELECT * REPLACE (toDateTime64("
          + hour.getEpochSecond() + ", 9, 'UTC') + toIntervalSecond(rowNumberInAllBlocks() % 3600) AS Timestamp,"
          + " toDateTime(" + ingested.getEpochSecond() + ", 'UTC') AS ingested_at) FROM " + db + ".usage_events");
      String ledger = sums(db, "usage_events", "toStartOfHour(Timestamp, 'UTC')", hour);
      assertEquals(ledger, sums(db, "usage_hourly", "hour", hour));
      // ... and then the rollup loses that hour.
      CliTestSupport.execute(db, "DELETE FROM " + db + ".usage_hourly WHERE hour = toDateTime(" + hour.getEpochSecond()
          + ", 'UTC')");
      assertEquals("(0,0,0)", sums(db, "usage_hourly", "hour", hour));

      String from = hour.toString();
      String to = hour.plus(1, ChronoUnit.HOURS).toString();
      CliTestSupport.Result r = CliTestSupport.cli(db, "rebuild-rollup", "--from", from, "--to", to);
      assertEquals(0, r.exit(), r.all());
      assertTrue(r.out().contains("from " + traffic.recorded().size() + " ledger rows"), r.out());
      assertTrue(r.out().contains("correction rows added"), r.out());
      assertEquals(ledger, sums(db, "usage_hourly", "hour", hour));

      CliTestSupport.Result again = CliTestSupport.cli(db, "rebuild-rollup", "--from", from, "--to", to);
      assertEquals(0, again.exit(), again.all());
      assertTrue(again.out().contains("it was already exact"), again.out());
      assertEquals(ledger, sums(db, "usage_hourly", "hour", hour));

      CliTestSupport.Result odd = CliTestSupport.cli(db, "rebuild-rollup", "--from", "2026-11-24T10:30:00Z", "--to", to);
      assertEquals(2, odd.exit(), odd.all());
      assertTrue(odd.err().contains("must be a whole UTC hour"), odd.err());
      CliTestSupport.Result missing = CliTestSupport.cli(db, "rebuild-rollup", "--from", from);
      assertEquals(2, missing.exit(), missing.all());
    } finally {
      CliTestSupport.execute(db, "DROP DATABASE IF EXISTS " + db);
    }
  }

  /**
   * What the command says when it must not rebuild: another rebuild holds the lock (a claim as a
   * running rebuild leaves it), or the range is at the ledger's retention edge. Exit 8, the rollup
   * untouched.
   */
  @Test
  void refusesWhileAnotherRebuildRunsAndAtTheRetentionEdge() throws Exception {
    String db = CliTestSupport.migratedDatabase("tl_cli_rebuild_refused");
    try (OpenAiSimulator sim = OpenAiSimulator.start(0)) {
      SimulatedTraffic traffic = SimulatedTraffic.generate(sim, 22, 1);
      CliTestSupport.execute(db, traffic.otelLogsInsert(db));
      Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(3, ChronoUnit.DAYS);
      String from = hour.toString();
      String to = hour.plus(1, ChronoUnit.HOURS).toString();

      CliTestSupport.execute(db, "INSERT INTO " + db + ".rollup_rebuild_lock (generation, event, owner, expires_at,"
          + " range_from, range_to) VALUES (1, 'claim', '4242@ops-host/1a2b3c4d', now() + 3600, toDateTime("
          + hour.getEpochSecond() + ", 'UTC'), toDateTime(" + hour.plus(1, ChronoUnit.HOURS).getEpochSecond() + ", 'UTC'))");
      CliTestSupport.Result busy = CliTestSupport.cli(db, "rebuild-rollup", "--from", from, "--to", to);
      assertEquals(8, busy.exit(), busy.all());
      assertTrue(busy.err().contains("Nothing was rebuilt: another rollup rebuild is running: 4242@ops-host/1a2b3c4d"),
          busy.err());
      CliTestSupport.execute(db, "INSERT INTO " + db + ".rollup_rebuild_lock (generation, event, owner, expires_at,"
          + " range_from, range_to) VALUES (1, 'release', '4242@ops-host/1a2b3c4d', now() + 3600, 0, 0)");

      // Ledger rows of an hour past the ledger's 400 days (not yet dropped by a merge): the hour is refused.
      Instant old = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(401, ChronoUnit.DAYS);
      CliTestSupport.execute(db, "INSERT INTO " + db + ".usage_records SELECT * REPLACE (toDateTime64("
          + old.getEpochSecond() + ", 9, 'UTC') AS Timestamp) FROM " + db + ".usage_events");
      String before = CliTestSupport.scalar(db, "SELECT toString((sum(num_model_requests), sum(input_tokens))) FROM " + db
          + ".usage_hourly");
      CliTestSupport.Result edge = CliTestSupport.cli(db, "rebuild-rollup", "--from", old.toString(), "--to",
          old.plus(1, ChronoUnit.HOURS).toString());
      assertEquals(8, edge.exit(), edge.all());
      assertTrue(edge.err().contains("reaches the ledger's retention edge"), edge.err());
      assertTrue(edge.err().matches("(?s).*hours from \\d{4}-\\d\\d-\\d\\dT\\d\\d:00:00Z on can be.*"), edge.err());
      assertEquals(before, CliTestSupport.scalar(db, "SELECT toString((sum(num_model_requests), sum(input_tokens))) FROM "
          + db + ".usage_hourly"), "the rollup is untouched");
    } finally {
      CliTestSupport.execute(db, "DROP DATABASE IF EXISTS " + db);
    }
  }

  private static String sums(String db, String table, String hourExpr, Instant hour) throws Exception {
    String requests = table.equals("usage_events") ? "count()" : "sum(num_model_requests)";
    return CliTestSupport.scalar(db, "SELECT toString((" + requests + ", sum(input_tokens), sum(output_tokens))) FROM " + db
        + "." + table + " WHERE " + hourExpr + " = toDateTime(" + hour.getEpochSecond() + ", 'UTC')");
  }
}
