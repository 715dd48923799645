package dev.tokenledger.cli;

import static dev.tokenledger.clickhouse.DriverErrors.findCause;
import static dev.tokenledger.clickhouse.DriverErrors.firstLine;
import static dev.tokenledger.clickhouse.DriverErrors.fullMessage;

import dev.tokenledger.clickhouse.ClickHouseHttpFront;
import dev.tokenledger.clickhouse.DriverErrors;
import dev.tokenledger.clickhouse.EmbeddedClickHouse;
import dev.tokenledger.clickhouse.MigrationException;
import dev.tokenledger.clickhouse.Migrations;
import dev.tokenledger.clickhouse.SqlText;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One connection to ClickHouse for one command: a server (URL, user, password) or the embedded
 * engine ({@code --embedded}), and the database the command works in. Every driver error is turned
 * into what is wrong and what to do ({@link CliException}); SQL written for the database
 * {@code tokenledger} (the query library, the migrations) is renamed to the chosen database.
 */
final class ClickHouseSession implements AutoCloseable {

  /** Connection settings, from options first, then the environment. */
  record Settings(String url, String user, String password, String database, boolean embedded, Path embeddedDir) {

    static final String DEFAULT_URL = "http://localhost:8123";

    static Settings from(Args a, Map<String, String> env) throws CliException {
      String database = a.get("--database", Migrations.FILE_DATABASE);
      if (!database.matches("[A-Za-z_][A-Za-z0-9_]*")) {
        throw CliException.usage("--database wants a plain name (letters, digits, _), not '" + database + "'");
      }
      boolean embedded = a.has("--embedded");
      if (embedded && (a.has("--url") || a.has("--user") || a.has("--password"))) {
        throw CliException.usage("--embedded runs its own engine: leave out --url, --user and --password");
      }
      Path dir = a.has("--embedded-dir") ? Paths.get(a.get("--embedded-dir")) : defaultEmbeddedDir(env);
      return new Settings(
          a.get("--url", orDefault(env.get("CLICKHOUSE_URL"), DEFAULT_URL)),
          a.get("--user", orDefault(env.get("CLICKHOUSE_USER"), "default")),
          a.get("--password", orDefault(env.get("CLICKHOUSE_PASSWORD"), "")),
          database, embedded, dir);
    }

    private static Path defaultEmbeddedDir(Map<String, String> env) {
      String data = env.get("XDG_DATA_HOME");
      Path base = data != null && !data.isBlank() ? Paths.get(data)
          : Paths.get(orDefault(env.get("HOME"), System.getProperty("user.home")), ".local", "share");
      return base.resolve("tokenledger").resolve("embedded");
    }

    /** Where the data is, for messages. */
    String where() {
      return embedded ? "the embedded engine (" + embeddedDir + ")" : url;
    }
  }

  private final Settings settings;
  private final Connection connection;
  private final EmbeddedClickHouse engine;
  private final ClickHouseHttpFront front;

  private ClickHouseSession(Settings settings, Connection connection, EmbeddedClickHouse engine, ClickHouseHttpFront front) {
    this.settings = settings;
    this.connection = connection;
    this.engine = engine;
    this.front = front;
  }

  /** Connects (starting the embedded engine first with {@code --embedded}) and checks the server answers. */
  static ClickHouseSession open(Settings s, PrintStream err) throws CliException {
    EmbeddedClickHouse engine = null;
    ClickHouseHttpFront front = null;
    String url = s.url();
    String user = s.user();
    String password = s.password();
    if (s.embedded()) {
      try {
        err.println("tokenledger: starting the embedded ClickHouse engine (data in " + s.embeddedDir() + ")");
        engine = EmbeddedClickHouse.start(s.embeddedDir());
        // The front admits one random credential per run, which only this process knows.
        front = ClickHouseHttpFront.start(engine);
        url = front.url();
        user = front.user();
        password = front.password();
      } catch (IOException | RuntimeException e) {
        closeQuietly(front, engine);
        throw new CliException(CliException.CONNECTION, "Cannot start the embedded ClickHouse engine: " + e.getMessage()
            + ". It needs the @chdb/lib-linux-x64-gnu package (fetched with npm on first use, or named by"
            + " TOKENLEDGER_LIBCHDB) and a writable --embedded-dir; or use a server with --url.", e);
      }
    }
    Connection c;
    try {
      c = Migrations.connect(url, user, password);
    } catch (MigrationException e) {
      closeQuietly(front, engine);
      throw fromMigration(e);
    }
    ClickHouseSession session = new ClickHouseSession(s, c, engine, front);
    try {
      session.query("SELECT 1");
    } catch (CliException e) {
      session.close();
      throw e;
    }
    return session;
  }

  Settings settings() {
    return settings;
  }

  Connection connection() {
    return connection;
  }

  String database() {
    return settings.database();
  }

  /** {@code sql} written for the database {@code tokenledger}, moved to the chosen one. */
  String forDatabase(String sql) {
    return settings.database().equals(Migrations.FILE_DATABASE) ? sql
        : SqlText.renameIdentifiers(sql, Map.of(Migrations.FILE_DATABASE, settings.database()));
  }

  /** Runs a query (already in the chosen database) and reads the whole result. */
  Table query(String sql) throws CliException {
    try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      return Table.read(rs);
    } catch (SQLException e) {
      throw classify(e, sql);
    }
  }

  /** Runs a statement that returns nothing (already in the chosen database). */
  void execute(String sql) throws CliException {
    try (Statement st = connection.createStatement()) {
      st.execute(sql);
    } catch (SQLException e) {
      throw classify(e, sql);
    }
  }

  /**
   * Fails with a "run migrate first" message unless every table exists in the database: the one
   * mistake every read command can hit on a fresh server.
   */
  void requireMigrated(String... tables) throws CliException {
    Table t = query("SELECT name FROM system.tables WHERE database = " + SqlText.quoteString(database()));
    List<String> present = new ArrayList<>();
    t.rows().forEach(r -> present.add(r.get(0)));
    List<String> missing = new ArrayList<>();
    for (String name : tables) {
      if (!present.contains(name)) {
        missing.add(name);
      }
    }
    if (!missing.isEmpty()) {
      throw new CliException(CliException.NOT_MIGRATED, (present.isEmpty()
          ? "The database '" + database() + "' does not exist at " + settings.where()
          : "The database '" + database() + "' at " + settings.where() + " lacks " + String.join(", ", missing))
          + ": it is not migrated. Run `tokenledger migrate` with the same connection options first.");
    }
  }

  /** Turns a driver error into what is wrong and what to do. */
  CliException classify(SQLException e, String sql) {
    String text = fullMessage(e);
    Throwable network = findCause(e, ConnectException.class, UnknownHostException.class, NoRouteToHostException.class,
        SocketTimeoutException.class);
    if (network != null || text.contains("Connection refused") || text.contains("HttpHostConnectException")) {
      String why = network != null ? network.getClass().getSimpleName() + ": " + network.getMessage()
          : text.contains("Connection refused") ? "connection refused" : firstLine(e.getMessage());
      return new CliException(CliException.CONNECTION, "Cannot reach ClickHouse at " + settings.where() + " ("
          + why + "). Is the server running, and is the URL its HTTP interface (port 8123, or"
          + " 8443 for https)? Set --url or CLICKHOUSE_URL, or use --embedded to try the embedded engine.", e);
    }
    if (text.matches("(?s).*(Code: (516|192|193|194)\\b|AUTHENTICATION_FAILED|Authentication failed|REQUIRED_PASSWORD"
        + "|WRONG_PASSWORD|UNKNOWN_USER).*")) {
      return new CliException(CliException.CONNECTION, "ClickHouse at " + settings.where()
          + " rejected the credentials of user '" + settings.user() + "'. Check --user/--password or CLICKHOUSE_USER/"
          + "CLICKHOUSE_PASSWORD.", e);
    }
    if (text.matches("(?s).*(Code: (81|60)\\b|UNKNOWN_DATABASE|UNKNOWN_TABLE).*")) {
      return new CliException(CliException.NOT_MIGRATED, "The database '" + database() + "' at " + settings.where()
          + " is not migrated (" + serverMessage(text) + "). Run `tokenledger migrate` with the same connection options"
          + " first.", e);
    }
    if (text.matches("(?s).*(Code: 497\\b|ACCESS_DENIED).*")) {
      return new CliException(CliException.STATEMENT, "ClickHouse user '" + settings.user() + "' may not do this: "
          + serverMessage(text) + ". Use a user with the needed grants (012_users.sql: tokenledger_grafana reads,"
          + " tokenledger_admin also imports and migrates).", e);
    }
    return new CliException(CliException.STATEMENT, "ClickHouse could not run a statement: " + serverMessage(text)
        + "\n--- statement ---\n" + (sql.length() > 1500 ? sql.substring(0, 1500) + "\n…" : sql), e);
  }

  static CliException fromMigration(MigrationException e) {
    int code = switch (e.kind()) {
      case UNREACHABLE, AUTHENTICATION -> CliException.CONNECTION;
      case CONFIGURATION -> CliException.USAGE;
      default -> CliException.STATEMENT;
    };
    return new CliException(code, e.getMessage(), e);
  }

  /** The server's "Code: N. …" line, else the driver's first line without its exception class name. */
  private static String serverMessage(String text) {
    return DriverErrors.serverMessage(text.replaceFirst("^[\\w.$]+: ", "")).strip();
  }

  private static String orDefault(String v, String fallback) {
    return v == null || v.isEmpty() ? fallback : v;
  }

  private static void closeQuietly(ClickHouseHttpFront front, EmbeddedClickHouse engine) {
    if (front != null) {
      front.close();
    }
    if (engine != null) {
      engine.close();
    }
  }

  @Override
  public void close() {
    try {
      connection.close();
    } catch (SQLException ignored) {
      // nothing left to do with a connection that will not close
    }
    closeQuietly(front, engine);
  }
}
