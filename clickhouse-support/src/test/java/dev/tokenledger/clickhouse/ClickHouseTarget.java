package dev.tokenledger.clickhouse;

import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * The ClickHouse the tests talk to: a real server when {@code CLICKHOUSE_URL} is set (with
 * {@code CLICKHOUSE_USER} / {@code CLICKHOUSE_PASSWORD}), otherwise the embedded engine behind the
 * HTTP front — always through clickhouse-jdbc and HTTP, so the same assertions hold for both.
 *
 * <p>Each test class works in its own database ({@link #newDatabase}), created by the migrations
 * with the database renamed, so runs never collide with each other or with a real deployment's
 * {@code tokenledger} database, and are dropped afterwards.
 */
final class ClickHouseTarget {

  private static ClickHouseTarget instance;

  final String url;
  final String user;
  final String password;
  final boolean embedded;
  final EmbeddedClickHouse engine;
  final ClickHouseHttpFront front;

  private ClickHouseTarget(String url, String user, String password, EmbeddedClickHouse engine,
      ClickHouseHttpFront front) {
    this.url = url;
    this.user = user;
    this.password = password;
    this.embedded = engine != null;
    this.engine = engine;
    this.front = front;
  }

  /** The target for this test run (one per JVM). */
  static synchronized ClickHouseTarget get() throws IOException {
    if (instance == null) {
      String url = System.getenv("CLICKHOUSE_URL");
      if (url != null && !url.isBlank()) {
        // The HTTP helpers need the plain endpoint; JDBC accepts it too.
        url = url.replaceFirst("^jdbc:clickhouse:", "").replaceFirst("[?].*$", "");
        instance = new ClickHouseTarget(url, envOr("CLICKHOUSE_USER", "default"), envOr("CLICKHOUSE_PASSWORD", ""),
            null, null);
      } else {
        long t0 = System.nanoTime();
        EmbeddedClickHouse engine = EmbeddedClickHouse.shared();
        ClickHouseHttpFront front = ClickHouseHttpFront.start(engine);
        System.err.printf(Locale.ROOT, "[test] embedded ClickHouse %s up in %d ms at %s%n", engine.version(),
            (System.nanoTime() - t0) / 1_000_000, front.url());
        instance = new ClickHouseTarget(front.url(), front.user(), front.password(), engine, front);
      }
    }
    return instance;
  }

  Connection connect() throws MigrationException {
    return Migrations.connect(url, user, password);
  }

  /** A fresh database name for one test class. */
  static String uniqueDatabase(String prefix) {
    return prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
  }

  /**
   * Options that put everything into {@code database}. The users file is left out: on the embedded
   * engine it cannot run, and on a real server it would create or extend server-wide users and
   * roles; AccessControlTest applies it with every name made unique.
   */
  Migrations.Options options(String database) {
    return new Migrations.Options().database(database).skipAccessControl(true).log(null);
  }

  /** Drops a test database. */
  void dropDatabase(String database) {
    try (Connection c = connect(); Statement st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + SqlText.quoteIdentifier(database) + " SYNC");
    } catch (Exception e) {
      System.err.println("[test] could not drop " + database + ": " + e.getMessage());
    }
  }

  static List<List<String>> rows(Connection c, String sql) throws SQLException {
    List<List<String>> out = new ArrayList<>();
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        List<String> row = new ArrayList<>(n);
        for (int i = 1; i <= n; i++) {
          row.add(rs.getString(i));
        }
        out.add(row);
      }
    }
    return out;
  }

  static String scalar(Connection c, String sql) throws SQLException {
    List<List<String>> r = rows(c, sql);
    return r.isEmpty() ? null : r.get(0).get(0);
  }

  static void exec(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  private static String envOr(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isEmpty() ? fallback : v;
  }
}
