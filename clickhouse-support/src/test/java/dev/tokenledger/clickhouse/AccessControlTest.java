package dev.tokenledger.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The users of 012_users.sql: the Collector's writer can insert into the raw tables and neither
 * read nor drop anything; Grafana's reader can read and not write. Needs SQL-driven access control,
 * so it runs only against a real server (CLICKHOUSE_URL, as a user with access management); the
 * embedded engine has none. Users, roles, profiles and the quota get a unique suffix so runs never
 * touch a real deployment's.
 */
class AccessControlTest {

  static ClickHouseTarget target;
  static String db;
  static String suffix;
  static final Map<String, String> PASSWORDS = Map.of(
      "TOKENLEDGER_WRITER_PASSWORD", "w-" + UUID.randomUUID(),
      "TOKENLEDGER_READER_PASSWORD", "r-" + UUID.randomUUID(),
      "TOKENLEDGER_ADMIN_PASSWORD", "a-" + UUID.randomUUID());
  static final List<String> NAMES = List.of("tokenledger_writer_role", "tokenledger_reader_role",
      "tokenledger_admin_role", "tokenledger_writer_profile", "tokenledger_reader_profile", "tokenledger_collector",
      "tokenledger_grafana", "tokenledger_admin", "tokenledger_reader_quota");

  @BeforeAll
  static void setUp() throws Exception {
    target = ClickHouseTarget.get();
    assumeTrue(!target.embedded, "skipped: the embedded ClickHouse engine has no SQL-driven access control (every"
        + " query runs as 'default'; users, roles and grants cannot be created), so 'the Collector user cannot read or"
        + " drop, the Grafana user cannot write' can only be proven on a real server. Set CLICKHOUSE_URL (and"
        + " CLICKHOUSE_USER / CLICKHOUSE_PASSWORD of a user allowed to manage access) to run it.");
    db = ClickHouseTarget.uniqueDatabase("tl_acl");
    suffix = db.substring(db.lastIndexOf('_'));
    Migrations.Options o = new Migrations.Options().database(db).secrets(PASSWORDS::get).log(null);
    for (String n : NAMES) {
      o.rename(n, n + suffix);
    }
    try (Connection c = target.connect()) {
      Migrations.Report r = new Migrations(Migrations.loadDefault(), o).apply(c);
      assertTrue(r.applied().contains("012_users.sql"), r.toString());
    }
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (target == null || target.embedded || db == null) {
      return;
    }
    try (Connection c = target.connect()) {
      for (String sql : List.of("DROP QUOTA IF EXISTS tokenledger_reader_quota", "DROP USER IF EXISTS tokenledger_collector",
          "DROP USER IF EXISTS tokenledger_grafana", "DROP USER IF EXISTS tokenledger_admin",
          "DROP SETTINGS PROFILE IF EXISTS tokenledger_writer_profile",
          "DROP SETTINGS PROFILE IF EXISTS tokenledger_reader_profile", "DROP ROLE IF EXISTS tokenledger_writer_role",
          "DROP ROLE IF EXISTS tokenledger_reader_role", "DROP ROLE IF EXISTS tokenledger_admin_role")) {
        ClickHouseTarget.exec(c, sql + suffix);
      }
    }
    target.dropDatabase(db);
  }

  @Test
  void writerInsertsButCannotReadOrDrop() throws Exception {
    try (Connection w = Migrations.connect(target.url, "tokenledger_collector" + suffix,
        PASSWORDS.get("TOKENLEDGER_WRITER_PASSWORD"))) {
      List<UsageFixture.Record> recs = UsageFixture.records(3, 5, Instant.parse("2026-11-24T10:00:00Z"), 60);
      ClickHouseTarget.exec(w, UsageFixture.insertSql(db, recs, null));
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
    try (Connection c = target.connect()) {
      // The materialized views ran as their definer: the writer's rows reached the ledger.
      assertEquals("5", ClickHouseTarget.scalar(c, "SELECT count() FROM " + db + ".usage_events"));
    }
  }

  @Test
  void readerReadsButCannotWrite() throws Exception {
    try (Connection r = Migrations.connect(target.url, "tokenledger_grafana" + suffix,
        PASSWORDS.get("TOKENLEDGER_READER_PASSWORD"))) {
      ClickHouseTarget.scalar(r, "SELECT count() FROM " + db + ".usage_hourly");
      ClickHouseTarget.scalar(r, "SELECT count() FROM " + db + ".usage_daily_openai");
      assertDenied(() -> ClickHouseTarget.exec(r, "INSERT INTO " + db + ".api_key_map (project_id, api_key_fingerprint,"
          + " api_key_id) VALUES ('p', 'f', 'k')"));
      assertDenied(() -> ClickHouseTarget.exec(r, "INSERT INTO " + db + ".otel_logs (Body) VALUES ('x')"));
      assertDenied(() -> ClickHouseTarget.exec(r, "INSERT INTO " + db + ".usage_hourly (hour) VALUES (now())"));
      assertDenied(() -> ClickHouseTarget.exec(r, "ALTER TABLE " + db + ".usage_records DELETE WHERE 1"));
      assertDenied(() -> ClickHouseTarget.exec(r, "TRUNCATE TABLE " + db + ".usage_events"));
      assertDenied(() -> ClickHouseTarget.exec(r, "CREATE TABLE " + db + ".x (a UInt8) ENGINE = Memory"));
      assertDenied(() -> ClickHouseTarget.exec(r, "DROP TABLE " + db + ".usage_hourly"));
    }
    try (Connection c = target.connect()) {
      // Nothing the reader tried changed anything.
      assertEquals("0", ClickHouseTarget.scalar(c, "SELECT count() FROM " + db + ".api_key_map"));
      assertEquals("1", ClickHouseTarget.scalar(c, "SELECT count() FROM system.tables WHERE database = '" + db
          + "' AND name = 'usage_hourly'"));
    }
  }

  interface Sql {
    void run() throws Exception;
  }

  private static void assertDenied(Sql sql) {
    Exception e = assertThrows(Exception.class, sql::run);
    String m = String.valueOf(e.getMessage()) + (e.getCause() == null ? "" : e.getCause().getMessage());
    assertTrue(e instanceof SQLException && (m.contains("ACCESS_DENIED") || m.contains("READONLY")
        || m.contains("Code: 497") || m.contains("Code: 164")), m);
  }
}
