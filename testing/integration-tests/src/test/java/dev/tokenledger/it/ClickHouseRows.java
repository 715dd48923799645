package dev.tokenledger.it;

import dev.tokenledger.clickhouse.ClickHouseHttpFront;
import dev.tokenledger.clickhouse.Migrations;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Small reads from the embedded engine behind its HTTP front, as the Collector tests need them. */
final class ClickHouseRows {

  static List<Map<String, String>> rows(ClickHouseHttpFront front, String sql) throws Exception {
    try (Connection c = Migrations.connect(front.url(), front.user(), front.password());
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      List<Map<String, String>> out = new ArrayList<>();
      while (rs.next()) {
        Map<String, String> row = new HashMap<>();
        for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
          row.put(rs.getMetaData().getColumnLabel(i), rs.getString(i));
        }
        out.add(row);
      }
      return out;
    }
  }

  /** The single number a query answers in its column {@code n}. */
  static long count(ClickHouseHttpFront front, String sql) throws Exception {
    return Long.parseLong(rows(front, sql).get(0).get("n"));
  }

  /** Column {@code v} of every row (a list: duplicates kept). */
  static List<String> list(ClickHouseHttpFront front, String sql) throws Exception {
    List<String> out = new ArrayList<>();
    for (Map<String, String> row : rows(front, sql)) {
      out.add(row.get("v"));
    }
    return out;
  }

  /** Column {@code v} of every row, as a set. */
  static Set<String> strings(ClickHouseHttpFront front, String sql) throws Exception {
    return new HashSet<>(list(front, sql));
  }

  static void execute(ClickHouseHttpFront front, String sql) throws Exception {
    try (Connection c = Migrations.connect(front.url(), front.user(), front.password());
        Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  private ClickHouseRows() {}
}
