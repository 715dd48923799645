package dev.tokenledger.cli;

import dev.tokenledger.clickhouse.RollupRebuild;
import java.io.PrintStream;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Map;

/**
 * {@code rebuild-rollup --from … --to …}: recomputes usage_hourly for whole UTC hours [from, to)
 * from the ledger, with clickhouse-support's {@link RollupRebuild} (idempotent, safe while data
 * flows). Nothing is rebuilt, and the command says why and exits with {@link CliException#STATEMENT},
 * when another rebuild is running (one at a time, by a lock in ClickHouse), when the ledger's
 * retention edge reaches the range (hours whose ledger rows may be partly expired), or when an
 * hour's ledger rows are gone. Times are ISO-8601 instants ({@code 2026-11-24T10:00:00Z}), UTC
 * date-times ({@code 2026-11-24 10:00}) or dates (midnight UTC).
 */
final class RebuildRollup {

  private RebuildRollup() {}

  static int run(Args a, Map<String, String> env, PrintStream out, PrintStream err) throws CliException {
    TokenLedger.noPositional(a, "rebuild-rollup");
    if (!a.has("--from") || !a.has("--to")) {
      throw CliException.usage("rebuild-rollup needs --from and --to (whole UTC hours, e.g. --from 2026-11-24T00:00:00Z"
          + " --to 2026-11-25)");
    }
    Instant from = time(a.get("--from"), "--from");
    Instant to = time(a.get("--to"), "--to");
    if (!to.isAfter(from)) {
      throw CliException.usage("--to (" + to + ") must be after --from (" + from + ")");
    }
    try (ClickHouseSession s = TokenLedger.open(a, env, err)) {
      s.requireMigrated("usage_events", "usage_hourly", "rollup_rebuild_lock");
      RollupRebuild.Result r;
      try {
        r = RollupRebuild.rebuild(s.connection(), s.database(), from, to);
      } catch (IllegalArgumentException e) {
        throw CliException.usage(e.getMessage());
      } catch (IllegalStateException e) {
        throw new CliException(CliException.STATEMENT, "Nothing was rebuilt: " + e.getMessage());
      } catch (SQLException e) {
        throw s.classify(e, "rebuild of usage_hourly " + from + " – " + to);
      }
      out.println("rebuilt usage_hourly for " + r.from() + " – " + r.to() + " from " + r.ledgerRows() + " ledger rows: "
          + (r.correctionRows() == 0 ? "it was already exact" : r.correctionRows() + " correction rows added")
          + "; rows ingested after " + r.settledBefore() + " are still being written by the views and were left alone");
      return 0;
    }
  }

  static Instant time(String v, String option) throws CliException {
    String s = v.strip();
    Instant t = null;
    try {
      if (s.matches("\\d{4}-\\d{2}-\\d{2}")) {
        t = LocalDate.parse(s).atStartOfDay(ZoneOffset.UTC).toInstant();
      } else {
        t = UsageCsv.parseInstant(s.length() == 16 ? s + ":00" : s);
      }
    } catch (RuntimeException e) {
      t = null;
    }
    if (t == null) {
      throw CliException.usage(option + " wants a UTC time such as 2026-11-24T10:00:00Z, 2026-11-24 10:00 or"
          + " 2026-11-24, not '" + v + "'");
    }
    if (!t.truncatedTo(ChronoUnit.HOURS).equals(t)) {
      throw CliException.usage(option + " must be a whole UTC hour (the rollup's grain), not " + t);
    }
    return t;
  }
}
