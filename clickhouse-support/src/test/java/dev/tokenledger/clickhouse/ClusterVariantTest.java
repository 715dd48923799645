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
      if (kw.equals("CREATE") || kw.equals("GRANT")) {
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
            assertTrue(formatted.toUpperCase(Locale.ROOT).contains("ON CLUSTER") || !needsCluster(s), formatted);
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
