package dev.tokenledger.clickhouse;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Rebuilds the hourly rollup ({@code usage_hourly}) of a range of hours from the ledger
 * ({@code usage_events}): the admin operation of docs/clickhouse.md#rollup-rebuild, idempotent and safe while the Collector
 * keeps inserting.
 *
 * <p>How (migration 013): nothing is deleted or swapped. One {@code INSERT … SELECT} adds correction
 * rows — per rollup key, what the ledger says minus what the rollup holds — and the
 * SummingMergeTree adds them in, so readers (who always {@code sum()}) see the rebuilt numbers at
 * once. Only <em>settled</em> rows take part: rows ingested before a whole hour that lies at least
 * {@link #SETTLE_MINUTES} minutes in the past (by the server's clock), so every insert that could
 * have written them has finished and none can change them any more. Rows ingested later are still
 * being written by the materialized views; they are left alone and are already right. Hence:
 * <ul>
 *   <li>idempotent: a second run finds nothing to correct and inserts nothing;
 *   <li>safe while data flows: both sides of the subtraction are fixed sets of rows;
 *   <li>one at a time: two rebuilds at the same moment would each add the same correction, so a
 *       rebuild holds {@link RollupRebuildLock} (migration 018) and a second one fails with
 *       {@link AlreadyRunning}, naming the holder.
 * </ul>
 *
 * <p>It refuses to erase: an hour in the range whose rollup has settled rows but whose ledger has
 * none (the ledger keeps 400 days, the rollup for ever) is an error, not an hour set to zero; so is
 * a range that the ledger's retention edge reaches ({@link RetentionEdge}: hours whose ledger rows
 * may be partly expired while the rollup still counts them all).
 *
 * <p>What is summed is read from the rollup itself: every column of usage_hourly outside
 * {@link #KEY}, so a token field that a migration adds to both tables is rebuilt with no change here.
 *
 * <p>The correction ({@link #correctionSelect}) is also what the rollup's automatic correction runs
 * every minute for the hours with recent inserts (migration 017, {@link #settleSelect}): the ledger
 * is read through usage_events, which counts each record id once (016), and the settled rows of a
 * key end up in one row at ingest time 1970-01-01 (docs/clickhouse.md#exactly-once).
 */
public final class RollupRebuild {

  /** How long after an hour ends its rows count as settled: far above any insert's duration. */
  public static final int SETTLE_MINUTES = 10;

  /** The rollup's key: every dimension, then the ingest hour and minute, as in 006/013/016. */
  static final List<String> KEY = List.of("hour", "ServiceName", "provider", "api", "operation", "model",
      "project_id", "organization_id", "api_key_fingerprint", "service_tier", "batch", "status", "usage_source",
      "usage_split", "use_case", "entrypoint", "ingest_hour", "ingest_minute");

  /** The ingest time of settled, corrected rollup rows (ingest_hour and ingest_minute): 1970-01-01. */
  static final String SETTLED_INGEST = "toDateTime(0, 'UTC')";

  /**
   * The automatic correction's settled boundary: rows inserted before the minute that began a minute
   * ago. Every insert that could still be writing them has had a minute to finish; one that takes
   * longer is corrected by a later run (its hour stays touched for {@link #TOUCHED_WINDOW_MINUTES}).
   */
  static final String AUTO_SETTLED_BEFORE = "toStartOfMinute(now('UTC') - INTERVAL 1 MINUTE)";

  /** How far back the automatic correction looks for hours with newly inserted ledger rows. */
  static final int TOUCHED_WINDOW_MINUTES = 60;

  /**
   * The oldest hours the automatic correction touches, in days: far from any ledger retention (a
   * TTL shortened by hand is not known to the view), and enough for records replayed after a
   * month-long outage. Older hours are corrected by a rebuild, which checks the edge.
   */
  static final int RECENT_DAYS = 31;

  /**
   * A summed column of the rollup besides num_model_requests: a token field, audio_seconds,
   * input_characters, malformed_fields. {@code floating} for Float columns (compared with a tolerance).
   */
  record Measure(String name, boolean floating) {}

  private static final Pattern NUMBER_TYPE = Pattern.compile("U?Int(8|16|32|64)|Float(32|64)");

  /**
   * What a rebuild did.
   *
   * @param from first hour rebuilt (inclusive)
   * @param to end of the range (exclusive)
   * @param settledBefore rows ingested before this instant were rebuilt; later ones were left to the views
   * @param ledgerRows settled ledger rows in the range: what the rollup now sums up
   * @param correctionRows rows inserted into usage_hourly (0: the rollup was already exact)
   */
  public record Result(Instant from, Instant to, Instant settledBefore, long ledgerRows, long correctionRows) {}

  /** Another rebuild holds the lock (or took it at the same moment): nothing was rebuilt. */
  public static final class AlreadyRunning extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    AlreadyRunning(String message) {
      super(message);
    }
  }

  /** The least lease time left for the correction insert to start, in seconds. */
  static final long MIN_SECONDS_LEFT = 120;

  private RollupRebuild() {}

  /**
   * Rebuilds {@code database.usage_hourly} for the hours {@code [from, to)} from
   * {@code database.usage_events}.
   *
   * @param connection a connection with SELECT on both tables and INSERT on usage_hourly (the admin)
   * @param database the TokenLedger database, usually {@code tokenledger}
   * @param from the first hour, a whole UTC hour
   * @param to the end (exclusive), a whole UTC hour after {@code from}
   * @throws IllegalArgumentException when the range is not whole hours or empty
   * @throws IllegalStateException when an hour's rollup has rows but its ledger has none (expired),
   *     or the ledger's retention edge reaches the range
   * @throws AlreadyRunning when another rebuild is running
   * @throws SQLException when ClickHouse refuses a statement
   */
  public static Result rebuild(Connection connection, String database, Instant from, Instant to) throws SQLException {
    Instant settledBefore;
    try (Statement st = connection.createStatement();
        ResultSet rs = st.executeQuery("SELECT toUnixTimestamp(toStartOfHour(now() - INTERVAL " + SETTLE_MINUTES
            + " MINUTE, 'UTC'))")) {
      rs.next();
      settledBefore = Instant.ofEpochSecond(rs.getLong(1));
    }
    return rebuild(connection, database, from, to, settledBefore);
  }

  /** As {@link #rebuild(Connection, String, Instant, Instant)}, with the settled boundary given (tests). */
  static Result rebuild(Connection connection, String database, Instant from, Instant to, Instant settledBefore)
      throws SQLException {
    return rebuild(connection, database, from, to, settledBefore, RollupRebuildLock.LEASE, () -> {});
  }

  /**
   * As {@link #rebuild(Connection, String, Instant, Instant, Instant)}, with the lock's lease given
   * and {@code whileLocked} run once the lock is held and the range checked, before any correction
   * (tests: a second rebuild started at that moment).
   */
  static Result rebuild(Connection connection, String database, Instant from, Instant to, Instant settledBefore,
      Duration lease, Runnable whileLocked) throws SQLException {
    checkHour("from", from);
    checkHour("to", to);
    if (!to.isAfter(from)) {
      throw new IllegalArgumentException("the range is empty: --to (" + to + ") must be after --from (" + from + ")");
    }
    String db = SqlText.quoteIdentifier(database);
    String events = db + ".usage_events";
    String hourly = db + ".usage_hourly";
    String range = String.format(Locale.ROOT, "BETWEEN toDateTime(%d, 'UTC') AND toDateTime(%d, 'UTC') - 1",
        from.getEpochSecond(), to.getEpochSecond());
    String settled = String.format(Locale.ROOT, "toDateTime(%d, 'UTC')", settledBefore.getEpochSecond());
    // toStartOfHour(Timestamp) as written in usage_records' sort key (Timestamp is UTC, so the same
    // hour): with a time zone argument the engine cannot select by the key and reads the whole ledger.
    String ledgerHour = "toStartOfHour(Timestamp) " + range;
    String ledgerWhere = ledgerHour + " AND ingested_at < " + settled;
    String rollupWhere = "hour " + range + " AND ingest_hour < " + settled;

    List<Measure> measures = measures(connection, database);
    try (RollupRebuildLock lock = RollupRebuildLock.acquire(connection, database, from, to, lease);
        Statement st = connection.createStatement()) {
      RetentionEdge.check(connection, database, events, hourly, from, to, settled);
      List<String> orphans = new ArrayList<>();
      try (ResultSet rs = st.executeQuery("SELECT toString(hour) FROM " + hourly + " WHERE " + rollupWhere
          + " GROUP BY hour HAVING sum(num_model_requests) != 0 AND hour NOT IN (SELECT DISTINCT"
          + " toStartOfHour(Timestamp, 'UTC') FROM " + events + " WHERE " + ledgerHour
          + ") ORDER BY hour LIMIT 5")) {
        while (rs.next()) {
          orphans.add(rs.getString(1));
        }
      }
      if (!orphans.isEmpty()) {
        throw new IllegalStateException("usage_hourly has requests in hour(s) " + orphans + " but usage_events has no"
            + " rows there (expired after the ledger's retention, or never written): rebuilding would erase that rollup."
            + " Choose a range the ledger still covers.");
      }
      long ledgerRows;
      try (ResultSet rs = st.executeQuery("SELECT count() FROM " + events + " WHERE " + ledgerWhere)) {
        rs.next();
        ledgerRows = rs.getLong(1);
      }
      whileLocked.run();
      // The correction must not outlive the lock: a rebuild that took over an expired lease would
      // otherwise race it. On a cluster the insert goes through the Distributed table and must have
      // reached the shards when it returns, or the next rebuild would not see it and correct again.
      long left = lock.secondsLeft();
      if (left < MIN_SECONDS_LEFT) {
        throw new IllegalStateException("the rebuild's lock expires in " + left + " s, too soon to correct anything:"
            + " nothing was corrected; run it again (or rebuild a shorter range)");
      }
      long corrections = st.executeUpdate(correctionSql(events, hourly, ledgerWhere, rollupWhere, measures)
          + " SETTINGS max_execution_time = " + (left - MIN_SECONDS_LEFT / 2) + ", distributed_foreground_insert = 1");
      return new Result(from, to, settledBefore, ledgerRows, Math.max(0, corrections));
    }
  }

  /**
   * The rollup's measures, read from {@code database.usage_hourly}: every column outside {@link #KEY}
   * and num_model_requests, in the table's order. A token field added by a migration is rebuilt
   * without a change here; a column that is neither a key nor a number is refused.
   */
  static List<Measure> measures(Connection connection, String database) throws SQLException {
    List<TableColumns.Column> columns = TableColumns.read(connection, database, "usage_hourly");
    List<Measure> out = new ArrayList<>();
    for (TableColumns.Column c : columns) {
      if (KEY.contains(c.name()) || c.name().equals("num_model_requests")) {
        continue;
      }
      if (!NUMBER_TYPE.matcher(c.type()).matches()) {
        throw new IllegalStateException("usage_hourly has a column " + c.name() + " (" + c.type() + ") that is neither"
            + " in the rollup's key nor a number: add it to RollupRebuild.KEY if it is a dimension");
      }
      out.add(new Measure(c.name(), c.type().startsWith("Float")));
    }
    if (out.isEmpty()) {
      throw new IllegalStateException(database + ".usage_hourly has no measures (does it exist?): run the migrations");
    }
    return out;
  }

  /**
   * The one {@code INSERT … SELECT} that corrects the settled rows of the rollup to the ledger: the
   * rows {@code rollupWhere} selects are replaced by the ledger rows {@code ledgerWhere} selects
   * (see {@link #correctionSelect}).
   */
  static String correctionSql(String events, String hourly, String ledgerWhere, String rollupWhere,
      List<Measure> measures) {
    return "INSERT INTO " + hourly + " (" + String.join(", ", KEY) + ", num_model_requests"
        + measures.stream().map(m -> ", " + m.name()).collect(Collectors.joining())
        + ") SETTINGS insert_deduplicate = 0 " + correctionSelect(events, hourly, ledgerWhere, rollupWhere, measures);
  }

  /**
   * The correction rows, per rollup key: for the rows {@code rollupWhere} selects, minus what each
   * holds, at its own ingest time; for the ledger rows {@code ledgerWhere} selects, what they say,
   * at the canonical ingest time {@link #SETTLED_INGEST} (1970-01-01, where rows from before 013
   * are too). Added in, the selected rollup rows then sum to exactly the ledger's figures, all of
   * them in one row per key of the canonical time: settled rows are compacted as they are
   * corrected, so the minute buckets of fresh rows do not stay in the rollup. Keys whose correction
   * is zero in every measure are left out: a second run with the same selection inserts nothing.
   * The ledger is read through usage_events (usage_records FINAL), so each record id counts once.
   *
   * <p>Used by the rebuild of a range of hours and, with {@link #AUTO_SETTLED_BEFORE}, by the
   * rollup's automatic correction (migration 017, {@link #settleSelect}).
   */
  static String correctionSelect(String events, String hourly, String ledgerWhere, String rollupWhere,
      List<Measure> measures) {
    // The inner selects name their numbers d_<measure>: an alias equal to the column it negates
    // would refer to itself.
    List<String> dimensions = KEY.subList(1, KEY.size() - 2);
    StringBuilder ledger = new StringBuilder("SELECT toStartOfHour(Timestamp, 'UTC') AS hour");
    StringBuilder rollup = new StringBuilder("SELECT hour");
    for (String k : dimensions) {
      ledger.append(", ").append(k);
      rollup.append(", ").append(k);
    }
    ledger.append(", ").append(SETTLED_INGEST).append(" AS ingest_hour, ").append(SETTLED_INGEST)
        .append(" AS ingest_minute, toInt64(1) AS d_num_model_requests");
    rollup.append(", ingest_hour, ingest_minute, -num_model_requests AS d_num_model_requests");
    String key = String.join(", ", KEY);
    StringBuilder outer = new StringBuilder("SELECT ").append(key)
        .append(", sum(d_num_model_requests) AS num_model_requests");
    StringBuilder changed = new StringBuilder("num_model_requests != 0");
    for (Measure m : measures) {
      String n = m.name();
      ledger.append(", ").append(m.floating() ? n : "toInt64(" + n + ")").append(" AS d_").append(n);
      rollup.append(", -").append(n).append(" AS d_").append(n);
      outer.append(", sum(d_").append(n).append(") AS ").append(n);
      changed.append(" OR ").append(m.floating() ? "abs(" + n + ") > 1e-9" : n + " != 0");
    }
    ledger.append(" FROM ").append(events).append(" WHERE ").append(ledgerWhere);
    rollup.append(" FROM ").append(hourly).append(" WHERE ").append(rollupWhere);
    outer.append(" FROM (").append(ledger).append(" UNION ALL ").append(rollup).append(") GROUP BY ").append(key)
        .append(" HAVING ").append(changed);
    return outer.toString();
  }

  /**
   * The automatic correction's {@code SELECT} (migration 017's refreshable view
   * {@code usage_hourly_correction}, which appends it to usage_hourly every minute): the
   * {@link #correctionSelect correction} of every hour that has ledger rows inserted in the
   * {@link #TOUCHED_WINDOW_MINUTES} minutes before {@code settledBefore}, for the rows inserted
   * before {@code settledBefore}. Hours older than {@link #RECENT_DAYS} days, or than the ledger's
   * retention less a day, are never corrected (their ledger rows may be gone; the rollup outlives
   * the ledger).
   *
   * @param database the TokenLedger database
   * @param settledBefore a SQL expression: rows inserted before it are settled ({@link #AUTO_SETTLED_BEFORE}
   *     in the view)
   * @param ledgerDays the ledger's retention in days (the migrations' {@code ttl:ledger_days})
   * @param measures the rollup's measures ({@link #measures})
   */
  static String settleSelect(String database, String settledBefore, int ledgerDays, List<Measure> measures) {
    String db = SqlText.quoteIdentifier(database);
    String touched = "GLOBAL IN (SELECT DISTINCT toStartOfHour(Timestamp, 'UTC') FROM " + db + ".usage_records WHERE"
        + " ingested_at >= " + settledBefore + " - INTERVAL " + TOUCHED_WINDOW_MINUTES + " MINUTE AND ingested_at < "
        + settledBefore + ")";
    String retained = ">= greatest(toStartOfHour(now('UTC') - toIntervalDay(" + ledgerDays + ")) + INTERVAL 1 DAY,"
        + " toStartOfHour(now('UTC') - INTERVAL " + RECENT_DAYS + " DAY))";
    // toStartOfHour(Timestamp), as in usage_records' sort key (Timestamp is UTC): with a time zone
    // argument the expression would not be recognised as the key's, and every granule would be read.
    String ledgerWhere = "toStartOfHour(Timestamp) " + touched + " AND toStartOfHour(Timestamp) " + retained
        + " AND ingested_at < " + settledBefore;
    String rollupWhere = "hour " + touched + " AND hour " + retained + " AND greatest(ingest_hour, ingest_minute) < "
        + settledBefore;
    return correctionSelect(db + ".usage_events", db + ".usage_hourly", ledgerWhere, rollupWhere, measures);
  }

  /**
   * Runs the rollup's automatic correction (migration 017) once, now, with the rows inserted before
   * {@code settledBefore} taken as settled instead of those before {@link #AUTO_SETTLED_BEFORE}: for
   * tests, which cannot wait for the view, and for an operator who wants the rollup exact for the
   * hours touched in the last hour without waiting for the next refresh. Like the view, it may run
   * while data flows; run it when the view is not running (a correction added twice is put right by
   * the view's next run).
   *
   * @param ledgerDays the ledger's retention in days (400 unless the migrations ran with
   *     {@code --ttl ledger_days=N}): older hours are never corrected
   * @return the correction rows inserted (0: the settled rollup already was exact and compact)
   */
  public static long settle(Connection connection, String database, Instant settledBefore, int ledgerDays)
      throws SQLException {
    String db = SqlText.quoteIdentifier(database);
    List<Measure> measures = measures(connection, database);
    String select = settleSelect(database, String.format(Locale.ROOT, "toDateTime(%d, 'UTC')",
        settledBefore.getEpochSecond()), ledgerDays, measures);
    try (Statement st = connection.createStatement()) {
      return Math.max(0, st.executeUpdate("INSERT INTO " + db + ".usage_hourly (" + String.join(", ", KEY)
          + ", num_model_requests" + measures.stream().map(m -> ", " + m.name()).collect(Collectors.joining())
          + ") SETTINGS insert_deduplicate = 0 " + select));
    }
  }

  private static void checkHour(String name, Instant t) {
    if (t == null || !t.truncatedTo(ChronoUnit.HOURS).equals(t)) {
      throw new IllegalArgumentException("--" + name + " must be a whole UTC hour (e.g. 2026-11-24T13:00:00Z), not " + t);
    }
  }
}
