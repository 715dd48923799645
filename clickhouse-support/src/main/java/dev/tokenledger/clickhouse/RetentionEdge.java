package dev.tokenledger.clickhouse;

import dev.tokenledger.clickhouse.SqlText.Kind;
import dev.tokenledger.clickhouse.SqlText.Token;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The rollup rebuild's refusal at the ledger's retention edge (docs/clickhouse.md#rollup-rebuild).
 *
 * <p>The ledger expires whole parts ({@code ttl_only_drop_parts}): a part goes once its newest row
 * is past the TTL. Two parts can hold rows of the same hour; the one that holds only old rows goes,
 * the one that also holds newer rows stays. The hour is then partly in the ledger and wholly in the
 * rollup, which has no TTL, and a rebuild would "correct" the rollup down to what is left. So a
 * range is refused when
 * <ol>
 *   <li>its first hour is at the TTL: rows of that hour expire (by the TTL read from the table, not
 *       the file's default) before now plus {@link #MARGIN}; every later hour then keeps all its rows,
 *       since a part holding any row newer than the TTL is kept whole;
 *   <li>it touches a ledger partition at the edge: the partition's oldest row expires before now
 *       plus {@link #MARGIN} — the TTL is already at work in that partition;
 *   <li>it touches a ledger partition that has evidently lost rows: the rollup counts settled
 *       requests in an hour of the partition before the partition's oldest ledger row (parts expired
 *       under a TTL that was shorter then, or dropped by hand).
 * </ol>
 * The margin covers the time the rebuild runs and the clocks of client and server. Partitions are
 * those of the ledger table's own partition key (monthly, {@code toYYYYMM(Timestamp)}), evaluated by
 * the server for the hours of the range. Limit: a partition that lost its oldest part under an
 * earlier, shorter TTL while a kept part shares that part's first hour leaves no trace in either
 * table; after lengthening the TTL, do not rebuild hours that were past the old one.
 */
final class RetentionEdge {

  /** How far ahead of now an expiry counts as reached. */
  static final Duration MARGIN = Duration.ofDays(1);

  private static final Pattern DISTRIBUTED =
      Pattern.compile("^Distributed\\('(?:[^'\\\\]|\\\\.)*',\\s*'((?:[^'\\\\]|\\\\.)*)',\\s*'((?:[^'\\\\]|\\\\.)*)'");

  /**
   * The ledger as stored: the MergeTree-family table (the local one under a Distributed table),
   * its TTL's deleting rules (expressions of {@code Timestamp}) and its partition key.
   */
  record Ledger(String database, String table, List<String> ttlRules, String partitionKey) {}

  private RetentionEdge() {}

  /**
   * Refuses (IllegalStateException) a range of whole hours [from, to) that the ledger's retention
   * edge reaches, saying why and from which hour a rebuild is possible.
   *
   * @param events the ledger as queried ({@code db.usage_events})
   * @param hourly the rollup as queried ({@code db.usage_hourly})
   * @param settled rollup rows with {@code ingest_hour} before it are the settled ones
   */
  static void check(Connection c, String database, String events, String hourly, Instant from, Instant to,
      String settled) throws SQLException {
    Ledger ledger = describe(c, database, "usage_records"); // usage_events is its view (016)
    Instant now = Instant.ofEpochSecond(longOf(c, "SELECT toUnixTimestamp(now())"));
    Instant limit = now.plus(MARGIN);
    List<String> problems = new ArrayList<>();
    Instant safeFrom = from;

    if (!ledger.ttlRules().isEmpty()) {
      Instant expires = expiry(c, ledger, from);
      if (!expires.isAfter(limit)) {
        long offset = expires.getEpochSecond() - from.getEpochSecond();
        Instant firstSafe = limit.minusSeconds(offset).truncatedTo(ChronoUnit.HOURS).plus(1, ChronoUnit.HOURS);
        safeFrom = later(safeFrom, firstSafe);
        problems.add("rows of " + from + " expire at " + expires + " (usage_records TTL " + String.join(", ",
            ledger.ttlRules()) + "), and the ledger drops whole parts once all their rows have expired, so an hour"
            + " that old may have lost part of its rows (one part gone, another still there) while usage_hourly"
            + " still counts them all");
      }
    }

    String key = ledger.partitionKey().isBlank() ? "tuple()" : ledger.partitionKey();
    long hours = Duration.between(from, to).toHours();
    String rangeHours = "(SELECT toDateTime64(toDateTime(" + from.getEpochSecond() + ", 'UTC') + toIntervalHour(number),"
        + " 9, 'UTC') AS Timestamp FROM numbers(" + hours + "))";
    // The partitions the range touches, with the range's first and last hour in each.
    List<String[]> partitions = new ArrayList<>();
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT toString(" + key + ") AS p, toUnixTimestamp(min(Timestamp)),"
            + " toUnixTimestamp(max(Timestamp)) FROM " + rangeHours + " GROUP BY p ORDER BY min(Timestamp)")) {
      while (rs.next()) {
        partitions.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3)});
      }
    }
    String inRange = key + " IN (SELECT " + key + " FROM " + rangeHours + ")";
    Map<String, Instant> ledgerFirst = firstPerPartition(c, "SELECT toString(" + key + ") AS p,"
        + " toUnixTimestamp(min(Timestamp)) FROM " + events + " WHERE " + inRange + " GROUP BY p");
    Map<String, Instant> rollupFirst = firstPerPartition(c, "SELECT toString(" + key + ") AS p, toUnixTimestamp(min(h))"
        + " FROM (SELECT hour AS h, toDateTime64(hour, 9, 'UTC') AS Timestamp FROM " + hourly + " WHERE ingest_hour < "
        + settled + " GROUP BY hour HAVING sum(num_model_requests) != 0) WHERE " + inRange + " GROUP BY p");
    for (String[] p : partitions) {
      Instant first = ledgerFirst.get(p[0]);
      if (first == null) {
        continue; // no ledger rows there: the rebuild's check of hours without ledger rows speaks for it
      }
      Instant lastInRange = Instant.ofEpochSecond(Long.parseLong(p[2]));
      Instant expires = ledger.ttlRules().isEmpty() ? null : expiry(c, ledger, first);
      Instant counted = rollupFirst.get(p[0]);
      if (expires != null && !expires.isAfter(limit)) {
        problems.add("ledger partition " + p[0] + " is at the retention edge: its oldest row (" + first + ") expires at "
            + expires + ", so the TTL may already have dropped some of its parts");
        safeFrom = later(safeFrom, lastInRange.plus(1, ChronoUnit.HOURS));
      } else if (counted != null && counted.isBefore(first.truncatedTo(ChronoUnit.HOURS))) {
        problems.add("ledger partition " + p[0] + " has lost rows: usage_hourly counts requests at " + counted
            + ", before the partition's oldest ledger row (" + first + "): parts expired under an earlier TTL, or were"
            + " dropped by hand");
        safeFrom = later(safeFrom, lastInRange.plus(1, ChronoUnit.HOURS));
      }
    }
    if (problems.isEmpty()) {
      return;
    }
    throw new IllegalStateException("the range " + from + " – " + to + " reaches the ledger's retention edge: "
        + String.join("; ", problems) + ". Rebuilding would erase billed usage from the rollup, which keeps those hours"
        + " as they are. " + (safeFrom.isBefore(to)
            ? "Rebuild from " + safeFrom + " on (--from " + safeFrom + ")."
            : "No hour of this range can be rebuilt from the ledger any more; hours from " + safeFrom + " on can be."));
  }

  /** The ledger table behind {@code database.name} (through a Distributed table), its TTL and partition key. */
  static Ledger describe(Connection c, String database, String name) throws SQLException {
    String engine;
    String engineFull;
    String partitionKey;
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT engine, engine_full, partition_key FROM system.tables WHERE database = "
            + SqlText.quoteString(database) + " AND name = " + SqlText.quoteString(name))) {
      if (!rs.next()) {
        throw new IllegalStateException(database + "." + name + " does not exist: run the migrations");
      }
      engine = rs.getString(1);
      engineFull = rs.getString(2);
      partitionKey = rs.getString(3);
    }
    if (engine.equals("Distributed")) {
      Matcher m = DISTRIBUTED.matcher(engineFull);
      if (m.find() && !(m.group(1).equals(database) && m.group(2).equals(name))) {
        return describe(c, m.group(1), m.group(2));
      }
    }
    if (!engine.endsWith("MergeTree")) {
      throw new IllegalStateException(database + "." + name + " is a " + engine + " table: the rollup rebuild needs"
          + " the ledger's MergeTree table to tell how far its retention reaches");
    }
    return new Ledger(database, name, ttlRules(engineFull), partitionKey == null ? "" : partitionKey);
  }

  /**
   * The expressions of the TTL rules in {@code engineFull} that remove rows (plain, {@code DELETE},
   * {@code WHERE} and {@code GROUP BY} rules), without their clauses; rules that move or recompress
   * data are left out.
   */
  static List<String> ttlRules(String engineFull) {
    List<Token> tokens = SqlText.tokenize(engineFull);
    int depth = 0;
    int start = -1;
    int end = tokens.size();
    for (int i = 0; i < tokens.size(); i++) {
      Token t = tokens.get(i);
      if (t.isSymbol('(')) {
        depth++;
      } else if (t.isSymbol(')')) {
        depth--;
      } else if (depth == 0 && start < 0 && t.isWord("TTL")) {
        start = i + 1;
      } else if (depth == 0 && start >= 0 && t.isWord("SETTINGS")) {
        end = i;
        break;
      }
    }
    List<String> rules = new ArrayList<>();
    if (start < 0) {
      return rules;
    }
    List<Token> rule = new ArrayList<>();
    depth = 0;
    for (int i = start; i <= end; i++) {
      Token t = i < end ? tokens.get(i) : new Token(Kind.SYMBOL, ",");
      if (t.isSymbol('(')) {
        depth++;
      } else if (t.isSymbol(')')) {
        depth--;
      }
      if (depth == 0 && t.isSymbol(',')) {
        String expression = deletingExpression(rule);
        if (expression != null) {
          rules.add(expression);
        }
        rule = new ArrayList<>();
      } else {
        rule.add(t);
      }
    }
    return rules;
  }

  // The expression of one TTL rule, or null when the rule moves or recompresses rows rather than removing them.
  private static String deletingExpression(List<Token> rule) {
    int depth = 0;
    int cut = rule.size();
    for (int i = 0; i < rule.size(); i++) {
      Token t = rule.get(i);
      if (t.isSymbol('(')) {
        depth++;
      } else if (t.isSymbol(')')) {
        depth--;
      } else if (depth == 0 && (t.isWord("TO") || t.isWord("RECOMPRESS"))) {
        return null;
      } else if (depth == 0 && cut == rule.size() && (t.isWord("DELETE") || t.isWord("WHERE") || t.isWord("GROUP"))) {
        cut = i;
      }
    }
    String expression = SqlText.join(rule.subList(0, cut)).strip();
    return expression.isEmpty() ? null : expression;
  }

  /** When a ledger row of time {@code t} expires: the earliest of the TTL's removing rules. */
  static Instant expiry(Connection c, Ledger ledger, Instant t) throws SQLException {
    String sql = "SELECT toUnixTimestamp(toDateTime(least(" + String.join(", ", ledger.ttlRules()) + "), 'UTC'))"
        + " FROM (SELECT toDateTime64(" + t.getEpochSecond() + ", 9, 'UTC') AS Timestamp)";
    try {
      return Instant.ofEpochSecond(longOf(c, sql));
    } catch (SQLException e) {
      throw new IllegalStateException("cannot tell when ledger rows expire from the TTL of " + ledger.database() + "."
          + ledger.table() + " (" + String.join(", ", ledger.ttlRules()) + ") for a time alone: " + e.getMessage(), e);
    }
  }

  private static Map<String, Instant> firstPerPartition(Connection c, String sql) throws SQLException {
    Map<String, Instant> out = new HashMap<>();
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        out.put(rs.getString(1), Instant.ofEpochSecond(rs.getLong(2)));
      }
    }
    return out;
  }

  private static long longOf(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static Instant later(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }
}
