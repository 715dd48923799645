package dev.tokenledger.clickhouse.queries;

import dev.tokenledger.clickhouse.ClickHouseHttpFront;
import dev.tokenledger.clickhouse.EmbeddedClickHouse;
import dev.tokenledger.clickhouse.Migrations;
import dev.tokenledger.clickhouse.SqlText;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The ClickHouse these tests query: the real engine embedded in-process behind its HTTP front, or
 * a real server when {@code CLICKHOUSE_URL} is set (with {@code CLICKHOUSE_USER} /
 * {@code CLICKHOUSE_PASSWORD}) — always through clickhouse-jdbc. Each test class gets its own
 * database, created by the migrations with the database renamed, and dropped at the end.
 */
final class QueryTarget {

  private static QueryTarget instance;

  final String url;
  final String user;
  final String password;

  private QueryTarget(String url, String user, String password) {
    this.url = url;
    this.user = user;
    this.password = password;
  }

  static synchronized QueryTarget get() throws Exception {
    if (instance == null) {
      String url = System.getenv("CLICKHOUSE_URL");
      if (url != null && !url.isBlank()) {
        instance = new QueryTarget(url.replaceFirst("^jdbc:clickhouse:", "").replaceFirst("[?].*$", ""),
            envOr("CLICKHOUSE_USER", "default"), envOr("CLICKHOUSE_PASSWORD", ""));
      } else {
        ClickHouseHttpFront front = ClickHouseHttpFront.start(EmbeddedClickHouse.shared());
        instance = new QueryTarget(front.url(), front.user(), front.password());
      }
    }
    return instance;
  }

  Connection connect() throws Exception {
    return Migrations.connect(url, user, password);
  }

  /** A new database with every migration applied (the users file left out, as in the other tests). */
  String migratedDatabase(String prefix) throws Exception {
    String db = prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    try (Connection c = connect()) {
      new Migrations(Migrations.loadDefault(), new Migrations.Options().database(db).skipAccessControl(true).log(null))
          .apply(c);
    }
    return db;
  }

  void drop(String db) {
    try (Connection c = connect(); Statement st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + SqlText.quoteIdentifier(db) + " SYNC");
    } catch (Exception e) {
      System.err.println("[test] could not drop " + db + ": " + e.getMessage());
    }
  }

  /** A result: column names, ClickHouse column types, rows as strings (null for NULL). */
  record Result(List<String> names, List<String> types, List<List<String>> rows) {

    int column(String name) {
      int i = names.indexOf(name);
      if (i < 0) {
        throw new AssertionError("no column " + name + " in " + names);
      }
      return i;
    }
  }

  static Result query(Connection c, String sql) throws Exception {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      ResultSetMetaData md = rs.getMetaData();
      List<String> names = new ArrayList<>();
      List<String> types = new ArrayList<>();
      for (int i = 1; i <= md.getColumnCount(); i++) {
        names.add(md.getColumnLabel(i));
        types.add(md.getColumnTypeName(i));
      }
      List<List<String>> rows = new ArrayList<>();
      while (rs.next()) {
        List<String> row = new ArrayList<>();
        for (int i = 1; i <= names.size(); i++) {
          row.add(rs.getString(i));
        }
        rows.add(row);
      }
      return new Result(names, types, rows);
    }
  }

  static void exec(Connection c, String sql) throws Exception {
    try (Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  private static String envOr(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isEmpty() ? fallback : v;
  }
}
