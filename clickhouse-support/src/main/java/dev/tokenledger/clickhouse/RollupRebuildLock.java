package dev.tokenledger.clickhouse;

import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/**
 * The lock that lets one rollup rebuild run at a time: a claim row in {@code rollup_rebuild_lock}
 * (migration 018; docs/clickhouse.md#rollup-rebuild).
 *
 * <p>ClickHouse has no compare-and-set on a table, but insert de-duplication is atomic: of two
 * inserts with the same {@code insert_deduplication_token}, the table stores the first and drops the
 * second (a MergeTree's de-duplication log is checked and extended under one lock; a Replicated
 * table's block ids are created in Keeper, which refuses a second one). A rebuild reads the last
 * claim's generation g; when that claim is released or expired, it inserts its own claim for g + 1
 * with the token {@code rollup-rebuild-lock:<g + 1>}, then reads back the claim of g + 1: if it is its
 * own, it holds the lock; if it is another rebuild's, that one was first, and this one fails. Of two
 * claims of one generation that both got stored (only when the second arrives after the first's
 * token has left the table's window of 100 inserts), the earlier one (server time, then owner) wins,
 * and both rebuilds see that.
 *
 * <p>A claim expires after its lease: a rebuild that died does not block the next one for ever. The
 * holder bounds its statements to the lease ({@link #secondsLeft}, {@code max_execution_time}), so
 * it cannot still be writing when the lease has passed to another rebuild.
 *
 * <p>Limits: the lock is as good as the de-duplication window of the table. Rows deleted from it by
 * hand can make a new claim's token look like a repeat; the claim is then not stored, and the rebuild
 * fails saying so (insert a claim and a release of a higher generation to move on). On a cluster the
 * table is replicated to every node under one replication path, so the claims of all nodes meet in
 * Keeper; a claim read back on a replica that has not yet fetched the winner's row fails as busy,
 * which is the safe side.
 */
final class RollupRebuildLock implements AutoCloseable {

  /** The lock table, in the TokenLedger database. */
  static final String TABLE = "rollup_rebuild_lock";
  /** How long a claim holds without a release: far above any rebuild's run time. */
  static final Duration LEASE = Duration.ofHours(1);

  private static final int ATTEMPTS = 3;

  private final Connection connection;
  private final String table;
  private final long generation;
  private final String owner;
  private final Claim claim;
  private boolean released;

  /** A claim row as read back. */
  record Claim(long generation, String owner, String user, Instant at, Instant expiresAt, Instant rangeFrom,
      Instant rangeTo, boolean released) {

    String describe() {
      return owner + (user.isEmpty() ? "" : " (ClickHouse user " + user + ")") + ", rebuilding " + rangeFrom + " – "
          + rangeTo + ", took the lock at " + at + "; it expires at " + expiresAt + " if that rebuild died";
    }
  }

  private RollupRebuildLock(Connection connection, String table, long generation, String owner, Claim claim) {
    this.connection = connection;
    this.table = table;
    this.generation = generation;
    this.owner = owner;
    this.claim = claim;
  }

  /**
   * Takes the lock for a rebuild of [from, to).
   *
   * @throws RollupRebuild.AlreadyRunning when another rebuild holds it, or took it at the same moment
   * @throws IllegalStateException when the lock table does not exist (migration 018 not applied)
   */
  static RollupRebuildLock acquire(Connection c, String database, Instant from, Instant to, Duration lease)
      throws SQLException {
    String table = SqlText.quoteIdentifier(database) + "." + SqlText.quoteIdentifier(TABLE);
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("EXISTS TABLE " + table)) {
      if (!rs.next() || rs.getInt(1) == 0) {
        throw new IllegalStateException(database + " has no " + TABLE + " table, which keeps two rebuilds from"
            + " running at once: run the migrations (tokenledger migrate) first");
      }
    }
    String owner = ownerId();
    for (int attempt = 1; ; attempt++) {
      long last = longOf(c, "SELECT max(generation) FROM " + table);
      Claim current = last == 0 ? null : claimOf(c, table, last);
      if (current != null && !current.released() && current.expiresAt().isAfter(serverNow(c))) {
        throw new RollupRebuild.AlreadyRunning("another rollup rebuild is running: " + current.describe()
            + ". Wait for it to finish and run this one again (a second rebuild at the same time would add the same"
            + " corrections twice).");
      }
      long generation = last + 1;
      try (Statement st = c.createStatement()) {
        st.execute("INSERT INTO " + table + " (generation, event, owner, expires_at, range_from, range_to) SETTINGS"
            + " async_insert = 0, insert_deduplicate = 1, insert_deduplication_token = "
            + SqlText.quoteString("rollup-rebuild-lock:" + generation) + " SELECT " + generation + ", 'claim', "
            + SqlText.quoteString(owner) + ", now('UTC') + toIntervalSecond(" + lease.getSeconds() + "), toDateTime("
            + from.getEpochSecond() + ", 'UTC'), toDateTime(" + to.getEpochSecond() + ", 'UTC')");
      }
      Claim winner = claimOf(c, table, generation);
      if (winner != null && winner.owner().equals(owner)) {
        return new RollupRebuildLock(c, table, generation, owner, winner);
      }
      boolean stale = winner != null && (winner.released() || !winner.expiresAt().isAfter(serverNow(c)));
      if (stale && attempt < ATTEMPTS) {
        continue; // another rebuild took and released that generation between our read and our claim
      }
      if (winner == null) {
        throw new RollupRebuild.AlreadyRunning("the claim of " + TABLE + " generation " + generation + " was taken"
            + " for a repeated insert, and no holder is visible: either another rebuild has just taken the lock on"
            + " another replica (run this one again in a minute), or rows were deleted from " + database + "." + TABLE
            + " (then insert a claim and a release of generation " + (generation + 1000) + " to move past its"
            + " de-duplication window)");
      }
      throw new RollupRebuild.AlreadyRunning("another rollup rebuild took the lock at the same moment: "
          + winner.describe() + ". Wait for it to finish and run this one again.");
    }
  }

  /** The claim this lock holds. */
  Claim claim() {
    return claim;
  }

  /** Seconds until the lease ends, by the server's clock. */
  long secondsLeft() throws SQLException {
    return claim.expiresAt().getEpochSecond() - serverNow(connection).getEpochSecond();
  }

  /** Releases the lock (a release row); a lock whose release fails expires with its lease. */
  @Override
  public void close() throws SQLException {
    if (released) {
      return;
    }
    released = true;
    try (Statement st = connection.createStatement()) {
      st.execute("INSERT INTO " + table + " (generation, event, owner, expires_at, range_from, range_to) SETTINGS"
          + " async_insert = 0, insert_deduplicate = 0 SELECT " + generation + ", 'release', "
          + SqlText.quoteString(owner) + ", toDateTime(" + claim.expiresAt().getEpochSecond() + ", 'UTC'), toDateTime("
          + claim.rangeFrom().getEpochSecond() + ", 'UTC'), toDateTime(" + claim.rangeTo().getEpochSecond() + ", 'UTC')");
    }
  }

  // The winning claim of a generation (earliest insert, then owner), and whether its owner released it.
  private static Claim claimOf(Connection c, String table, long generation) throws SQLException {
    Claim claim;
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT owner, user, toString(at), toUnixTimestamp(expires_at),"
            + " toUnixTimestamp(range_from), toUnixTimestamp(range_to) FROM " + table + " WHERE generation = " + generation
            + " AND event = 'claim' ORDER BY at, owner LIMIT 1")) {
      if (!rs.next()) {
        return null;
      }
      claim = new Claim(generation, rs.getString(1), rs.getString(2), Instant.parse(rs.getString(3).replace(' ', 'T') + "Z"),
          Instant.ofEpochSecond(rs.getLong(4)), Instant.ofEpochSecond(rs.getLong(5)), Instant.ofEpochSecond(rs.getLong(6)),
          false);
    }
    boolean released = longOf(c, "SELECT count() FROM " + table + " WHERE generation = " + generation
        + " AND event = 'release' AND owner = " + SqlText.quoteString(claim.owner())) > 0;
    return new Claim(claim.generation(), claim.owner(), claim.user(), claim.at(), claim.expiresAt(), claim.rangeFrom(),
        claim.rangeTo(), released);
  }

  private static Instant serverNow(Connection c) throws SQLException {
    return Instant.ofEpochSecond(longOf(c, "SELECT toUnixTimestamp(now())"));
  }

  private static long longOf(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  // Who holds a claim: process and host (pid@host), and a random part so two rebuilds of one process differ.
  private static String ownerId() {
    return ManagementFactory.getRuntimeMXBean().getName() + "/" + UUID.randomUUID().toString().substring(0, 8);
  }
}
