package dev.tokenledger.cli;

import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A query result as text: column names, ClickHouse type names and rows of strings (null for NULL).
 * Values are kept exactly as ClickHouse prints them, so token counts are never rounded on the way.
 */
record Table(List<String> columns, List<String> types, List<List<String>> rows) {

  static Table read(ResultSet rs) throws SQLException {
    ResultSetMetaData md = rs.getMetaData();
    int n = md.getColumnCount();
    List<String> columns = new ArrayList<>(n);
    List<String> types = new ArrayList<>(n);
    for (int i = 1; i <= n; i++) {
      columns.add(md.getColumnLabel(i));
      types.add(md.getColumnTypeName(i));
    }
    List<List<String>> rows = new ArrayList<>();
    while (rs.next()) {
      List<String> row = new ArrayList<>(n);
      for (int i = 1; i <= n; i++) {
        row.add(plain(rs.getString(i), types.get(i - 1)));
      }
      rows.add(row);
    }
    return new Table(columns, types, rows);
  }

  // Decimals as plain digits (the driver may print 0E-12 for a zero of scale 12).
  private static String plain(String v, String type) {
    if (v == null || !type.contains("Decimal")) {
      return v;
    }
    try {
      return new java.math.BigDecimal(v).stripTrailingZeros().toPlainString();
    } catch (NumberFormatException e) {
      return v;
    }
  }

  int index(String column) {
    int i = columns.indexOf(column);
    if (i < 0) {
      throw new IllegalArgumentException("no column " + column + " in " + columns);
    }
    return i;
  }

  boolean hasColumn(String column) {
    return columns.contains(column);
  }

  /** True for integer, float and decimal columns (also inside Nullable / LowCardinality). */
  boolean numeric(int column) {
    String t = types.get(column).toLowerCase(Locale.ROOT)
        .replace("nullable(", "").replace("lowcardinality(", "");
    return t.startsWith("int") || t.startsWith("uint") || t.startsWith("float") || t.startsWith("decimal");
  }

  String value(int row, String column) {
    return rows.get(row).get(index(column));
  }

  /** A numeric cell as a double (0 for NULL or empty). */
  double number(int row, String column) {
    String v = value(row, column);
    return v == null || v.isEmpty() ? 0 : Double.parseDouble(v);
  }

  boolean isEmpty() {
    return rows.isEmpty();
  }
}
