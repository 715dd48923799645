package dev.tokenledger.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.HashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The cluster variant derived from the same files: ON CLUSTER on every DDL statement, Replicated
 * engines, Distributed tables over sharded local tables, views reading local tables; and every
 * derived statement parses on the engine (formatQuery parses without executing: no cluster needed).
 */
class ClusterVariantTest {

  @Test
  void derivedStatementsHaveTheClusterShape() throws Exception {
    Migrations m = new Migrations(Migrations.loadDefault(), new Migrations.Options().cluster("tl_cluster").log(null));
    List<String> all = new ArrayList<>();
    for (Migrations.Migration f : m.migrations()) {
      all.addAll(m.statements(f));
    }
    for (String s : all) {
      String kw = SqlText.firstKeyword(s);
      if ((kw.equals("CREATE") || kw.equals("GRANT")) && !s.contains("-- cluster: one_node")) {
        assertTrue(s.contains("ON CLUSTER tl_cluster"), s);
      }
      assertFalse(s.matches("(?s).*ENGINE\\s*=\\s*(Summing|Replacing|Aggregating)?MergeTree\\b.*"), "unreplicated: " + s);
    }
    String joined = String.join("\n;\n", all);
    // Sharded: local replicated table + Distributed table with the original name.
    assertTrue(joined.contains("CREATE TABLE IF NOT EXISTS tokenledger.otel_logs_local ON CLUSTER tl_cluster"), joined);
    assertTrue(joined.contains("ENGINE = ReplicatedMergeTree('/clickhouse/tables/{uuid}/{shard}', '{replica}')"));
    assertTrue(joined.contains("CREATE TABLE IF NOT EXISTS tokenledger.otel_logs ON CLUSTER tl_cluster AS "
        + "tokenledger.otel_logs_local ENGINE = Distributed('tl_cluster', 'tokenledger', 'otel_logs_local', "
        + "cityHash64(ServiceName, TraceId, Timestamp))"));
    assertTrue(joined.contains("ENGINE = ReplicatedSummingMergeTree('/clickhouse/tables/{uuid}/{shard}', '{replica}')"));
    // Reference tables: replicated everywhere, no Distributed table.
    assertTrue(joined.contains("ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/{database}/{table}', "
        + "'{replica}', updated_at)"), joined);
    assertFalse(joined.contains("model_prices_local"));
    // Materialized views run shard-locally.
    assertTrue(joined.contains("TO tokenledger.usage_events_local"));
    assertTrue(joined.contains("FROM tokenledger.otel_logs_local"));
    assertTrue(joined.contains("TO tokenledger.usage_hourly_local"));
    assertTrue(joined.contains("FROM tokenledger.usage_events_local"));
    // Plain views read through the Distributed tables.
    assertTrue(joined.contains("FROM tokenledger.usage_hourly AS h"));
    // Grants cover the local tables too.
    assertTrue(joined.contains("GRANT ON CLUSTER tl_cluster INSERT ON tokenledger.otel_logs_local TO"));
  }

  @Test
  void theExactlyOnceLedgerAndItsCorrectionDeriveForACluster() throws Exception {
    Migrations m = new Migrations(Migrations.loadDefault(), new Migrations.Options().cluster("tl_cluster").log(null));
    String ledger = String.join("\n;\n", m.statements(version(m, 16)));
    // Every copy of a record on one shard, where FINAL collapses it.
    assertTrue(ledger.contains("CREATE TABLE IF NOT EXISTS tokenledger.usage_records_local ON CLUSTER tl_cluster"), ledger);
    assertTrue(ledger.contains("ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{uuid}/{shard}', '{replica}',"
        + " ingested_at)"), ledger);
    assertTrue(ledger.contains("ENGINE = Distributed('tl_cluster', 'tokenledger', 'usage_records_local',"
        + " sipHash64(record_id))"), ledger);
    // The views from the raw rows and into the rollup run shard-locally.
    assertTrue(ledger.contains("TO tokenledger.usage_records_local"), ledger);
    assertTrue(ledger.contains("ALTER TABLE tokenledger.usage_hourly_mv ON CLUSTER tl_cluster MODIFY QUERY"), ledger);
    assertTrue(ledger.contains("FROM tokenledger.usage_records_local\nGROUP BY hour, ingest_hour, ingest_minute"), ledger);
    // The copy: a staging table shaped like the local ledger and sharded like it, filled through its
    // Distributed table (synchronously: its rows must be on the shards before they are attached), the
    // old rows' ids recovered with a GLOBAL join, each shard attaching its own rows, then both dropped.
    assertTrue(ledger.contains("CREATE TABLE IF NOT EXISTS tokenledger.usage_records_copy_local ON CLUSTER tl_cluster AS"
        + " tokenledger.usage_records_local"), ledger);
    assertTrue(ledger.contains("'usage_records_copy_local', sipHash64(record_id))"), ledger);
    assertTrue(ledger.contains("INSERT INTO tokenledger.usage_records_copy SETTINGS distributed_foreground_insert = 1"),
        ledger);
    assertTrue(ledger.contains("GLOBAL LEFT JOIN"), ledger);
    assertTrue(ledger.contains("ALTER TABLE tokenledger.usage_records_local ON CLUSTER tl_cluster ATTACH PARTITION ALL"
        + " FROM tokenledger.usage_records_copy_local"), ledger);
    assertTrue(ledger.contains("DROP TABLE IF EXISTS tokenledger.usage_records_copy ON CLUSTER tl_cluster"), ledger);
    assertTrue(ledger.contains("DROP TABLE IF EXISTS tokenledger.usage_records_copy_local ON CLUSTER tl_cluster"), ledger);
    // The old ledger: its Distributed table becomes the view, its local tables are dropped.
    assertTrue(ledger.contains("CREATE OR REPLACE VIEW tokenledger.usage_events ON CLUSTER tl_cluster"), ledger);
    assertTrue(ledger.contains("FROM tokenledger.usage_records FINAL"), ledger);
    assertTrue(ledger.contains("DROP TABLE IF EXISTS tokenledger.usage_events_local ON CLUSTER tl_cluster"), ledger);

    // The correction runs once for the cluster: on one node, over the Distributed tables.
    List<String> correction = m.statements(version(m, 17));
    assertEquals(1, correction.size());
    String view = correction.get(0);
    assertFalse(view.contains("ON CLUSTER"), view);
    assertFalse(view.contains("_local"), view);
    assertTrue(view.contains("APPEND\nTO tokenledger.usage_hourly\n"), view);
    assertTrue(view.contains("GLOBAL IN"), view);
  }

  private static Migrations.Migration version(Migrations m, int version) {
    return m.migrations().stream().filter(f -> f.version() == version).findFirst().orElseThrow();
  }

  @Test
  void everyDerivedStatementParsesOnTheEngine() throws Exception {
    Migrations m = new Migrations(Migrations.loadDefault(), new Migrations.Options().cluster("tl_cluster").log(null));
    ClickHouseTarget target = ClickHouseTarget.get();
    int parsed = 0;
    try (Connection c = target.connect(); PreparedStatement ps = c.prepareStatement("SELECT formatQuery(?)")) {
      for (Migrations.Migration f : m.migrations()) {
        for (String s : m.statements(f)) {
          ps.setString(1, s);
          try (ResultSet rs = ps.executeQuery()) {
            assertTrue(rs.next());
            String formatted = rs.getString(1);
            assertTrue(formatted.toUpperCase(Locale.ROOT).contains("ON CLUSTER") || !needsCluster(s)
                || s.contains("-- cluster: one_node"), formatted);
            parsed++;
          }
        }
      }
    }
    assertEquals(countStatements(m), parsed);
  }

  /**
   * For every migration, the cluster variant leaves each Distributed table with exactly the columns
   * (names, types, defaults, order) of its local table: 013 added {@code ingested_at} and
   * {@code ingest_hour} to the local tables only, and 014's views failed on the Distributed ones.
   *
   * <p>The embedded engine has no cluster, Keeper nor remote servers, so the derived statements are
   * run in a single-node form that keeps what is checked: ON CLUSTER dropped, Replicated engines
   * back to their plain ones (settings kept), and each Distributed table replaced by a Merge table
   * over its local table. A Merge table is created {@code AS} the local table and takes column ALTERs
   * (and refuses the others) as a Distributed table does, and reads the local table as a one-shard
   * Distributed table would, so a view on it fails where it would fail on the cluster. The runner
   * applies the files one by one, and the columns are compared after each.
   */
  @Test
  void everyMigrationKeepsEachDistributedTableLikeItsLocalTable() throws Exception {
    ClickHouseTarget target = ClickHouseTarget.get();
    String db = ClickHouseTarget.uniqueDatabase("tl_cluster_columns");
    List<Migrations.Migration> files = Migrations.loadDefault();
    try (Connection c = target.connect()) {
      for (int n = 1; n <= files.size(); n++) {
        Migrations.Migration file = files.get(n - 1);
        try {
          new Migrations(files.subList(0, n), singleNode(target, db, s -> s)).apply(c);
        } catch (MigrationException e) {
          throw new AssertionError("the cluster variant of " + file.name() + " failed: " + e.getMessage(), e);
        }
        assertLocalAndDistributedAlike(c, db, "after " + file.name());
      }
      // Every table of the chain is there (the ledger's is usage_records since 016, usage_events its
      // view), and the priced views answer through the stand-ins.
      assertEquals(List.of("otel_logs", "otel_metrics_exponential_histogram", "otel_metrics_gauge",
          "otel_metrics_histogram", "otel_metrics_sum", "otel_metrics_summary", "otel_traces", "otel_traces_trace_id_ts",
          "usage_hourly", "usage_records"), distributedTables(c, db));
      for (String view : List.of("usage_hourly_priced", "usage_events_priced", "usage_cost_hourly")) {
        assertEquals("0", ClickHouseTarget.scalar(c, "SELECT count() FROM " + SqlText.quoteIdentifier(db) + "." + view));
      }
      // The replicated tables' insert de-duplication windows, as derived: the single node's number of
      // blocks, with a time limit that does not cut it short.
      Pattern setting = Pattern.compile("(\\w+) = ([^,]+)");
      for (List<String> t : ClickHouseTarget.rows(c, "SELECT name, engine_full FROM system.tables WHERE database = '"
          + db + "' AND engine LIKE '%MergeTree'")) {
        Map<String, String> settings = new HashMap<>();
        Matcher m = setting.matcher(t.get(1).substring(t.get(1).indexOf(" SETTINGS ")));
        while (m.find()) {
          settings.put(m.group(1), m.group(2).strip());
        }
        assertEquals(settings.getOrDefault("non_replicated_deduplication_window", "0"),
            settings.get("replicated_deduplication_window"), t.toString());
        assertEquals("604800", settings.get("replicated_deduplication_window_seconds"), t.toString());
      }
    } finally {
      target.dropDatabase(db);
    }
  }

  /**
   * A cluster migrated by the runner before it repeated column changes for the Distributed tables
   * (013 changed the local tables only, 014 then failed) is repaired by the next run, which sends
   * the Distributed tables' column changes of the files already applied before the pending ones.
   */
  @Test
  void aClusterWhoseDistributedTablesMissedColumnChangesIsRepairedByTheNextRun() throws Exception {
    ClickHouseTarget target = ClickHouseTarget.get();
    String db = ClickHouseTarget.uniqueDatabase("tl_cluster_repair");
    List<Migrations.Migration> files = Migrations.loadDefault();
    int upTo013 = 0;
    while (files.get(upTo013).version() <= 13) {
      upTo013++;
    }
    // The earlier runner's cluster variant: no ALTER of a Distributed table.
    Pattern distributedAlter = Pattern.compile("^ALTER TABLE " + Pattern.quote(SqlText.quoteIdentifier(db))
        + "\\.(otel_\\w+|usage_events|usage_hourly) ON CLUSTER");
    try (Connection c = target.connect()) {
      new Migrations(files.subList(0, upTo013), singleNode(target, db,
          s -> distributedAlter.matcher(s).find() ? null : s)).apply(c);
      List<String> columns = columnsOf(c, db, "usage_events");
      assertFalse(columns.stream().anyMatch(col -> col.startsWith("ingested_at ")), "the damage: " + columns);

      Migrations.Report report = new Migrations(files, singleNode(target, db, s -> s)).apply(c);
      // Files that need access management (users, grants) are skipped on the engine, not applied.
      long skippedAfter013 = report.skipped().stream().filter(f -> Integer.parseInt(f.substring(0, 3)) > 13).count();
      assertEquals(files.size() - upTo013, report.applied().size() + skippedAfter013, report.toString());
      assertLocalAndDistributedAlike(c, db, "after the repairing run");
    } finally {
      target.dropDatabase(db);
    }
  }

  @Test
  void columnChangesOfAShardedTableAreRepeatedForItsDistributedTableIdempotently() throws Exception {
    ClusterVariant v = new ClusterVariant("c1", List.of("CREATE TABLE db.t (a UInt8) ENGINE = MergeTree ORDER BY a"
        + " SETTINGS non_replicated_deduplication_window = 7"));
    List<String> out = v.derive("ALTER TABLE db.t ADD COLUMN b String AFTER a, MODIFY ORDER BY (a, b),"
        + " MODIFY COLUMN a UInt16, DROP COLUMN c, MODIFY SETTING non_replicated_deduplication_window = 9, index_granularity = 1024,"
        + " COMMENT COLUMN IF EXISTS b 'x', DELETE WHERE a = 1");
    assertEquals(List.of("ALTER TABLE db.t_local ON CLUSTER c1 ADD COLUMN b String AFTER a, MODIFY ORDER BY (a, b),"
            + " MODIFY COLUMN a UInt16, DROP COLUMN c, MODIFY SETTING non_replicated_deduplication_window = 9,"
            + " index_granularity = 1024, replicated_deduplication_window = 9, replicated_deduplication_window_seconds = 604800,"
            + " COMMENT COLUMN IF EXISTS b 'x', DELETE WHERE a = 1",
        "ALTER TABLE db.t ON CLUSTER c1 ADD COLUMN IF NOT EXISTS b String AFTER a, MODIFY COLUMN IF EXISTS a UInt16,"
            + " DROP COLUMN IF EXISTS c, COMMENT COLUMN IF EXISTS b 'x'"), out);
    assertEquals(List.of("ALTER TABLE db.t_local ON CLUSTER c1 MODIFY TTL toDate(a) + 1"),
        v.derive("ALTER TABLE db.t MODIFY TTL toDate(a) + 1"), "no column change: nothing for the Distributed table");
    assertTrue(v.derive("CREATE TABLE db.t (a UInt8) ENGINE = MergeTree ORDER BY a"
        + " SETTINGS non_replicated_deduplication_window = 7").get(0).endsWith("SETTINGS"
        + " replicated_deduplication_window = 7, replicated_deduplication_window_seconds = 604800,"
        + " non_replicated_deduplication_window = 7"));
  }

  /**
   * The runner's options for the cluster variant run on the single-node engine (see above). An
   * INSERT into a Distributed table goes to its local table instead: a Merge table takes no inserts,
   * and a one-shard Distributed table would put every row there.
   */
  private static Migrations.Options singleNode(ClickHouseTarget target, String db, UnaryOperator<String> also)
      throws MigrationException {
    String cluster = "tl_cluster";
    Pattern distributed = Pattern.compile("ENGINE = Distributed\\('" + cluster + "', '([^']+)', '([^']+)', .*\\)$",
        Pattern.DOTALL);
    List<String> statements = new ArrayList<>();
    for (Migrations.Migration m : Migrations.loadDefault()) {
      statements.addAll(SqlText.splitStatements(SqlText.renameIdentifiers(m.text(), Map.of("tokenledger", db))));
    }
    java.util.Set<String> sharded = new ClusterVariant(cluster, statements).shardedTables();
    Pattern insert = Pattern.compile("(?m)^(INSERT INTO ([`\\w]+)\\.)(\\w+)(\\s)");
    return target.options(db).cluster(cluster).rewrite(s -> {
      String t = also.apply(s);
      if (t == null) {
        return null;
      }
      Matcher into = insert.matcher(t);
      if (into.find() && sharded.contains(db + "." + into.group(3))) {
        t = into.replaceFirst("$1$3_local$4");
      }
      t = t.replace(" ON CLUSTER " + cluster, "");
      t = t.replaceAll("Replicated(\\w*MergeTree)\\('[^']*', '[^']*'(, )?", "$1(");
      t = distributed.matcher(t).replaceAll("ENGINE = Merge('$1', '^$2\\$')");
      assertFalse(t.contains("ON CLUSTER") || t.contains("Distributed(") || t.contains("ReplicatedMergeTree")
          || t.matches("(?s).*Replicated\\w+MergeTree.*"), t);
      return t;
    });
  }

  private static void assertLocalAndDistributedAlike(Connection c, String db, String when) throws Exception {
    for (String table : distributedTables(c, db)) {
      assertEquals(columnsOf(c, db, table + "_local"), columnsOf(c, db, table), when + ": " + table + " and its local table");
    }
  }

  // The stand-ins of the Distributed tables.
  private static List<String> distributedTables(Connection c, String db) throws Exception {
    List<String> out = new ArrayList<>();
    ClickHouseTarget.rows(c, "SELECT name FROM system.tables WHERE database = '" + db + "' AND engine = 'Merge'"
        + " ORDER BY name").forEach(r -> out.add(r.get(0)));
    return out;
  }

  private static List<String> columnsOf(Connection c, String db, String table) throws Exception {
    List<String> out = new ArrayList<>();
    ClickHouseTarget.rows(c, "SELECT concat(name, ' ', type, ' ', default_kind, ' ', default_expression) FROM"
        + " system.columns WHERE database = '" + db + "' AND table = '" + table + "' ORDER BY position")
        .forEach(r -> out.add(r.get(0)));
    return out;
  }

  private static boolean needsCluster(String s) {
    String kw = SqlText.firstKeyword(s);
    return kw.equals("CREATE") || kw.equals("GRANT");
  }

  private static int countStatements(Migrations m) {
    int n = 0;
    for (Migrations.Migration f : m.migrations()) {
      n += m.statements(f).size();
    }
    return n;
  }
}
