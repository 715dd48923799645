package dev.tokenledger.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every migration applies through clickhouse-jdbc; a second run changes nothing; applied files are
 * protected by their checksum; bad URLs and credentials are reported as what to do.
 */
class MigrationsTest {

  static final List<String> TABLES = List.of("api_key_map", "model_prices", "openai_usage_import", "openai_usage_import_runs",
      "openai_usage_imported", "otel_logs",
      "otel_metrics_exponential_histogram", "otel_metrics_gauge", "otel_metrics_histogram", "otel_metrics_sum",
      "otel_metrics_summary", "otel_traces", "otel_traces_trace_id_ts", "otel_traces_trace_id_ts_mv",
      "rollup_rebuild_lock", "schema_migrations", "usage_cost_hourly", "usage_daily_openai", "usage_events",
      "usage_events_priced", "usage_hourly", "usage_hourly_correction", "usage_hourly_mv", "usage_hourly_priced",
      "usage_parity_daily", "usage_priced", "usage_records", "usage_records_mv");

  static ClickHouseTarget target;
  static String db;
  static List<String> created = new ArrayList<>();

  @BeforeAll
  static void setUp() throws Exception {
    target = ClickHouseTarget.get();
    db = ClickHouseTarget.uniqueDatabase("tl_migr");
    created.add(db);
  }

  @AfterAll
  static void tearDown() {
    if (target != null) {
      created.forEach(target::dropDatabase);
    }
  }

  @Test
  void everyMigrationAppliesAndASecondRunChangesNothing() throws Exception {
    List<Migrations.Migration> files = Migrations.loadDefault();
    // Numbered 001 … N without gaps, so a new migration needs no change here; but for numbers
    // reserved for migrations still being written elsewhere.
    java.util.Set<Integer> reserved = java.util.Set.of(19);
    int last = files.get(files.size() - 1).version();
    assertEquals(files.stream().map(f -> f.version()).toList(), java.util.stream.IntStream.rangeClosed(1, last)
        .filter(v -> !reserved.contains(v) || files.stream().anyMatch(f -> f.version() == v)).boxed().toList());
    assertTrue(files.size() >= 15, files.toString());
    try (Connection c = target.connect()) {
      Migrations.Report first = new Migrations(files, target.options(db)).apply(c);
      assertEquals(files.size(), first.applied().size() + first.skipped().size(), first.toString());
      // The access-control files (012 users, 019 grants) need a server's access storage.
      assertEquals(files.stream().filter(Migrations.Migration::requiresAccessManagement).map(Migrations.Migration::name)
          .toList(), first.skipped());
      assertTrue(first.skipped().containsAll(List.of("012_users.sql", "019_scoped_grants.sql")), first.toString());

      List<String> tables = new ArrayList<>();
      ClickHouseTarget.rows(c, "SELECT name FROM system.tables WHERE database = '" + db + "' ORDER BY name")
          .forEach(r -> tables.add(r.get(0)));
      assertEquals(TABLES, tables);
      List<List<String>> recorded = ClickHouseTarget.rows(c, "SELECT version, name, checksum, variant FROM " + db
          + ".schema_migrations FINAL ORDER BY version");
      assertEquals(first.applied().size(), recorded.size());
      assertEquals(List.of("1", "001_database.sql", files.get(0).checksum(), "single"), recorded.get(0));

      String snapshot = snapshot(c);
      Migrations.Report second = new Migrations(Migrations.loadDefault(), target.options(db)).apply(c);
      assertTrue(second.applied().isEmpty(), second.toString());
      assertEquals(first.applied(), second.alreadyApplied());
      assertEquals(snapshot, snapshot(c));

      // Each statement is idempotent on its own too (IF NOT EXISTS; seeds collapse under FINAL): every
      // file's statements run twice outside the bookkeeping, each file where it stands in the sequence
      // (a half-applied file is run again before any later one; 016 turns the table usage_events into
      // a view, which 013's ALTER could not run on), make the same schema.
      String again = ClickHouseTarget.uniqueDatabase("tl_migr_again");
      created.add(again);
      Migrations m = new Migrations(files, target.options(again));
      for (Migrations.Migration f : files) {
        if (f.requiresAccessManagement()) {
          continue;
        }
        for (int run = 0; run < 2; run++) {
          for (String s : m.statements(f)) {
            if (!s.contains("${")) {
              ClickHouseTarget.exec(c, s);
            }
          }
        }
      }
      assertEquals(schema(c, db).replace(db, "DB"), schema(c, again).replace(again, "DB"));
    }
  }

  private static String snapshot(Connection c) throws Exception {
    return schema(c, db) + "\n" + ClickHouseTarget.rows(c, "SELECT count() FROM " + db + ".schema_migrations FINAL");
  }

  private static String schema(Connection c, String database) throws Exception {
    return ClickHouseTarget.rows(c, "SELECT name, create_table_query FROM system.tables WHERE database = '" + database
        + "' ORDER BY name") + "\n"
        + ClickHouseTarget.rows(c, "SELECT count(), sum(ifNull(input_text_per_mtok, 0)) FROM " + database
        + ".model_prices FINAL");
  }

  @Test
  void aChangedAppliedFileIsRefusedWithWhatToDo(@TempDir Path dir) throws Exception {
    for (Migrations.Migration f : Migrations.loadDefault()) {
      Files.writeString(dir.resolve(f.name()), f.text());
    }
    String other = ClickHouseTarget.uniqueDatabase("tl_migr_sum");
    created.add(other);
    try (Connection c = target.connect()) {
      new Migrations(Migrations.loadDirectory(dir), target.options(other)).apply(c);
      Path edited = dir.resolve("007_api_key_map.sql");
      Files.writeString(edited, Files.readString(edited) + "\n-- an innocent-looking edit\n");
      MigrationException e = assertThrows(MigrationException.class,
          () -> new Migrations(Migrations.loadDirectory(dir), target.options(other)).apply(c));
      assertEquals(MigrationException.Kind.CHECKSUM, e.kind());
      assertTrue(e.getMessage().contains("007_api_key_map.sql"), e.getMessage());
      assertTrue(e.getMessage().contains("new numbered file"), e.getMessage());
      // A new file is fine.
      Files.writeString(edited, Migrations.loadDefault().get(6).text());
      int next = Migrations.loadDefault().get(Migrations.loadDefault().size() - 1).version() + 1;
      String extra = String.format("%03d_extra.sql", next);
      Files.writeString(dir.resolve(extra), "-- " + next + ": test\nCREATE TABLE IF NOT EXISTS tokenledger.extra "
          + "(a UInt8) ENGINE = MergeTree ORDER BY a;\n");
      Migrations.Report r = new Migrations(Migrations.loadDirectory(dir), target.options(other)).apply(c);
      assertEquals(List.of(extra), r.applied());
    }
  }

  @Test
  void secretsComeFromTheEnvironmentAndAreRequired(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("001_database.sql"), Migrations.loadDefault().get(0).text());
    Files.writeString(dir.resolve("002_secret.sql"), "-- 002: a placeholder\n"
        + "CREATE TABLE IF NOT EXISTS tokenledger.secret_check (h String) ENGINE = MergeTree ORDER BY h;\n"
        + "INSERT INTO tokenledger.secret_check VALUES ('${TL_TEST_SECRET_SHA256}');\n");
    String other = ClickHouseTarget.uniqueDatabase("tl_migr_sec");
    created.add(other);
    try (Connection c = target.connect()) {
      MigrationException e = assertThrows(MigrationException.class, () -> new Migrations(Migrations.loadDirectory(dir),
          target.options(other).secrets(Map.<String, String>of()::get)).apply(c));
      assertEquals(MigrationException.Kind.CONFIGURATION, e.kind());
      assertTrue(e.getMessage().contains("TL_TEST_SECRET"), e.getMessage());
      new Migrations(Migrations.loadDirectory(dir), target.options(other).secrets(Map.of("TL_TEST_SECRET", "pw")::get))
          .apply(c);
      assertEquals(Migrations.sha256("pw"), ClickHouseTarget.scalar(c, "SELECT h FROM " + other + ".secret_check"));
    }
  }

  @Test
  void unreachableServerIsReportedAsSuch() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    MigrationException e = assertThrows(MigrationException.class, () -> {
      try (Connection c = Migrations.connect("http://127.0.0.1:" + port, "default", "")) {
        new Migrations(Migrations.loadDefault(), new Migrations.Options()).status(c);
      }
    });
    assertEquals(MigrationException.Kind.UNREACHABLE, e.kind(), e.getMessage());
    assertTrue(e.getMessage().startsWith("Cannot reach ClickHouse"), e.getMessage());
    assertTrue(e.getMessage().contains("CLICKHOUSE_URL"), e.getMessage());
  }

  @Test
  void wrongCredentialsAreReportedAsSuch() throws Exception {
    MigrationException e = assertThrows(MigrationException.class, () -> {
      try (Connection c = Migrations.connect(target.url, target.user, "definitely-wrong-" + System.nanoTime())) {
        new Migrations(Migrations.loadDefault(), target.options(ClickHouseTarget.uniqueDatabase("tl_never"))).apply(c);
      }
    });
    assertEquals(MigrationException.Kind.AUTHENTICATION, e.kind(), e.getMessage());
    assertTrue(e.getMessage().contains("CLICKHOUSE_PASSWORD"), e.getMessage());
  }

  @Test
  void ttlsNamesAndDatabaseAreDerivedFromTheSameFiles() throws Exception {
    Migrations m = new Migrations(Migrations.loadDefault(), new Migrations.Options().database("tl_other")
        .ttlDays("raw_days", 7).ttlDays("ledger_days", 90).rename("tokenledger_collector", "otel_writer").log(null));
    String all = statements(m);
    assertTrue(all.contains("CREATE TABLE IF NOT EXISTS tl_other.otel_logs"), all);
    assertTrue(all.contains("TTL toDateTime(Timestamp) + toIntervalDay(7) /* ttl:raw_days */"));
    assertTrue(all.contains("TTL toDateTime(Timestamp) + toIntervalDay(90) /* ttl:ledger_days */"));
    assertFalse(all.contains("toIntervalDay(30)"));
    assertTrue(all.contains("CREATE USER IF NOT EXISTS otel_writer"));
    assertTrue(all.contains("GRANT tokenledger_writer_role TO otel_writer"));
    assertTrue(all.contains("LogAttributes['tokenledger.usage.input_tokens']"), "strings are untouched");
    String code = SqlText.join(SqlText.tokenize(all).stream().filter(t -> t.kind() != SqlText.Kind.COMMENT && t.kind() != SqlText.Kind.STRING).toList());
    assertFalse(code.matches("(?s).*\\btokenledger\\.[a-z_]+\\b.*"), code);
    // The checksum is that of the file as written.
    assertEquals(Migrations.loadDefault().get(1).checksum(), m.migrations().get(1).checksum());
  }

  @Test
  void theJarCopyEqualsTheDirectory() throws Exception {
    List<Migrations.Migration> dir = Migrations.loadDefault();
    List<Migrations.Migration> jar = Migrations.loadClasspath();
    assertEquals(dir.stream().map(f -> f.name() + " " + f.checksum()).toList(),
        jar.stream().map(f -> f.name() + " " + f.checksum()).toList());
  }

  @Test
  void printShowsTheDerivedStatementsWithoutAServer() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new Migrations(Migrations.loadDefault(), new Migrations.Options().cluster("c1"))
        .print(new PrintStream(out, true, StandardCharsets.UTF_8));
    String text = out.toString(StandardCharsets.UTF_8);
    assertTrue(text.contains("-- 005_usage_events.sql"), text);
    assertTrue(text.contains("CREATE MATERIALIZED VIEW IF NOT EXISTS tokenledger.usage_events_mv ON CLUSTER c1"), text);
  }

  @Test
  void theChecksumCoversStatementsAndDirectivesNotProse() throws Exception {
    String file = "-- Why this table exists (see docs/clickhouse.md).\n-- requires: access_management\n"
        + "CREATE TABLE IF NOT EXISTS t (a UInt8) ENGINE = MergeTree ORDER BY a;\n";
    String checksum = Migrations.checksumOf(file);
    assertEquals(checksum, Migrations.checksumOf(file.replace("see docs/clickhouse.md", "corrected")));
    assertNotEquals(checksum, Migrations.checksumOf(file.replace("UInt8", "UInt16")));
    assertNotEquals(checksum, Migrations.checksumOf(file.replace("-- requires: access_management\n", "")));
  }

  @Test
  void databasesMigratedWhenCommentsCountedAreStillCurrent() throws Exception {
    for (Migrations.Migration m : Migrations.loadDefault()) {
      String[] released = Migrations.RELEASED_WITH_COMMENTS.get(m.version());
      if (released == null) {
        assertTrue(m.version() > 14, m.name() + " was released with a whole-file checksum");
        continue;
      }
      assertEquals(released[1], m.checksum(), m.name() + ": an applied file's statements changed");
      assertTrue(Migrations.recordedMatches(new Migrations.Applied(m.version(), m.name(), released[0]), m));
      Migrations.Migration edited = Migrations.migration(m.name(), m.text() + "\nSELECT 1;\n");
      assertFalse(Migrations.recordedMatches(new Migrations.Applied(m.version(), m.name(), released[0]), edited),
          m.name() + ": a released checksum must not cover changed statements");
    }
  }

  private static String statements(Migrations m) {
    StringBuilder sb = new StringBuilder();
    for (Migrations.Migration f : m.migrations()) {
      m.statements(f).forEach(s -> sb.append(s).append(";\n"));
    }
    return sb.toString();
  }

  private static PrintStream nullStream() {
    return new PrintStream(java.io.OutputStream.nullOutputStream());
  }
}
