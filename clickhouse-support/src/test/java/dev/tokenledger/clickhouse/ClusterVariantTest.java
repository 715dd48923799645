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
