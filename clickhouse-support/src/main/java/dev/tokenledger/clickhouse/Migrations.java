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
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The migration runner for {@code clickhouse/migrations/NNN_<what>.sql}, on clickhouse-jdbc: run from
 * the command line as {@code tokenledger migrate}, and from code and tests ({@link #apply}).
 *
 * <p>Files are applied in version order; each statement (split on {@code ;} outside strings and
 * comments) is sent on its own. A file counts as applied once all its statements succeeded: it is
 * then recorded in {@code schema_migrations} (version, name, checksum, variant, time). A later run
 * skips recorded files and fails clearly if a recorded file's checksum no longer matches — applied
 * migrations are history; change the schema with a new file. The checksum ({@link #checksumOf})
 * covers the statements and the runner's directives, not prose: a comment may be corrected. Every statement is idempotent
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
  private static final Pattern REQUIRES_DIRECTIVE = Pattern.compile("--\\s*requires:");

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
    UnaryOperator<String> rewrite = UnaryOperator.identity();

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

    /**
     * Changes each statement just before it is sent (null: leave it out). Only for tests: they run
     * the cluster variant on a single-node engine, which has no cluster, Keeper nor Distributed
     * table to run it as derived.
     */
    Options rewrite(UnaryOperator<String> rewrite) {
      this.rewrite = rewrite;
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
    return new Migration(Integer.parseInt(m.group(1)), fileName, normalized, checksumOf(normalized));
  }

  /**
   * The SHA-256 of a file without its whole-line {@code --} comments, but for its
   * {@code -- requires:} directives (the {@code /* ttl:… *}{@code /} marks stay too): what the file
   * does, not how it is explained.
   */
  static String checksumOf(String text) {
    List<String> kept = new ArrayList<>();
    for (String line : text.split("\n", -1)) {
      String trimmed = line.trim();
      if (!trimmed.startsWith("--") || REQUIRES_DIRECTIVE.matcher(trimmed).lookingAt()) {
        kept.add(line);
      }
    }
    return sha256(String.join("\n", kept));
  }

  /** Whether a recorded checksum is this file's, now or as released before comments stopped counting. */
  static boolean recordedMatches(Applied applied, Migration m) {
    if (applied.checksum().equals(m.checksum())) {
      return true;
    }
    String[] released = RELEASED_WITH_COMMENTS.get(m.version());
    return released != null && released[0].equals(applied.checksum()) && released[1].equals(m.checksum());
  }

  /**
   * 001–014 as they were released, when a file's checksum still covered its comments: version →
   * {the whole file's checksum then, the checksum of its statements}. A database migrated then
   * recorded the first; it is accepted while the file's statements are still those (the second).
   */
  static final Map<Integer, String[]> RELEASED_WITH_COMMENTS = Map.ofEntries(
      Map.entry(1, new String[] {"15a76c29ec58ce8e837baf79790a3e7c741a225faa87e83d2afd4afecfd6def9", "d2e83b05abc1673aae4afe0daa3e3823fa653c1c505e15ff371bbccc4594d743"}),
      Map.entry(2, new String[] {"865858eaa76ccfbf621fcd63a36fd97c2be63c1dc5ba4a8eb42c202aada1cdd7", "e2b0b80f2a685039910ac16e6b28678b424f2021342e9aed383cf09918fef92e"}),
      Map.entry(3, new String[] {"7224de893613d4ba04ad75253e8009bc0ff8d84ab69f152713ae3c020df26dbc", "dc77685009f1b574052dc48a42c07273f3e406421d8aee1685f0750d9e7e337b"}),
      Map.entry(4, new String[] {"912045c9634c5433bd71c92b4b6ac3797b40df874702cdc93430a793214d256a", "2a35ae6fae49737a33684571ba63248f46855a8ab9ac5cbafc5f0f161b54bfdd"}),
      Map.entry(5, new String[] {"c024a5e9806da4817c23e9be1e19ec677fb706f545bcd6395a8c2eb2d5d15a4b", "8ac2cd89f8ff32c21d0b07bfc461a0167e69660005acbea272758f2229c6160e"}),
      Map.entry(6, new String[] {"5014bdc7d98259a070456d114c3bd2245c3bff088fa2bd9af180e179009dae28", "5b8ffdf66e81898a7416f25e0157ed6f396290892ec099d037a9bcecb5780be3"}),
      Map.entry(7, new String[] {"6902eda79c6fa1c21f95b01fb8974be2cd54e6d4ba1ad502bccb008cd4bcb9ad", "af8af17c9b753eeb0966f3b7217d78cdd417363f9ca549cd9609867475f19868"}),
      Map.entry(8, new String[] {"6f98f244c78810c79eb50c5ad3bdfdb25a2e08534bfd4958f110120964391274", "e0d4f41e1ed26faa0c80de7fae87739ad62243c86d721978394a38d932a68968"}),
      Map.entry(9, new String[] {"d34bfb95b49e4784bdd7f5324680cfcb36ddaf3bef95e3f2dd3d9d6dde8a5f35", "1dd1b5824689f095bc7b9887d1d0bbf1870c5539166b1c5b748cc3415b329e7d"}),
      Map.entry(10, new String[] {"c47ecf351191d12e9aa922eecf94c0b7bc8ee5f96769d807be7ccb94081fca18", "9125642a502e87958dd8cd53c61adbef3204f2211de8c3e787b0d6d4585bce47"}),
      Map.entry(11, new String[] {"b30b9cb4f5f3760396ce26bd26381c243c355128beeafd2fc9970f81048c7610", "83399607aa8b0706b517c3204ac4d82b9467434864d00d669b1b5986cfa1c403"}),
      Map.entry(12, new String[] {"cbd3a974479c3267707b2eaf48feec5246f8d811fb2e023df8f29193016c0e78", "66e3f01c9609819c3b3065e16db785bc77cadf178c3c6c6f8359f3d57c65839c"}),
      Map.entry(13, new String[] {"dac69dcbe86ae7a94f75f146aae4e1e0824aee0a74c07128777d3a0c9fbdb5aa", "8d9ef1a7246b25b78e1cfdb5253745f372cc6c4c3cf1f15d26d7bd8764b40003"}),
      Map.entry(14, new String[] {"1d65b40add8414c47862209fc9e3ebbc9e1955f7ae99eb6b7ce6fb84c0437ec5", "06549a9b0876351c9f8c6c1907d664a419474aa6122a0d76773e4f4e69b88840"}));


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
      if (a != null && (!recordedMatches(a, m) || !a.name().equals(m.name()))) {
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
    if (clusterVariant != null && !applied.isEmpty() && migrations.stream().anyMatch(m -> !applied.containsKey(m.version()))) {
      syncDistributedColumns(c, applied);
    }
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
        String sql = options.rewrite.apply(statements.get(i));
        if (sql == null) {
          continue;
        }
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

  /**
   * Cluster variant: sends again, before the pending files, the Distributed-table column changes of
   * the files already applied ({@link ClusterVariant#distributedColumnAlter}, idempotent). A runner
   * before this one changed the columns of the {@code _local} tables only, so a cluster it migrated
   * has Distributed tables without 013's {@code ingested_at} / {@code ingest_hour} and stops at 014;
   * this puts them back, and changes nothing on a cluster that has them.
   */
  private void syncDistributedColumns(Connection c, Map<Integer, Applied> applied) throws MigrationException {
    for (Migration m : migrations) {
      if (!applied.containsKey(m.version())) {
        continue;
      }
      int sent = 0;
      for (String s : SqlText.splitStatements(renderText(m))) {
        String alter = clusterVariant.distributedColumnAlter(s);
        String sql = alter == null ? null : options.rewrite.apply(alter);
        if (sql == null || !isTable(c, ClusterVariant.alteredTable(alter))) {
          continue; // a later file replaced the table (016 turns usage_events into a view)
        }
        try (Statement st = c.createStatement()) {
          st.execute(sql);
        } catch (SQLException e) {
          throw classify(e, "re-applying " + m.name() + "'s column changes to the Distributed tables", sql);
        }
        sent++;
      }
      if (sent > 0) {
        log("sync  %s: column changes of the Distributed tables (%d statements, idempotent)", m.name(), sent);
      }
    }
  }

  // Whether db.table exists as a table (not a view).
  private static boolean isTable(Connection c, String qualified) throws MigrationException {
    if (qualified == null || qualified.indexOf('.') < 0) {
      return true;
    }
    int dot = qualified.indexOf('.');
    String sql = "SELECT engine FROM system.tables WHERE database = " + SqlText.quoteString(qualified.substring(0, dot))
        + " AND name = " + SqlText.quoteString(qualified.substring(dot + 1));
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      return rs.next() && !rs.getString(1).endsWith("View");
    } catch (SQLException e) {
      throw classify(e, "reading the engine of " + qualified, sql);
    }
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

  // ---------------------------------------------------------------- what `tokenledger migrate` shows

  /** Every file's statements for these options, as {@code --print} shows them; needs no server. */
  public void print(PrintStream out) {
    for (Migration m : migrations) {
      out.println("-- " + m.name() + (m.requiresAccessManagement() && options.skipAccessControl ? " (skipped)" : ""));
      for (String s : statements(m)) {
        out.println(s + ";");
        out.println();
      }
    }
  }

  /** One line per file, {@code applied}, {@code pending} or {@code CHANGED}, as {@code --status} shows them. */
  public List<String> status(Connection c) throws MigrationException {
    checkServer(c);
    Map<Integer, Applied> applied = applied(c);
    List<String> lines = new ArrayList<>();
    for (Migration m : migrations) {
      Applied a = applied.get(m.version());
      String state = a == null ? "pending" : recordedMatches(a, m) ? "applied" : "CHANGED";
      lines.add(String.format(Locale.ROOT, "%-8s %s", state, m.name()));
    }
    return lines;
  }
}
