package dev.tokenledger.cli;

import dev.tokenledger.clickhouse.ClickHouseHttpFront;
import dev.tokenledger.clickhouse.EmbeddedClickHouse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * The ClickHouse the command's tests talk to, and a way to run the command in-process.
 *
 * <p>ClickHouse: a real server when {@code CLICKHOUSE_URL} is set, otherwise the real engine
 * embedded in this JVM behind the HTTP front — the command always goes through clickhouse-jdbc and
 * HTTP, exactly as against a server. Each test class works in its own database, created by the
 * command's own {@code migrate}.
 */
final class CliTestSupport {

  record Result(int exit, String out, String err) {
    String all() {
      return out + err;
    }
  }

  private static String url;
  private static String user = "default";
  private static String password = "";
  private static EmbeddedClickHouse engine;

  private CliTestSupport() {}

  /** The endpoint of the test ClickHouse. */
  static synchronized String url() throws IOException {
    if (url == null) {
      String server = System.getenv("CLICKHOUSE_URL");
      if (server != null && !server.isBlank()) {
        url = server;
        user = envOr("CLICKHOUSE_USER", "default");
        password = envOr("CLICKHOUSE_PASSWORD", "");
      } else {
        long t0 = System.nanoTime();
        engine = EmbeddedClickHouse.shared();
        ClickHouseHttpFront front = ClickHouseHttpFront.start(engine);
        url = front.url();
        user = front.user();
        password = front.password();
        System.err.printf(Locale.ROOT, "[test] embedded ClickHouse %s up in %d ms at %s%n", engine.version(),
            (System.nanoTime() - t0) / 1_000_000, url);
      }
    }
    return url;
  }

  /** The embedded engine, or null when the tests run against a server. */
  static EmbeddedClickHouse engine() throws IOException {
    url();
    return engine;
  }

  /** A fresh database, migrated by the command itself. */
  static String migratedDatabase(String prefix) throws IOException {
    String db = prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    Result r = cli(db, "migrate", "--skip-access-control");
    if (r.exit() != 0) {
      throw new IllegalStateException("migrate failed: " + r.all());
    }
    return db;
  }

  /** Runs the command against the test ClickHouse and {@code database}, with the test's environment. */
  static Result cli(String database, String... args) throws IOException {
    return cliWithEnv(database, Map.of(), args);
  }

  static Result cliWithEnv(String database, Map<String, String> extraEnv, String... args) throws IOException {
    List<String> all = new ArrayList<>(List.of("--url", url(), "--user", user, "--database", database));
    all.addAll(List.of(args));
    Map<String, String> env = new HashMap<>();
    if (!password.isEmpty()) {
      env.put("CLICKHOUSE_PASSWORD", password);
    }
    env.putAll(extraEnv);
    return raw(env, all.toArray(new String[0]));
  }

  /** Runs the command with exactly these arguments and environment. */
  static Result raw(Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      exit = TokenLedger.run(args, env, o, e);
    }
    Result r = new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    System.err.println("[test] tokenledger " + String.join(" ", args) + " -> exit " + exit
        + (exit != 0 ? "\n" + indent(r.err()) : ""));
    return r;
  }

  /** Runs a query through the command's own session (for checks and seeding). */
  static Table query(String database, String sql) throws Exception {
    ClickHouseSession.Settings s = new ClickHouseSession.Settings(url(), user, password, database, false, null);
    try (ClickHouseSession session = ClickHouseSession.open(s, System.err)) {
      return session.query(sql);
    }
  }

  /** A session of the command on {@code database}, for calling its parts directly. */
  static ClickHouseSession session(String database) throws Exception {
    return ClickHouseSession.open(new ClickHouseSession.Settings(url(), user, password, database, false, null), System.err);
  }

  static void execute(String database, String sql) throws Exception {
    ClickHouseSession.Settings s = new ClickHouseSession.Settings(url(), user, password, database, false, null);
    try (ClickHouseSession session = ClickHouseSession.open(s, System.err)) {
      session.execute(sql);
    }
  }

  static String scalar(String database, String sql) throws Exception {
    Table t = query(database, sql);
    return t.rows().isEmpty() ? null : t.rows().get(0).get(0);
  }

  /** The repository root (the module's parent). */
  static Path repo() {
    return Paths.get(System.getProperty("tokenledger.repo.dir", "..")).toAbsolutePath().normalize();
  }

  /** A folder for test artifacts under the module's build directory. */
  static Path artifacts() throws IOException {
    Path dir = Paths.get(System.getProperty("tokenledger.build.dir", "target")).resolve("test-artifacts");
    Files.createDirectories(dir);
    return dir;
  }

  /** True when the text has no Java stack trace in it (user errors must not show one). */
  static boolean noStackTrace(String text) {
    return !text.matches("(?s).*\\n\\s+at [\\w.$]+\\(.*") && !text.contains("Exception in thread");
  }

  private static String indent(String s) {
    return s.strip().replaceAll("(?m)^", "    ");
  }

  private static String envOr(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isEmpty() ? fallback : v;
  }
}
