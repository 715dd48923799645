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

  private static String sums(String db, String table, String hourExpr, Instant hour) throws Exception {
    String requests = table.equals("usage_events") ? "count()" : "sum(num_model_requests)";
    return CliTestSupport.scalar(db, "SELECT toString((" + requests + ", sum(input_tokens), sum(output_tokens))) FROM " + db
        + "." + table + " WHERE " + hourExpr + " = toDateTime(" + hour.getEpochSecond() + ", 'UTC')");
  }
}
