package dev.tokenledger.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.clickhouse.queries.Query;
import dev.tokenledger.clickhouse.queries.QueryLibrary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The users of 012_users.sql as 019_scoped_grants.sql leaves them, each doing what it should and
 * nothing more: the Collector's writer inserts and neither reads, drops nor changes the settings
 * de-duplication depends on; Grafana's reader runs every query of the library and sees of the raw
 * tables only TokenLedger's usage records, and cannot raise its timeout beyond the maximum; the admin
 * manages tokenledger_* users and roles and grants on its own database only.
 *
 * <p>Two places, the same assertions:
 * <ul>
 *   <li>a real server (CLICKHOUSE_URL, as a user with access management): the migrations run as
 *       they are, in a throw-away database, every user, role, policy and profile name with a unique
 *       suffix; the test connects as each user with its password;
 *   <li>otherwise the embedded engine, which reads access entities only from a users file and
 *       connects every session as {@code default}: the access statements of the migrations are
 *       carried into a users file ({@link AccessUsersFile}), and the engine is restarted on the same
 *       data with {@code default} standing for each user in turn. libchdb keeps the pre-24.1
 *       access-control defaults, so there the reader cannot change max_execution_time at all
 *       (changeable_in_readonly cannot be loaded): the ceiling is checked, the change within it
 *       only on a server. Privileges a user lacks are refused by the same checks a server makes;
 *       creating a user or role within the admin's scope ends in ACCESS_STORAGE_FOR_INSERTION_NOT_FOUND
 *       (the privilege check passed; the engine has nowhere to store it).
 * </ul>
 * Runs in a JVM of its own on the embedded engine (the engine is one per process and restarted
 * here): see the pom's access-control execution.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AccessControlTest {

  static final Map<String, String> PASSWORDS = Map.of(
      "TOKENLEDGER_WRITER_PASSWORD", "w-" + UUID.randomUUID(),
      "TOKENLEDGER_READER_PASSWORD", "r-" + UUID.randomUUID(),
      "TOKENLEDGER_ADMIN_PASSWORD", "a-" + UUID.randomUUID());
  static final List<String> NAMES = List.of("tokenledger_writer_role", "tokenledger_reader_role",
      "tokenledger_admin_role", "tokenledger_writer_profile", "tokenledger_reader_profile", "tokenledger_collector",
      "tokenledger_grafana", "tokenledger_admin", "tokenledger_reader_quota", "tokenledger_mv_definer",
      "tokenledger_reader_usage_records", "tokenledger_all_rows");
  static final Instant T0 = Instant.parse("2026-11-24T10:00:00Z");

  static boolean embedded;
  static String db;
  static String otherDb;
  static String suffix;
  // Real server.
  static ClickHouseTarget server;
  // Embedded engine.
  static Path dataDir;
  static AccessUsersFile usersFile;
  static EmbeddedClickHouse engine;
  static ClickHouseHttpFront front;
  static String current;

  @BeforeAll
  static void setUp() throws Exception {
    String url = System.getenv("CLICKHOUSE_URL");
    embedded = url == null || url.isBlank();
    if (embedded) {
      db = "tokenledger";
      suffix = "";
      otherDb = "tl_other";
      dataDir = Files.createTempDirectory("tokenledger-acl-");
      Migrations m = new Migrations(Migrations.loadDefault(), new Migrations.Options().secrets(PASSWORDS::get).log(null));
      List<String> access = new ArrayList<>();
      for (Migrations.Migration f : m.migrations()) {
        if (f.requiresAccessManagement()) {
          access.addAll(m.statements(f));
        }
      }
      usersFile = new AccessUsersFile(access);
      try (Connection c = as(null)) {
        new Migrations(Migrations.loadDefault(), new Migrations.Options().skipAccessControl(true).log(null)).apply(c);
        // What the access files hold besides access entities (019: the views' SQL SECURITY).
        for (String s : usersFile.otherStatements()) {
          ClickHouseTarget.exec(c, s);
        }
      }
    } else {
      server = ClickHouseTarget.get();
      db = ClickHouseTarget.uniqueDatabase("tl_acl");
      suffix = db.substring(db.lastIndexOf('_'));
      otherDb = db + "_other";
      Migrations.Options o = new Migrations.Options().database(db).secrets(PASSWORDS::get).log(null);
      for (String n : NAMES) {
        o.rename(n, n + suffix);
      }
      try (Connection c = server.connect()) {
        Migrations.Report r = new Migrations(Migrations.loadDefault(), o).apply(c);
        assertTrue(r.applied().contains("012_users.sql") && r.applied().contains("019_scoped_grants.sql"), r.toString());
      }
    }
    try (Connection c = as(null)) {
      ClickHouseTarget.exec(c, "CREATE DATABASE IF NOT EXISTS " + otherDb);
      // Two usage records and one line of the application's own log, as the exporter would store them.
      ClickHouseTarget.exec(c, UsageFixture.insertSql(db, UsageFixture.records(7, 2, T0, 60), null));
      ClickHouseTarget.exec(c, "INSERT INTO " + db + ".otel_logs (" + UsageFixture.LOG_COLUMNS + ") VALUES "
          + UsageFixture.otherLogRow(T0, "", Map.of("http.url", "https://shop.example/checkout?card=4111")));
      // TokenLedger's own dropped-records metric next to one of the application's metrics.
      ClickHouseTarget.exec(c, "INSERT INTO " + db + ".otel_metrics_sum (MetricName, TimeUnix, Value) VALUES"
          + " ('tokenledger.records.dropped', now(), 3), ('http.server.request.count', now(), 5)");
    }
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (embedded) {
      closeEngine();
      if (dataDir != null) {
        EmbeddedClickHouse.deleteTree(dataDir);
      }
      return;
    }
    if (server == null || db == null) {
      return;
    }
    try (Connection c = server.connect()) {
      for (String sql : List.of("DROP ROW POLICY IF EXISTS tokenledger_reader_usage_records" + suffix + " ON " + db
              + ".otel_logs, " + db + ".otel_logs_local",
          "DROP ROW POLICY IF EXISTS tokenledger_all_rows" + suffix + " ON " + db + ".otel_logs, " + db + ".otel_logs_local",
          "DROP QUOTA IF EXISTS tokenledger_reader_quota" + suffix, "DROP USER IF EXISTS tokenledger_collector" + suffix,
          "DROP USER IF EXISTS tokenledger_grafana" + suffix, "DROP USER IF EXISTS tokenledger_admin" + suffix,
          "DROP USER IF EXISTS tokenledger_mv_definer" + suffix,
          "DROP SETTINGS PROFILE IF EXISTS tokenledger_writer_profile" + suffix,
          "DROP SETTINGS PROFILE IF EXISTS tokenledger_reader_profile" + suffix,
          "DROP ROLE IF EXISTS tokenledger_writer_role" + suffix, "DROP ROLE IF EXISTS tokenledger_reader_role" + suffix,
          "DROP ROLE IF EXISTS tokenledger_admin_role" + suffix)) {
        ClickHouseTarget.exec(c, sql);
      }
      ClickHouseTarget.exec(c, "DROP DATABASE IF EXISTS " + otherDb);
    }
    server.dropDatabase(db);
  }

  // ----------------------------------------------------------------------------------------- writer

  @Test
  @Order(1)
  void writerInsertsAndCannotReadDropOrLoosenDeduplication() throws Exception {
    long ledgerBefore;
    try (Connection c = as(null)) {
      ledgerBefore = Long.parseLong(ClickHouseTarget.scalar(c, "SELECT count() FROM " + db + ".usage_events"));
    }
    try (Connection w = as("tokenledger_collector")) {
      List<UsageFixture.Record> recs = UsageFixture.records(3, 5, T0.plusSeconds(3600), 60);
      // The settings the exporter may send along, at the pinned values, are accepted.
      ClickHouseTarget.exec(w, UsageFixture.insertSql(db, recs, "async_insert = 0, insert_deduplicate = 1"));
      for (String loosened : List.of("async_insert = 1", "insert_deduplicate = 0",
          "deduplicate_blocks_in_dependent_materialized_views = 0")) {
        assertRefusedSetting(() -> ClickHouseTarget.exec(w, UsageFixture.insertSql(db,
            UsageFixture.records(11, 1, T0.plusSeconds(7200), 60), loosened)), loosened);
      }
      assertDenied(() -> ClickHouseTarget.scalar(w, "SELECT count() FROM " + db + ".otel_logs"));
      assertDenied(() -> ClickHouseTarget.scalar(w, "SELECT count() FROM " + db + ".usage_events"));
      assertDenied(() -> ClickHouseTarget.scalar(w, "SELECT sum(input_tokens) FROM " + db + ".usage_hourly"));
      assertDenied(() -> ClickHouseTarget.scalar(w, "SELECT count() FROM " + db + ".usage_daily_openai"));
      assertDenied(() -> ClickHouseTarget.exec(w, "DROP TABLE " + db + ".otel_logs"));
      assertDenied(() -> ClickHouseTarget.exec(w, "DROP TABLE " + db + ".usage_events"));
      assertDenied(() -> ClickHouseTarget.exec(w, "DROP DATABASE " + db));
      assertDenied(() -> ClickHouseTarget.exec(w, "TRUNCATE TABLE " + db + ".otel_logs"));
      assertDenied(() -> ClickHouseTarget.exec(w, "ALTER TABLE " + db + ".otel_logs DELETE WHERE 1"));
      assertDenied(() -> ClickHouseTarget.exec(w, "INSERT INTO " + db + ".usage_hourly (hour) VALUES (now())"));
    }
    try (Connection c = as(null)) {
      // The materialized views ran as their own user: the writer's five rows reached the ledger.
      assertEquals(ledgerBefore + 5, Long.parseLong(ClickHouseTarget.scalar(c, "SELECT count() FROM " + db
          + ".usage_events")));
      assertEquals(n("tokenledger_mv_definer"), ClickHouseTarget.scalar(c, "SELECT definer FROM system.tables WHERE"
          + " database = '" + db + "' AND name = 'usage_records_mv'"));
    }
  }

  // ----------------------------------------------------------------------------------------- reader

  @Test
  @Order(2)
  void readerRunsEveryLibraryQueryAndSeesOnlyUsageRecordsOfTheRawTables() throws Exception {
    try (Connection r = as("tokenledger_grafana")) {
      for (Query q : QueryLibrary.fromRepository().all()) {
        // With the defaults (filters empty) and with every filter set, as a dashboard variable does:
        // a filter can bring in a subquery on another table.
        for (boolean filtered : List.of(false, true)) {
          String sql = q.render(values(q, filtered), db);
          try {
            ClickHouseTarget.rows(r, sql);
          } catch (SQLException e) {
            throw new AssertionError("the reader cannot run query " + q.name() + (filtered ? " with its filters set" : "")
                + ": " + e.getMessage(), e);
          }
        }
      }
      // Usage records only: the application's own log line is not there.
      long usageRecords = Long.parseLong(ClickHouseTarget.scalar(r, "SELECT count() FROM " + db + ".otel_logs"));
      assertTrue(usageRecords >= 2, "usage records the reader sees: " + usageRecords);
      assertEquals("0", ClickHouseTarget.scalar(r, "SELECT count() FROM " + db + ".otel_logs WHERE NOT (EventName ="
          + " 'tokenledger.usage' OR mapContains(LogAttributes, 'tokenledger.usage.source'))"));
      assertEquals("0", ClickHouseTarget.scalar(r, "SELECT count() FROM " + db + ".otel_logs WHERE"
          + " mapContains(LogAttributes, 'http.url') OR Body LIKE '%checkout%'"));
      // Of the metrics, only TokenLedger's count of records the agents could not deliver.
      assertEquals("1", ClickHouseTarget.scalar(r, "SELECT count() FROM " + db + ".otel_metrics_sum"));
      assertEquals("0", ClickHouseTarget.scalar(r, "SELECT count() FROM " + db + ".otel_metrics_sum"
          + " WHERE MetricName != 'tokenledger.records.dropped'"));
      for (String raw : List.of("otel_traces", "otel_metrics_gauge", "otel_metrics_histogram",
          "otel_traces_trace_id_ts", "schema_migrations")) {
        assertDenied(() -> ClickHouseTarget.scalar(r, "SELECT count() FROM " + db + "." + raw));
      }
      // Nothing written, created or dropped.
      assertDenied(() -> ClickHouseTarget.exec(r, "INSERT INTO " + db + ".api_key_map (project_id, api_key_fingerprint,"
          + " api_key_id) VALUES ('p', 'f', 'k')"));
      assertDenied(() -> ClickHouseTarget.exec(r, "INSERT INTO " + db + ".otel_logs (Body) VALUES ('x')"));
      assertDenied(() -> ClickHouseTarget.exec(r, "INSERT INTO " + db + ".usage_hourly (hour) VALUES (now())"));
      assertDenied(() -> ClickHouseTarget.exec(r, "ALTER TABLE " + db + ".usage_records DELETE WHERE 1"));
      assertDenied(() -> ClickHouseTarget.exec(r, "TRUNCATE TABLE " + db + ".usage_events"));
      assertDenied(() -> ClickHouseTarget.exec(r, "CREATE TABLE " + db + ".x (a UInt8) ENGINE = Memory"));
      assertDenied(() -> ClickHouseTarget.exec(r, "DROP TABLE " + db + ".usage_hourly"));
      // The timeout has a ceiling, and readonly stays.
      assertRefusedSetting(() -> ClickHouseTarget.scalar(r, "SELECT 1 SETTINGS max_execution_time = 301"),
          "max_execution_time = 301");
      assertRefusedSetting(() -> ClickHouseTarget.scalar(r, "SELECT 1 SETTINGS readonly = 0"), "readonly = 0");
      if (!embedded) {
        assertEquals("300", ClickHouseTarget.scalar(r, "SELECT max FROM system.settings WHERE name = 'max_execution_time'"));
        assertEquals("1", ClickHouseTarget.scalar(r, "SELECT 1 SETTINGS max_execution_time = 120"));
        SQLException e = assertThrows(SQLException.class,
            () -> ClickHouseTarget.scalar(r, "SELECT 1 SETTINGS max_execution_time = 301"));
        assertTrue(message(e).contains("SETTING_CONSTRAINT_VIOLATION"), message(e));
      }
    }
    try (Connection c = as(null)) {
      // The ceiling is the profile's, as the migration wrote it (on the engine the reader cannot
      // change the setting at all, see the class comment).
      assertEquals("300", ClickHouseTarget.scalar(c, "SELECT max FROM system.settings_profile_elements WHERE"
          + " profile_name = '" + n("tokenledger_reader_profile") + "' AND setting_name = 'max_execution_time'"));
      assertEquals("0", ClickHouseTarget.scalar(c, "SELECT count() FROM " + db + ".api_key_map"));
      assertEquals("1", ClickHouseTarget.scalar(c, "SELECT count() FROM system.tables WHERE database = '" + db
          + "' AND name = 'usage_hourly'"));
      // The application's log line is still there for those allowed to see it.
      assertEquals("1", ClickHouseTarget.scalar(c, "SELECT count() FROM " + db + ".otel_logs WHERE EventName = ''"
          + " AND NOT mapContains(LogAttributes, 'tokenledger.usage.source')"));
    }
  }

  // ------------------------------------------------------------------------------------------ admin

  @Test
  @Order(3)
  void adminManagesItsOwnUsersAndDatabaseOnly() throws Exception {
    try (Connection a = as("tokenledger_admin")) {
      // Beyond its scope: refused by privilege.
      assertDenied(() -> ClickHouseTarget.exec(a, "GRANT SELECT ON " + otherDb + ".* TO " + n("tokenledger_reader_role")));
      assertDenied(() -> ClickHouseTarget.exec(a, "GRANT SELECT ON system.* TO " + n("tokenledger_reader_role")));
      assertDenied(() -> ClickHouseTarget.exec(a, "GRANT ACCESS MANAGEMENT ON *.* TO " + n("tokenledger_admin_role")));
      assertDenied(() -> ClickHouseTarget.exec(a, "GRANT ROLE ADMIN ON *.* TO " + n("tokenledger_admin_role")));
      assertDenied(() -> ClickHouseTarget.exec(a, "GRANT " + n("tokenledger_admin_role") + " TO " + n("tokenledger_grafana")));
      assertDenied(() -> ClickHouseTarget.exec(a, "CREATE USER someone_else" + suffix + " IDENTIFIED BY 'x-Pass-1234'"));
      assertDenied(() -> ClickHouseTarget.exec(a, "ALTER USER default IDENTIFIED BY 'x-Pass-1234'"));
      assertDenied(() -> ClickHouseTarget.exec(a, "CREATE ROLE some_role" + suffix));
      assertDenied(() -> ClickHouseTarget.exec(a, "CREATE SETTINGS PROFILE some_profile" + suffix));
      assertDenied(() -> ClickHouseTarget.exec(a, "CREATE TABLE " + otherDb + ".x (a UInt8) ENGINE = Memory"));
      assertDenied(() -> ClickHouseTarget.exec(a, "CREATE ROW POLICY p" + suffix + " ON " + otherDb + ".x USING 1 TO "
          + n("tokenledger_reader_role")));
      // Within it.
      ClickHouseTarget.exec(a, "CREATE TABLE " + db + ".admin_probe (a UInt8) ENGINE = Memory");
      ClickHouseTarget.exec(a, "DROP TABLE " + db + ".admin_probe");
      ClickHouseTarget.rows(a, "SHOW GRANTS FOR " + n("tokenledger_grafana"));
      String probe = "tokenledger_probe" + suffix;
      allowedByPrivilege(() -> ClickHouseTarget.exec(a, "CREATE USER " + probe + " IDENTIFIED BY 'x-Pass-1234'"));
      allowedByPrivilege(() -> ClickHouseTarget.exec(a, "GRANT " + n("tokenledger_reader_role") + " TO "
          + n("tokenledger_grafana")));
      allowedByPrivilege(() -> ClickHouseTarget.exec(a, "GRANT SELECT ON " + db + ".usage_hourly TO "
          + n("tokenledger_reader_role")));
      if (!embedded) {
        ClickHouseTarget.exec(a, "DROP USER " + probe);
      }
    }
  }

  // ---------------------------------------------------------------------------------------- helpers

  /** The name as the migrations created it here (a unique suffix on a server). */
  static String n(String name) {
    return name + suffix;
  }

  /**
   * A connection as {@code user} (null: the administrator who ran the migrations). On the embedded
   * engine this restarts the engine with {@code default} standing for that user.
   */
  static Connection as(String user) throws Exception {
    if (!embedded) {
      if (user == null) {
        return server.connect();
      }
      String password = switch (user) {
        case "tokenledger_collector" -> PASSWORDS.get("TOKENLEDGER_WRITER_PASSWORD");
        case "tokenledger_grafana" -> PASSWORDS.get("TOKENLEDGER_READER_PASSWORD");
        case "tokenledger_admin" -> PASSWORDS.get("TOKENLEDGER_ADMIN_PASSWORD");
        default -> throw new IllegalArgumentException(user);
      };
      return Migrations.connect(server.url, n(user), password);
    }
    String identity = user == null ? "(superuser)" : user;
    if (!identity.equals(current)) {
      closeEngine();
      engine = EmbeddedClickHouse.start(dataDir, usersFile.xml(user));
      front = ClickHouseHttpFront.start(engine);
      current = identity;
    }
    return Migrations.connect(front.url(), front.user(), front.password());
  }

  private static void closeEngine() {
    if (front != null) {
      front.close();
      front = null;
    }
    if (engine != null) {
      engine.close();
      engine = null;
    }
    current = null;
  }

  private static Map<String, String> values(Query q, boolean filtered) {
    Map<String, String> values = new HashMap<>();
    for (Query.Parameter p : q.parameters()) {
      if (filtered && p.isArray()) {
        values.put(p.name(), "x");
      } else if (p.required()) {
        values.put(p.name(), p.type().startsWith("DateTime") ? "2026-11-24T10:00:00Z"
            : p.type().startsWith("Date") ? "2026-11-24"
            : p.type().matches("U?Int\\d+") ? "1"
            : p.type().startsWith("Array") ? "" : "x");
      }
    }
    return values;
  }

  interface Sql {
    void run() throws Exception;
  }

  private static void assertDenied(Sql sql) {
    Exception e = assertThrows(Exception.class, sql::run);
    String m = message(e);
    assertTrue(e instanceof SQLException && (m.contains("ACCESS_DENIED") || m.contains("READONLY")
        || m.contains("Code: 497") || m.contains("Code: 164")), m);
  }

  // A setting outside the profile's constraints: SETTING_CONSTRAINT_VIOLATION; on the embedded
  // engine the reader's readonly = 1 refuses any change first (READONLY).
  private static void assertRefusedSetting(Sql sql, String what) {
    Exception e = assertThrows(Exception.class, sql::run, what);
    String m = message(e);
    assertTrue(m.contains("SETTING_CONSTRAINT_VIOLATION") || m.contains("Code: 452") || m.contains("READONLY")
        || m.contains("Code: 164"), what + ": " + m);
  }

  // Allowed by the privileges: done on a server; on the embedded engine the privilege check passes
  // and the statement stops at the read-only users file.
  private static void allowedByPrivilege(Sql sql) throws Exception {
    if (!embedded) {
      sql.run();
      return;
    }
    try {
      sql.run();
    } catch (SQLException e) {
      String m = message(e);
      assertFalse(m.contains("ACCESS_DENIED") || m.contains("Code: 497"), m);
      assertTrue(m.contains("ACCESS_STORAGE_FOR_INSERTION_NOT_FOUND") || m.contains("ACCESS_STORAGE_READONLY")
          || m.contains("Code: 514") || m.contains("Code: 495"), m);
    }
  }

  private static String message(Exception e) {
    return String.valueOf(e.getMessage()) + (e.getCause() == null ? "" : e.getCause().getMessage());
  }
}
