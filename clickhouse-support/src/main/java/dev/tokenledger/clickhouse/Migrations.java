package dev.tokenledger.clickhouse;

import static dev.tokenledger.clickhouse.DriverErrors.findCause;
import static dev.tokenledger.clickhouse.DriverErrors.firstLine;
import static dev.tokenledger.clickhouse.DriverErrors.fullMessage;
import static dev.tokenledger.clickhouse.DriverErrors.serverMessage;

import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The migration runner for {@code clickhouse/migrations/NNN_<what>.sql}, on clickhouse-jdbc; usable
 * from the command line ({@link #main}) and from code and tests ({@link #apply}).
 *
 * <p>Files are applied in version order; each statement (split on {@code ;} outside strings and
 * comments) is sent on its own. A file counts as applied once all its statements succeeded: it is
 * then recorded in {@code schema_migrations} (version, name, SHA-256 of the file, variant, time). A
 * later run skips recorded files and fails clearly if a recorded file's checksum no longer matches —
 * applied migrations are history; change the schema with a new file. Every statement is idempotent
 * ({@code IF NOT EXISTS}), so re-running a file that failed half-way is safe.
 *
 * <p>From the same files the runner derives, per run: another database name ({@code --database}),
 * other TTLs (numbers marked {@code /* ttl:KEY *}{@code /}, {@code --ttl KEY=DAYS}), other names for
 * users and roles ({@code --rename OLD=NEW}), and the cluster variant ({@code --cluster NAME}: ON
 * CLUSTER, Replicated engines, Distributed tables; see {@link ClusterVariant}). The checksum is always
 * that of the file as written.
 *
 * <p>Secrets: {@code ${NAME}} in a file is replaced by the environment variable NAME, and
 * {@code ${NAME_SHA256}} by the hex SHA-256 of NAME's value (used for passwords, so they are never in
 * the files nor sent in clear); a file needing a variable that is not set is refused before any of its
 * statements runs. Files marked {@code -- requires: access_management} (users, roles, grants) are
 * skipped with {@code --skip-access-control}, for engines without SQL-driven access control (the
 * embedded test engine).
 */
public final class Migrations {

  /** The database the files are written for. */
  public static final String FILE_DATABASE = "tokenledger";
  /** Where the files are inside this module's jar. */
  public static final String RESOURCE_DIR = "tokenledger/clickhouse/migrations";

  private static final Pattern FILE_NAME = Pattern.compile("(\\d+)_[A-Za-z0-9_]+\\.sql");
  private static final Pattern TTL_MARK = Pattern.compile("(toIntervalDay\\(\\s*)(\\d+)(\\s*\\)\\s*/\\*\\s*ttl:([A-Za-z0-9_]+)\\s*\\*/)");
  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Z][A-Z0-9_]*)\\}");
  private static final Pattern REQUIRES_ACCESS = Pattern.compile("(?m)^--\\s*requires:\\s*access_management\\s*$");

  /** One migration file. */
  public record Migration(int version, String name, String text, String checksum) {

    /** True for files that create users, roles or grants. */
    public boolean requiresAccessManagement() {
      return REQUIRES_ACCESS.matcher(text).find();
    }
  }

  /** A migration recorded in schema_migrations. */
  public record Applied(int version, String name, String checksum) {}

  /** What a run did. */
  public record Report(List<String> applied, List<String> skipped, List<String> alreadyApplied) {}

  /** Per-run choices. All optional. */
  public static final class Options {
    String database = FILE_DATABASE;
    String cluster;
    final Map<String, String> renames = new LinkedHashMap<>();
    final Map<String, Integer> ttlDays = new LinkedHashMap<>();
    boolean skipAccessControl;
    Function<String, String> secrets = System::getenv;
    PrintStream log = System.err;

    /** Use another database name instead of {@value #FILE_DATABASE}. */
    public Options database(String name) {
      this.database = name;
      return this;
    }

    /** Derive the cluster variant for this cluster (null: single node). */
    public Options cluster(String name) {
      this.cluster = name;
      return this;
    }

    /** Rename an identifier (user, role, profile, quota …) everywhere outside strings and comments. */
    public Options rename(String from, String to) {
      renames.put(from, to);
      return this;
    }

    /** Override a TTL marked {@code /* ttl:key *}{@code /} (e.g. raw_days, ledger_days). */
    public Options ttlDays(String key, int days) {
      ttlDays.put(key, days);
      return this;
    }

    /** Skip files that need SQL-driven access control. */
    public Options skipAccessControl(boolean skip) {
      this.skipAccessControl = skip;
      return this;
    }

    /** Where ${NAME} values come from (default: the environment). */
    public Options secrets(Function<String, String> lookup) {
      this.secrets = lookup;
      return this;
    }

    /** Where progress is written (null: nowhere). */
    public Options log(PrintStream out) {
      this.log = out;
      return this;
    }

    public String database() {
      return database;
    }

    public String cluster() {
      return cluster;
    }
  }

  private final List<Migration> migrations;
  private final Options options;
  private final ClusterVariant clusterVariant;

  public Migrations(List<Migration> migrations, Options options) throws MigrationException {
    this.migrations = List.copyOf(migrations);
    this.options = options;
    Set<Integer> versions = new LinkedHashSet<>();
    for (Migration m : migrations) {
      if (!versions.add(m.version())) {
        throw new MigrationException(MigrationException.Kind.CONFIGURATION,
            "two migration files have version " + m.version() + ": number each file uniquely");
      }
    }
    if (options.cluster != null) {
      List<String> all = new ArrayList<>();
      for (Migration m : this.migrations) {
        all.addAll(SqlText.splitStatements(renderText(m)));
      }
      this.clusterVariant = new ClusterVariant(options.cluster, all);
    } else {
      this.clusterVariant = null;
    }
  }

  /** The migrations, in order. */
  public List<Migration> migrations() {
    return migrations;
  }

  // ---------------------------------------------------------------- loading

  /** Reads {@code NNN_<what>.sql} files from a directory, ordered by version. */
  public static List<Migration> loadDirectory(Path dir) throws MigrationException {
    if (!Files.isDirectory(dir)) {
      throw new MigrationException(MigrationException.Kind.CONFIGURATION,
          "migration directory " + dir.toAbsolutePath() + " does not exist: pass --dir with the path of "
              + "clickhouse/migrations, or run from the repository root");
    }
    try (Stream<Path> files = Files.list(dir)) {
      List<Migration> out = new ArrayList<>();
      for (Path p : (Iterable<Path>) files.sorted()::iterator) {
        String name = p.getFileName().toString();
        if (name.endsWith(".sql")) {
          out.add(migration(name, Files.readString(p, StandardCharsets.UTF_8)));
        }
      }
      out.sort((a, b) -> Integer.compare(a.version(), b.version()));
      return out;
    } catch (IOException e) {
      throw new MigrationException(MigrationException.Kind.CONFIGURATION, "cannot read " + dir + ": " + e, e);
    }
  }

  /** Reads the copy of the files packed into this module's jar (or its classes directory). */
  public static List<Migration> loadClasspath() throws MigrationException {
    URL url = Migrations.class.getClassLoader().getResource(RESOURCE_DIR);
    if (url == null) {
      throw new MigrationException(MigrationException.Kind.CONFIGURATION,
          "no migrations on the classpath (" + RESOURCE_DIR + "): pass --dir with the path of clickhouse/migrations");
    }
    try {
      URI uri = url.toURI();
      if ("jar".equals(uri.getScheme())) {
        try (FileSystem fs = FileSystems.newFileSystem(uri, Map.of())) {
          return loadDirectory(fs.getPath(RESOURCE_DIR));
        }
      }
      return loadDirectory(Paths.get(uri));
    } catch (URISyntaxException | IOException e) {
      throw new MigrationException(MigrationException.Kind.CONFIGURATION, "cannot read migrations from " + url, e);
    }
  }

  /**
   * The files a run uses when none are named: the directory in system property
   * {@code tokenledger.migrations.dir}, else {@code clickhouse/migrations} below the working
   * directory, else the copy on the classpath.
   */
  public static List<Migration> loadDefault() throws MigrationException {
    String prop = System.getProperty("tokenledger.migrations.dir");
    if (prop != null && !prop.isBlank()) {
      return loadDirectory(Paths.get(prop));
    }
    Path local = Paths.get("clickhouse", "migrations");
    if (Files.isDirectory(local)) {
      return loadDirectory(local);
    }
    return loadClasspath();
  }

  /** One migration from its file name and text. */
  public static Migration migration(String fileName, String text) throws MigrationException {
    Matcher m = FILE_NAME.matcher(fileName);
    if (!m.matches()) {
      throw new MigrationException(MigrationException.Kind.CONFIGURATION,
          "migration file " + fileName + " is not named NNN_<what>.sql");
    }
    String normalized = text.replace("\r\n", "\n");
    return new Migration(Integer.parseInt(m.group(1)), fileName, normalized, sha256(normalized));
  }

  // ---------------------------------------------------------------- rendering

  /**
   * The statements this run would send for {@code m}: database name, TTLs, renames and the cluster
   * variant applied; {@code ${…}} placeholders not yet replaced.
   */
  public List<String> statements(Migration m) {
    List<String> out = new ArrayList<>();
    for (String s : SqlText.splitStatements(renderText(m))) {
      if (clusterVariant == null) {
        out.add(s);
      } else {
        out.addAll(clusterVariant.derive(s));
      }
    }
    return out;
  }

  private String renderText(Migration m) {
    String text = m.text();
    if (!options.ttlDays.isEmpty()) {
      Matcher t = TTL_MARK.matcher(text);
      StringBuilder sb = new StringBuilder();
      while (t.find()) {
        Integer days = options.ttlDays.get(t.group(4));
        String replacement = days == null ? t.group() : t.group(1) + days + t.group(3);
        t.appendReplacement(sb, Matcher.quoteReplacement(replacement));
      }
      t.appendTail(sb);
      text = sb.toString();
    }
    Map<String, String> renames = new LinkedHashMap<>(options.renames);
    if (!options.database.equals(FILE_DATABASE)) {
      renames.put(FILE_DATABASE, options.database);
    }
    return SqlText.renameIdentifiers(text, renames);
  }

  // Replaces ${NAME} / ${NAME_SHA256}; names whose variable is unset are added to `missing`.
  private String resolveSecrets(String statement, Set<String> missing) {
    Matcher p = PLACEHOLDER.matcher(statement);
    StringBuilder sb = new StringBuilder();
    while (p.find()) {
      String name = p.group(1);
      boolean hash = name.endsWith("_SHA256");
      String variable = hash ? name.substring(0, name.length() - "_SHA256".length()) : name;
      String value = options.secrets.apply(variable);
      if (value == null || value.isEmpty()) {
        missing.add(variable);
        p.appendReplacement(sb, "");
        continue;
      }
      String replacement = hash ? sha256(value) : escapeForStringLiteral(value);
      p.appendReplacement(sb, Matcher.quoteReplacement(replacement));
    }
    p.appendTail(sb);
    return sb.toString();
  }

  // ---------------------------------------------------------------- applying

  /** The versions recorded in schema_migrations (empty when the table does not exist yet). */
  public Map<Integer, Applied> applied(Connection c) throws MigrationException {
    String db = SqlText.quoteIdentifier(options.database);
    Map<Integer, Applied> out = new TreeMap<>();
    try (Statement st = c.createStatement()) {
      try (ResultSet rs = st.executeQuery("EXISTS TABLE " + db + ".schema_migrations")) {
        if (!rs.next() || rs.getInt(1) == 0) {
          return out;
        }
      }
      try (ResultSet rs = st.executeQuery("SELECT version, name, checksum FROM " + db
          + ".schema_migrations FINAL ORDER BY version")) {
        while (rs.next()) {
          out.put(rs.getInt(1), new Applied(rs.getInt(1), rs.getString(2), rs.getString(3)));
        }
      }
      return out;
    } catch (SQLException e) {
      throw classify(e, "reading " + options.database + ".schema_migrations", null);
    }
  }

  /** Applies every migration not yet recorded; see the class comment. */
  public Report apply(Connection c) throws MigrationException {
    checkServer(c);
    Map<Integer, Applied> applied = applied(c);
    List<String> changed = new ArrayList<>();
    for (Migration m : migrations) {
      Applied a = applied.get(m.version());
      if (a != null && (!a.checksum().equals(m.checksum()) || !a.name().equals(m.name()))) {
        changed.add(m.name() + " (applied as " + a.name() + " with checksum " + abbreviate(a.checksum())
            + ", file now " + abbreviate(m.checksum()) + ")");
      }
    }
    if (!changed.isEmpty()) {
      throw new MigrationException(MigrationException.Kind.CHECKSUM, "applied migration"
          + (changed.size() > 1 ? "s were" : " was") + " changed after being applied: " + String.join("; ", changed)
          + ". Applied files are history: restore " + (changed.size() > 1 ? "them" : "it")
          + " and put the change into a new numbered file.");
    }
    List<String> done = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    List<String> already = new ArrayList<>();
    for (Migration m : migrations) {
      if (applied.containsKey(m.version())) {
        already.add(m.name());
        continue;
      }
      if (m.requiresAccessManagement() && options.skipAccessControl) {
        log("skip  %s (needs SQL-driven access control; --skip-access-control)", m.name());
        skipped.add(m.name());
        continue;
      }
      List<String> statements = new ArrayList<>();
      Set<String> missing = new LinkedHashSet<>();
      for (String s : statements(m)) {
        statements.add(resolveSecrets(s, missing));
      }
      if (!missing.isEmpty()) {
        throw new MigrationException(MigrationException.Kind.CONFIGURATION, m.name() + " needs the environment variable"
            + (missing.size() > 1 ? "s " : " ") + String.join(", ", missing) + " (passwords are never stored in the"
            + " files): set " + (missing.size() > 1 ? "them" : "it") + " and run again"
            + (m.requiresAccessManagement() ? ", or skip access control with --skip-access-control" : ""));
      }
      long t0 = System.nanoTime();
      for (int i = 0; i < statements.size(); i++) {
        String sql = statements.get(i);
        try (Statement st = c.createStatement()) {
          st.execute(sql);
        } catch (SQLException e) {
          throw classify(e, m.name() + ", statement " + (i + 1) + " of " + statements.size(), sql);
        }
      }
      long ms = (System.nanoTime() - t0) / 1_000_000;
      record(c, m, statements.size(), ms);
      log("apply %s (%d statements, %d ms)", m.name(), statements.size(), ms);
      done.add(m.name());
    }
    if (done.isEmpty() && skipped.isEmpty()) {
      log("up to date: %d migrations applied before", already.size());
    }
    return new Report(Collections.unmodifiableList(done), Collections.unmodifiableList(skipped),
        Collections.unmodifiableList(already));
  }

  private void record(Connection c, Migration m, int statements, long ms) throws MigrationException {
    String variant = options.cluster == null ? "single" : "cluster:" + options.cluster;
    String sql = "INSERT INTO " + SqlText.quoteIdentifier(options.database)
        + ".schema_migrations (version, name, checksum, statements, variant, duration_ms) VALUES ("
        + m.version() + ", " + SqlText.quoteString(m.name()) + ", " + SqlText.quoteString(m.checksum()) + ", "
        + statements + ", " + SqlText.quoteString(variant) + ", " + ms + ")";
    try (Statement st = c.createStatement()) {
      st.execute(sql);
    } catch (SQLException e) {
      throw classify(e, "recording " + m.name() + " in schema_migrations", sql);
    }
  }

  private void checkServer(Connection c) throws MigrationException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT version()")) {
      rs.next();
      log("ClickHouse %s, database %s%s", rs.getString(1), options.database,
          options.cluster == null ? "" : ", cluster " + options.cluster);
    } catch (SQLException e) {
      throw classify(e, "connecting", null);
    }
  }

  private void log(String format, Object... args) {
    if (options.log != null) {
      options.log.println("[migrations] " + String.format(Locale.ROOT, format, args));
    }
  }

  // ---------------------------------------------------------------- connections and errors

  /**
   * Opens a clickhouse-jdbc connection. {@code url} is a JDBC URL ({@code jdbc:clickhouse:…}) or a
   * plain HTTP endpoint ({@code http://host:8123}); responses are requested uncompressed
   * ({@code compress=0}) unless the URL says otherwise.
   */
  public static Connection connect(String url, String user, String password) throws MigrationException {
    String jdbc = jdbcUrl(url);
    Properties p = new Properties();
    p.setProperty("user", user == null || user.isEmpty() ? "default" : user);
    p.setProperty("password", password == null ? "" : password);
    try {
      return DriverManager.getConnection(jdbc, p);
    } catch (SQLException e) {
      throw classify(e, "connecting to " + url, null);
    }
  }

  /** {@code http://…} to {@code jdbc:clickhouse:http://…?compress=0}; JDBC URLs get compress=0 added. */
  public static String jdbcUrl(String url) {
    String jdbc = url.startsWith("jdbc:") ? url : "jdbc:clickhouse:" + url;
    if (!jdbc.matches("(?i).*[?&]compress=.*")) {
      jdbc += (jdbc.contains("?") ? "&" : "?") + "compress=0";
    }
    return jdbc;
  }

  /** Turns a driver error into what is wrong and what to do. */
  static MigrationException classify(SQLException e, String during, String sql) {
    Throwable network = findCause(e, ConnectException.class, UnknownHostException.class, NoRouteToHostException.class,
        SocketTimeoutException.class);
    String text = fullMessage(e);
    if (network != null || text.contains("Connection refused") || text.contains("HttpHostConnectException")) {
      return new MigrationException(MigrationException.Kind.UNREACHABLE, "Cannot reach ClickHouse (" + during + "): "
          + (network != null ? network.getMessage() : firstLine(e.getMessage())) + ". Is the server running, and is the URL"
          + " its HTTP interface (port 8123, or 8443 for https)? Set CLICKHOUSE_URL (or --url) to the right endpoint.", e);
    }
    if (text.matches("(?s).*(Code: (516|192|193|194)\\b|AUTHENTICATION_FAILED|Authentication failed|REQUIRED_PASSWORD"
        + "|WRONG_PASSWORD|UNKNOWN_USER).*")) {
      return new MigrationException(MigrationException.Kind.AUTHENTICATION, "ClickHouse rejected the credentials ("
          + during + "): " + firstLine(serverMessage(text)) + ". Check CLICKHOUSE_USER and CLICKHOUSE_PASSWORD (or --user"
          + " and the CLICKHOUSE_PASSWORD environment variable): migrations need a user allowed to run DDL.", e);
    }
    String advice = "";
    if (text.contains("ACCESS_DENIED") || text.contains("Code: 497")) {
      advice = " The user lacks a privilege this statement needs: run migrations as an admin user (see 012_users.sql),"
          + " or pass --skip-access-control where SQL-driven access control is not available.";
    }
    return new MigrationException(MigrationException.Kind.STATEMENT, during + " failed: " + serverMessage(text).strip()
        + advice + (sql == null ? "" : "\n--- statement ---\n" + excerpt(sql)), e);
  }

  private static String excerpt(String sql) {
    return sql.length() <= 2000 ? sql : sql.substring(0, 2000) + "\n…";
  }

  private static String abbreviate(String checksum) {
    return checksum.length() > 12 ? checksum.substring(0, 12) : checksum;
  }

  static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String escapeForStringLiteral(String v) {
    String quoted = SqlText.quoteString(v);
    return quoted.substring(1, quoted.length() - 1);
  }

  // ---------------------------------------------------------------- command line

  private static final String USAGE = String.join("\n",
      "Applies TokenLedger's ClickHouse migrations.",
      "",
      "Usage: java -jar tokenledger-clickhouse-support.jar [options]   (or java -cp … dev.tokenledger.clickhouse.Migrations)",
      "  --url URL              HTTP endpoint or JDBC URL (default: $CLICKHOUSE_URL, else http://localhost:8123)",
      "  --user NAME            user (default: $CLICKHOUSE_USER, else default); password: $CLICKHOUSE_PASSWORD",
      "  --dir DIR              migration files (default: ./clickhouse/migrations, else the copy in the jar)",
      "  --database NAME        use NAME instead of the database tokenledger",
      "  --cluster NAME         derive the cluster variant (ON CLUSTER, Replicated engines, Distributed tables)",
      "  --ttl KEY=DAYS         override a TTL marked /* ttl:KEY */ (raw_days=30, ledger_days=400)",
      "  --rename OLD=NEW       rename an identifier (users, roles, profiles)",
      "  --skip-access-control  skip files marked 'requires: access_management' (users, roles, grants)",
      "  --print                print the statements of every file for these options, and exit",
      "  --status               list applied and pending migrations, and exit",
      "",
      "Passwords of the users created by 012_users.sql come from TOKENLEDGER_WRITER_PASSWORD,",
      "TOKENLEDGER_READER_PASSWORD and TOKENLEDGER_ADMIN_PASSWORD.",
      "Exit codes: 0 done, 1 a statement failed, 2 bad options or files, 3 unreachable or wrong credentials,",
      "4 an applied file was changed.");

  /** Command line entry point; see {@code --help}. */
  public static void main(String[] args) {
    int code;
    try {
      code = run(args, System.out, System.err);
    } catch (MigrationException e) {
      System.err.println("migrations: " + e.getMessage());
      code = switch (e.kind()) {
        case STATEMENT -> 1;
        case CONFIGURATION -> 2;
        case UNREACHABLE, AUTHENTICATION -> 3;
        case CHECKSUM -> 4;
      };
    }
    System.exit(code);
  }

  /** {@link #main} without exiting: returns the exit code for success or usage, throws otherwise. */
  public static int run(String[] args, PrintStream out, PrintStream err) throws MigrationException {
    String url = envOr("CLICKHOUSE_URL", "http://localhost:8123");
    String user = envOr("CLICKHOUSE_USER", "default");
    String password = envOr("CLICKHOUSE_PASSWORD", "");
    Path dir = null;
    boolean print = false;
    boolean status = false;
    Options options = new Options().log(err);
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "--help", "-h" -> {
          out.println(USAGE);
          return 0;
        }
        case "--url" -> url = value(args, ++i, a);
        case "--user" -> user = value(args, ++i, a);
        case "--dir" -> dir = Paths.get(value(args, ++i, a));
        case "--database" -> options.database(value(args, ++i, a));
        case "--cluster" -> options.cluster(value(args, ++i, a));
        case "--ttl" -> {
          String[] kv = keyValue(value(args, ++i, a), a);
          try {
            options.ttlDays(kv[0], Integer.parseInt(kv[1]));
          } catch (NumberFormatException e) {
            throw usage("--ttl wants KEY=DAYS with a whole number of days, not " + args[i]);
          }
        }
        case "--rename" -> {
          String[] kv = keyValue(value(args, ++i, a), a);
          options.rename(kv[0], kv[1]);
        }
        case "--skip-access-control" -> options.skipAccessControl(true);
        case "--print" -> print = true;
        case "--status" -> status = true;
        default -> throw usage("unknown option " + a);
      }
    }
    List<Migration> files = dir == null ? loadDefault() : loadDirectory(dir);
    Migrations migrations = new Migrations(files, options);
    if (print) {
      for (Migration m : files) {
        out.println("-- " + m.name() + (m.requiresAccessManagement() && options.skipAccessControl ? " (skipped)" : ""));
        for (String s : migrations.statements(m)) {
          out.println(s + ";");
          out.println();
        }
      }
      return 0;
    }
    try (Connection c = connect(url, user, password)) {
      if (status) {
        migrations.checkServer(c);
        Map<Integer, Applied> applied = migrations.applied(c);
        for (Migration m : files) {
          Applied a = applied.get(m.version());
          String state = a == null ? "pending" : a.checksum().equals(m.checksum()) ? "applied" : "CHANGED";
          out.printf(Locale.ROOT, "%-8s %s%n", state, m.name());
        }
        return 0;
      }
      migrations.apply(c);
      return 0;
    } catch (SQLException e) {
      throw classify(e, "closing the connection", null);
    }
  }

  private static String envOr(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isEmpty() ? fallback : v;
  }

  private static String value(String[] args, int i, String option) throws MigrationException {
    if (i >= args.length) {
      throw usage(option + " needs a value");
    }
    return args[i];
  }

  private static String[] keyValue(String s, String option) throws MigrationException {
    int eq = s.indexOf('=');
    if (eq <= 0 || eq == s.length() - 1) {
      throw usage(option + " wants KEY=VALUE, not " + s);
    }
    return new String[] {s.substring(0, eq), s.substring(eq + 1)};
  }

  private static MigrationException usage(String message) {
    return new MigrationException(MigrationException.Kind.CONFIGURATION, message + " (see --help)");
  }
}
