package dev.tokenledger.clickhouse;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.StringArray;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * The real ClickHouse engine, in this process: libchdb (ClickHouse 26.7 as a shared library, from
 * the npm package {@value #NPM_PACKAGE}) called through JNA. It exists because no ClickHouse server
 * can be installed on the project's machines; tests use it (usually behind {@link
 * ClickHouseHttpFront}) and run the same assertions against a real server when {@code
 * CLICKHOUSE_URL} is set.
 *
 * <p>Library: {@code TOKENLEDGER_LIBCHDB} (environment) or {@code tokenledger.libchdb} (system
 * property) names a {@code libchdb.so}; otherwise it is taken from
 * {@code ${XDG_CACHE_HOME:-$HOME/.cache}/tokenledger/chdb/<version>/package/libchdb.so}, and fetched
 * there with {@code npm pack} on first use (about 180 MB download, 540 MB unpacked; never inside
 * the repository).
 *
 * <p>One engine per process: libchdb boots one server context per process and can switch data
 * directories only by shutting it down, so at most one instance is open at a time ({@link #shared()}
 * hands out a process-wide one). Each instance has its own data directory (a fresh temporary one
 * unless given). Queries are serialised on one connection: the connection runs one statement at a
 * time, and per-query database and settings are applied to it and reset afterwards.
 *
 * <p>Errors come back as {@link ClickHouseException} with ClickHouse's code, name and message.
 *
 * <p>Access control: libchdb reads users, roles, settings profiles and row policies from a users
 * file only (no SQL-driven access storage: {@code CREATE USER} fails with
 * ACCESS_STORAGE_FOR_INSERTION_NOT_FOUND, and {@code user_directories.local_directory} in the
 * configuration is ignored), and every connection runs as the user {@code default}. The engine is
 * started with a configuration whose users file is {@link #NETWORK_USERS_XML} unless another is
 * given ({@link #start(Path, String)}): {@code default} may do everything on the engine's own data
 * but nothing that reaches the host's files or network, because {@link ClickHouseHttpFront} serves
 * it to network clients.
 */
public final class EmbeddedClickHouse implements AutoCloseable {

  /** The npm package (name@version) that carries libchdb. */
  public static final String NPM_PACKAGE = "@chdb/lib-linux-x64-gnu@26.7.3-stable.1";

  /**
   * The users file the engine runs with by default. The user {@code default} (the only one a libchdb
   * connection can be) holds every privilege except the source ones (reading or writing files, URLs,
   * remote servers, S3, HDFS, MySQL, … through table functions), CREATE DICTIONARY (dictionary
   * sources read files and URLs), BACKUP and SYSTEM SHUTDOWN; the settings that name files on the
   * host (format schemas and templates, the errors file of input formats, renaming processed files)
   * and the experimental {@code eval} table function (SQL text built at run time) are constants.
   * What access control cannot stop is refused by the HTTP front (see NetworkStatementPolicy).
   */
  public static final String NETWORK_USERS_XML = """
      <clickhouse>
        <profiles>
          <default>
            <constraints>
              <format_schema><const/></format_schema>
              <format_schema_source><const/></format_schema_source>
              <format_template_resultset><const/></format_template_resultset>
              <format_template_row><const/></format_template_row>
              <output_format_schema><const/></output_format_schema>
              <input_format_record_errors_file_path><const/></input_format_record_errors_file_path>
              <rename_files_after_processing><const/></rename_files_after_processing>
              <allow_experimental_eval_table_function><const/></allow_experimental_eval_table_function>
            </constraints>
          </default>
        </profiles>
        <users>
          <default>
            <password></password>
            <networks><ip>::/0</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
            <grants>
              <query>GRANT ALL ON *.*</query>
              <query>REVOKE SOURCES, CREATE DICTIONARY, BACKUP, SYSTEM SHUTDOWN ON *.*</query>
            </grants>
          </default>
        </users>
        <quotas><default></default></quotas>
      </clickhouse>
      """;

  private static final String LIB_ENV = "TOKENLEDGER_LIBCHDB";
  private static final String LIB_PROPERTY = "tokenledger.libchdb";

  private static LibChdb library;
  private static EmbeddedClickHouse open;
  private static EmbeddedClickHouse shared;
  private static boolean hookInstalled;

  private final LibChdb lib;
  private final Pointer connectionHandle;
  private final Pointer connection;
  private final Path dataDir;
  private final boolean ownsDataDir;
  private final Path configDir;
  private boolean closed;
  private String version;

  /** The C API of libchdb that is used here (see chdb.h). */
  interface LibChdb extends Library {
    void chdb_set_signal_handlers_enabled(int enabled);

    Pointer chdb_connect(int argc, StringArray argv);

    void chdb_close_conn(Pointer connectionHandle);

    Pointer chdb_query_n(Pointer connection, byte[] query, long queryLength, byte[] format, long formatLength);

    Pointer chdb_query_with_params_n(Pointer connection, byte[] query, long queryLength, byte[] format,
        long formatLength, Pointer[] names, long[] nameLengths, Pointer[] values, long[] valueLengths, long count);

    Pointer chdb_result_buffer(Pointer result);

    long chdb_result_length(Pointer result);

    Pointer chdb_result_error(Pointer result);

    long chdb_result_rows_read(Pointer result);

    long chdb_result_bytes_read(Pointer result);

    long chdb_result_rows_written(Pointer result);

    long chdb_result_bytes_written(Pointer result);

    double chdb_result_elapsed(Pointer result);

    void chdb_destroy_query_result(Pointer result);
  }

  /** The one libc function needed: saving and restoring signal dispositions around the engine's start. */
  interface LibC extends Library {
    int sigaction(int signal, Pointer action, Pointer oldAction);
  }

  // The signals libchdb installs crash handlers for (Linux numbers): ABRT, SEGV, ILL, BUS, SYS, FPE,
  // TSTP, TRAP. The JVM owns SEGV, BUS, ILL and FPE for implicit null checks, stack banging and
  // safepoint polls; a foreign handler there (libchdb's sleeps for minutes, then crashes) turns an
  // ordinary safepoint into a hung and then dead JVM.
  private static final int[] ENGINE_SIGNALS = {6, 11, 4, 7, 31, 8, 20, 5};
  // Large enough for struct sigaction on glibc x86-64 (152 bytes).
  private static final int SIGACTION_SIZE = 256;

  /** A query's output and its statistics. */
  public record Result(byte[] data, long rowsRead, long bytesRead, long rowsWritten, long bytesWritten,
      double elapsedSeconds) {

    /** The output as UTF-8 text. */
    public String text() {
      return new String(data, StandardCharsets.UTF_8);
    }
  }

  private EmbeddedClickHouse(LibChdb lib, Pointer handle, Path dataDir, boolean ownsDataDir, Path configDir) {
    this.lib = lib;
    this.connectionHandle = handle;
    this.connection = handle.getPointer(0);
    this.dataDir = dataDir;
    this.ownsDataDir = ownsDataDir;
    this.configDir = configDir;
  }

  /** Starts an engine on a fresh temporary data directory, deleted again by {@link #close()}. */
  public static EmbeddedClickHouse start() throws IOException {
    return start(null, true, NETWORK_USERS_XML);
  }

  /** Starts an engine on {@code dataDir} (created if missing, kept on close). */
  public static EmbeddedClickHouse start(Path dataDir) throws IOException {
    return start(dataDir, false, NETWORK_USERS_XML);
  }

  /**
   * Starts an engine on {@code dataDir} (created if missing, kept on close) with {@code usersXml} as
   * its users file (ClickHouse's users.xml format: users, roles, settings profiles with constraints,
   * row policies, quotas). Every connection runs as the user {@code default} of that file, which must
   * have an empty password. libchdb keeps ClickHouse's access-control defaults from before 24.1 (it
   * does not read {@code access_control_improvements}): {@code changeable_in_readonly} constraints
   * are refused, users without a row policy on a table that has one see none of its rows, and
   * creating a table checks no table-engine grant.
   */
  public static EmbeddedClickHouse start(Path dataDir, String usersXml) throws IOException {
    return start(dataDir, false, usersXml);
  }

  /**
   * The process-wide engine, started on first use on a temporary data directory and closed when the
   * JVM exits. Use it when several parts of one process (tests) need the engine: only one can be
   * open at a time.
   */
  public static synchronized EmbeddedClickHouse shared() throws IOException {
    if (shared == null || shared.isClosed()) {
      shared = start();
    }
    return shared;
  }

  private static synchronized EmbeddedClickHouse start(Path dataDir, boolean owns, String usersXml)
      throws IOException {
    if (open != null && !open.isClosed()) {
      throw new IllegalStateException("libchdb runs one engine per process and one is already open (data dir "
          + open.dataDir + "): close it first, or share it (EmbeddedClickHouse.shared())");
    }
    if (library == null) {
      Path path = libraryPath();
      library = Native.load(path.toString(), LibChdb.class);
    }
    if (dataDir == null) {
      dataDir = Files.createTempDirectory("tokenledger-chdb-");
    }
    Files.createDirectories(dataDir);
    Path configDir = writeConfiguration(usersXml);
    String[] argv = {"clickhouse", "--path=" + dataDir.toAbsolutePath(),
        "--config-file=" + configDir.resolve("config.xml").toAbsolutePath()};
    // The JVM's signal handlers must survive the engine: opt out of libchdb's crash handlers, and
    // put back whatever the opt-out or the start changed (some chdb releases reset the deadly
    // signals to SIG_DFL when opting out).
    Pointer handle;
    com.sun.jna.Memory saved = saveSignalDispositions();
    try {
      library.chdb_set_signal_handlers_enabled(0);
      handle = library.chdb_connect(argv.length, new StringArray(argv, StandardCharsets.UTF_8.name()));
    } finally {
      restoreSignalDispositions(saved);
    }
    if (handle == null || handle.getPointer(0) == null) {
      if (owns) {
        deleteTree(dataDir);
      }
      deleteTree(configDir);
      throw new IOException("libchdb could not start an engine on " + dataDir
          + " (chdb_connect failed; is the directory writable and not used by another process, and is the users"
          + " file valid?)");
    }
    EmbeddedClickHouse engine = new EmbeddedClickHouse(library, handle, dataDir, owns, configDir);
    open = engine;
    if (!hookInstalled) {
      // libchdb crashes the process at exit when an engine is still open: close it first.
      Runtime.getRuntime().addShutdownHook(new Thread(EmbeddedClickHouse::closeOpenAtExit, "chdb-shutdown"));
      hookInstalled = true;
    }
    return engine;
  }

  // The engine's configuration: only the users file, in a private temporary directory (an explicit
  // configuration also keeps a stray ~/.clickhouse-local/config.xml or ./config.xml out).
  private static Path writeConfiguration(String usersXml) throws IOException {
    Path dir = Files.createTempDirectory("tokenledger-chdb-config-");
    Path users = dir.resolve("users.xml");
    Files.writeString(users, usersXml, StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("config.xml"), "<clickhouse>\n  <user_directories>\n    <users_xml><path>"
        + users.toAbsolutePath() + "</path></users_xml>\n  </user_directories>\n</clickhouse>\n",
        StandardCharsets.UTF_8);
    return dir;
  }

  private static LibC libc;

  private static com.sun.jna.Memory saveSignalDispositions() {
    if (libc == null) {
      libc = Native.load("c", LibC.class);
    }
    com.sun.jna.Memory m = new com.sun.jna.Memory((long) SIGACTION_SIZE * ENGINE_SIGNALS.length);
    m.clear();
    for (int i = 0; i < ENGINE_SIGNALS.length; i++) {
      libc.sigaction(ENGINE_SIGNALS[i], null, m.share((long) i * SIGACTION_SIZE, SIGACTION_SIZE));
    }
    return m;
  }

  private static void restoreSignalDispositions(com.sun.jna.Memory saved) {
    for (int i = 0; i < ENGINE_SIGNALS.length; i++) {
      libc.sigaction(ENGINE_SIGNALS[i], saved.share((long) i * SIGACTION_SIZE, SIGACTION_SIZE), null);
    }
  }

  private static void closeOpenAtExit() {
    EmbeddedClickHouse e;
    synchronized (EmbeddedClickHouse.class) {
      e = open;
    }
    if (e != null) {
      e.close();
    }
  }

  /** The engine's data directory. */
  public Path dataDir() {
    return dataDir;
  }

  /** ClickHouse's version string, e.g. {@code 26.7.2.1}. */
  public synchronized String version() {
    if (version == null) {
      version = query("SELECT version()").strip();
    }
    return version;
  }

  /** Runs one statement and returns its output in TabSeparated. */
  public String query(String sql) {
    return query(sql, "TabSeparated");
  }

  /** Runs one statement and returns its output in {@code format} as UTF-8 text. */
  public String query(String sql, String format) {
    return new String(queryBytes(sql, format), StandardCharsets.UTF_8);
  }

  /** Runs one statement and returns its output in {@code format}. */
  public byte[] queryBytes(String sql, String format) {
    return execute(sql.getBytes(StandardCharsets.UTF_8), format, null, Map.of(), Map.of()).data();
  }

  /**
   * Runs one statement.
   *
   * @param sql the statement; for {@code INSERT … FORMAT X} the data follows after a newline, as in
   *     ClickHouse's HTTP interface (binary-safe: the engine reads it from a temporary file)
   * @param format the default output format (a FORMAT clause in the statement wins)
   * @param database the current database for this statement, or null for {@code default}
   * @param settings settings for this statement only (applied with SET, and set back to the values
   *     they had before, as a server's session-less request leaves nothing behind; not to DEFAULT,
   *     which is ClickHouse's built-in value and ignores the user's settings profile)
   * @param params values of {@code {name:Type}} query parameters
   * @throws ClickHouseException with ClickHouse's code and message when the engine reports an error
   */
  public synchronized Result execute(byte[] sql, String format, String database, Map<String, String> settings,
      Map<String, String> params) {
    checkOpen();
    List<String> applied = new ArrayList<>();
    previousValues = Map.of();
    boolean switchedDatabase = false;
    try {
      if (database != null && !database.isEmpty() && !database.equals("default")) {
        run(("USE " + SqlText.quoteIdentifier(database)).getBytes(StandardCharsets.UTF_8), "TabSeparated", Map.of());
        switchedDatabase = true;
      }
      for (String name : settings.keySet()) {
        if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
          throw new ClickHouseException(115, "UNKNOWN_SETTING",
              "Code: 115. DB::Exception: Unknown setting '" + name + "'. (UNKNOWN_SETTING)");
        }
      }
      previousValues = settings.isEmpty() ? Map.of() : currentValues(settings.keySet());
      for (Map.Entry<String, String> s : settings.entrySet()) {
        run(("SET " + s.getKey() + " = " + SqlText.quoteString(s.getValue())).getBytes(StandardCharsets.UTF_8),
            "TabSeparated", Map.of());
        applied.add(s.getKey());
      }
      return run(sql, format, params);
    } finally {
      for (String name : applied) {
        String value = previous(name);
        runQuietly("SET " + name + " = " + (value == null ? "DEFAULT" : SqlText.quoteString(value)));
      }
      if (switchedDatabase) {
        runQuietly("USE default");
      }
    }
  }

  // The values the session had before a statement's own settings (guarded by this object's lock).
  private Map<String, String> previousValues = Map.of();

  private String previous(String name) {
    return previousValues.get(name);
  }

  // Current values of these settings, as system.settings prints them (a form SET parses back).
  private Map<String, String> currentValues(java.util.Set<String> names) {
    StringBuilder in = new StringBuilder();
    for (String n : names) {
      in.append(in.length() == 0 ? "" : ", ").append(SqlText.quoteString(n));
    }
    String tsv = new String(run(("SELECT name, value FROM system.settings WHERE name IN (" + in + ")")
        .getBytes(StandardCharsets.UTF_8), "TabSeparated", Map.of()).data(), StandardCharsets.UTF_8);
    Map<String, String> out = new java.util.HashMap<>();
    for (String line : tsv.split("\n")) {
      int tab = line.indexOf('\t');
      if (tab > 0) {
        out.put(line.substring(0, tab), unescapeTsv(line.substring(tab + 1)));
      }
    }
    return out;
  }

  private static String unescapeTsv(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 1 < s.length()) {
        char e = s.charAt(++i);
        sb.append(switch (e) {
          case 't' -> '\t';
          case 'n' -> '\n';
          case 'r' -> '\r';
          case '0' -> '\0';
          default -> e;
        });
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  private void runQuietly(String sql) {
    try {
      run(sql.getBytes(StandardCharsets.UTF_8), "TabSeparated", Map.of());
    } catch (ClickHouseException ignored) {
      // Resetting session state must not hide the statement's own outcome.
    }
  }

  private Result run(byte[] sql, String format, Map<String, String> params) {
    // Inline INSERT data goes through a file: the engine would end it at the first blank line
    // (see InlineInsertData), which binary formats contain by chance.
    InlineInsertData inline = InlineInsertData.split(sql);
    if (inline == null) {
      return runStatement(sql, format, params);
    }
    Path data = null;
    try {
      data = Files.createTempFile("tokenledger-insert-", ".data");
      try (java.io.OutputStream out = Files.newOutputStream(data)) {
        out.write(sql, inline.dataStart(), inline.length());
      }
      return runStatement(inline.statementReading(data.toAbsolutePath().toString()), format, params);
    } catch (IOException e) {
      throw new ClickHouseException(1001, "STD_EXCEPTION", "Code: 1001. DB::Exception: the embedded engine could not "
          + "stage the INSERT's data in a temporary file: " + e + ". (STD_EXCEPTION)");
    } finally {
      if (data != null) {
        try {
          Files.deleteIfExists(data);
        } catch (IOException ignored) {
          // A leftover temporary file must not hide the statement's own outcome.
        }
      }
    }
  }

  private Result runStatement(byte[] sql, String format, Map<String, String> params) {
    byte[] fmt = (format == null || format.isEmpty() ? "TabSeparated" : format).getBytes(StandardCharsets.UTF_8);
    Pointer r;
    if (params.isEmpty()) {
      r = lib.chdb_query_n(connection, sql, sql.length, fmt, fmt.length);
    } else {
      int n = params.size();
      Pointer[] names = new Pointer[n];
      Pointer[] values = new Pointer[n];
      long[] nameLengths = new long[n];
      long[] valueLengths = new long[n];
      List<com.sun.jna.Memory> keepAlive = new ArrayList<>();
      int i = 0;
      for (Map.Entry<String, String> p : params.entrySet()) {
        byte[] k = p.getKey().getBytes(StandardCharsets.UTF_8);
        byte[] v = p.getValue().getBytes(StandardCharsets.UTF_8);
        names[i] = memory(k, keepAlive);
        values[i] = memory(v, keepAlive);
        nameLengths[i] = k.length;
        valueLengths[i] = v.length;
        i++;
      }
      r = lib.chdb_query_with_params_n(connection, sql, sql.length, fmt, fmt.length, names, nameLengths, values,
          valueLengths, n);
    }
    if (r == null) {
      throw new ClickHouseException(1000, "UNKNOWN_EXCEPTION", "Code: 1000. DB::Exception: libchdb returned no result");
    }
    try {
      Pointer err = lib.chdb_result_error(r);
      if (err != null) {
        String message = err.getString(0, StandardCharsets.UTF_8.name());
        if (!message.isEmpty()) {
          throw ClickHouseException.fromEngineMessage(message);
        }
      }
      long length = lib.chdb_result_length(r);
      if (length > Integer.MAX_VALUE - 16) {
        throw new ClickHouseException(396, "TOO_MANY_ROWS_OR_BYTES",
            "Code: 396. DB::Exception: result of " + length + " bytes is too large for the embedded engine's buffer");
      }
      Pointer buf = length == 0 ? null : lib.chdb_result_buffer(r);
      byte[] data = buf == null ? new byte[0] : buf.getByteArray(0, (int) length);
      return new Result(data, lib.chdb_result_rows_read(r), lib.chdb_result_bytes_read(r),
          lib.chdb_result_rows_written(r), lib.chdb_result_bytes_written(r), lib.chdb_result_elapsed(r));
    } finally {
      lib.chdb_destroy_query_result(r);
    }
  }

  private static Pointer memory(byte[] bytes, List<com.sun.jna.Memory> keepAlive) {
    com.sun.jna.Memory m = new com.sun.jna.Memory(Math.max(1, bytes.length));
    m.write(0, bytes, 0, bytes.length);
    keepAlive.add(m);
    return m;
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("this EmbeddedClickHouse is closed");
    }
  }

  /** True once {@link #close()} ran. */
  public synchronized boolean isClosed() {
    return closed;
  }

  /** Shuts the engine down and, for a temporary data directory, deletes it. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      lib.chdb_close_conn(connectionHandle);
    }
    synchronized (EmbeddedClickHouse.class) {
      if (open == this) {
        open = null;
      }
    }
    if (ownsDataDir) {
      deleteTree(dataDir);
    }
    deleteTree(configDir);
  }

  // --- the library: override, cache, or fetch with npm ---------------------------------------

  /**
   * Where libchdb is: the override ({@code TOKENLEDGER_LIBCHDB} / {@code tokenledger.libchdb}), or
   * the user cache, fetched there first if missing.
   */
  public static Path libraryPath() throws IOException {
    String override = System.getProperty(LIB_PROPERTY, System.getenv(LIB_ENV));
    if (override != null && !override.isBlank()) {
      Path p = Paths.get(override);
      if (!Files.isRegularFile(p)) {
        throw new IOException(LIB_ENV + " / -D" + LIB_PROPERTY + " names " + p + ", which is not a file: point it at "
            + "libchdb.so (from the npm package " + NPM_PACKAGE + ") or unset it to fetch it automatically");
      }
      return p;
    }
    Path dir = cacheDir().resolve(NPM_PACKAGE.substring(NPM_PACKAGE.lastIndexOf('@') + 1));
    Path lib = dir.resolve("package").resolve("libchdb.so");
    if (Files.isRegularFile(lib)) {
      return lib;
    }
    checkPlatform();
    Files.createDirectories(dir.getParent());
    // Parallel builds may start at once: one fetches, the others wait for it.
    try (FileChannel ch = FileChannel.open(dir.getParent().resolve(".fetch.lock"), StandardOpenOption.CREATE,
        StandardOpenOption.WRITE); FileLock ignored = ch.lock()) {
      if (!Files.isRegularFile(lib)) {
        fetch(dir);
      }
    }
    return lib;
  }

  /** {@code ${XDG_CACHE_HOME:-$HOME/.cache}/tokenledger/chdb}. */
  static Path cacheDir() {
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base = xdg != null && !xdg.isBlank() ? Paths.get(xdg) : Paths.get(System.getProperty("user.home"), ".cache");
    return base.resolve("tokenledger").resolve("chdb");
  }

  private static void checkPlatform() throws IOException {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
      throw new IOException("the embedded ClickHouse is only fetched for Linux x86-64 (" + NPM_PACKAGE + "); this is "
          + os + "/" + arch + ": set " + LIB_ENV + " to a libchdb for this platform, or CLICKHOUSE_URL to use a real"
          + " ClickHouse server");
    }
  }

  private static void fetch(Path target) throws IOException {
    long t0 = System.nanoTime();
    Path work = Files.createTempDirectory(target.getParent(), "fetch-");
    try {
      List<String> cmd = List.of("npm", "pack", NPM_PACKAGE, "--silent");
      Process p;
      try {
        p = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true).start();
      } catch (IOException e) {
        throw new IOException("cannot run npm to fetch " + NPM_PACKAGE + " (" + e.getMessage() + "): install Node.js/npm,"
            + " or set " + LIB_ENV + " to an unpacked libchdb.so, or CLICKHOUSE_URL to use a real server", e);
      }
      byte[] output = p.getInputStream().readAllBytes();
      boolean done;
      try {
        done = p.waitFor(15, TimeUnit.MINUTES);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
        throw new IOException("interrupted while fetching " + NPM_PACKAGE, e);
      }
      if (!done || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IOException("npm pack " + NPM_PACKAGE + " failed" + (done ? " (exit " + p.exitValue() + ")" : " (timeout)")
            + ": " + new String(output, StandardCharsets.UTF_8).strip());
      }
      Path tgz;
      try (Stream<Path> files = Files.list(work)) {
        tgz = files.filter(f -> f.getFileName().toString().endsWith(".tgz")).findFirst()
            .orElseThrow(() -> new IOException("npm pack " + NPM_PACKAGE + " produced no .tgz in " + work));
      }
      long t1 = System.nanoTime();
      Path unpacked = work.resolve("unpacked");
      untarGz(tgz, unpacked);
      if (!Files.isRegularFile(unpacked.resolve("package").resolve("libchdb.so"))) {
        throw new IOException(NPM_PACKAGE + " has no package/libchdb.so");
      }
      Files.move(unpacked, target, StandardCopyOption.ATOMIC_MOVE);
      long t2 = System.nanoTime();
      System.err.printf(Locale.ROOT, "[tokenledger] fetched %s (%d MB) in %.1f s and unpacked it in %.1f s into %s%n",
          NPM_PACKAGE, Files.size(tgz) >> 20, (t1 - t0) / 1e9, (t2 - t1) / 1e9, target);
    } finally {
      deleteTree(work);
    }
  }

  /** Extracts a .tar.gz (ustar, with GNU long names and pax paths) below {@code dest}. */
  static void untarGz(Path tgz, Path dest) throws IOException {
    Files.createDirectories(dest);
    Path root = dest.toAbsolutePath().normalize();
    try (InputStream in = new GZIPInputStream(Files.newInputStream(tgz), 1 << 16)) {
      byte[] header = new byte[512];
      String longName = null;
      while (readFully(in, header)) {
        if (isZeroBlock(header)) {
          break;
        }
        String name = cString(header, 0, 100);
        String prefix = cString(header, 345, 155);
        if (!prefix.isEmpty()) {
          name = prefix + "/" + name;
        }
        long size = Long.parseLong(cString(header, 124, 12).trim().isEmpty() ? "0" : cString(header, 124, 12).trim(), 8);
        char type = (char) header[156];
        if (type == 'L' || type == 'x') {
          byte[] meta = readBytes(in, size);
          skipPadding(in, size);
          if (type == 'L') {
            longName = cString(meta, 0, meta.length);
          } else {
            String path = paxPath(meta);
            if (path != null) {
              longName = path;
            }
          }
          continue;
        }
        if (longName != null) {
          name = longName;
          longName = null;
        }
        Path out = root.resolve(name).normalize();
        if (!out.startsWith(root)) {
          throw new IOException("tar entry escapes the target directory: " + name);
        }
        if (type == '5') {
          Files.createDirectories(out);
        } else if (type == '0' || type == '\0') {
          Files.createDirectories(out.getParent());
          try (var os = Files.newOutputStream(out)) {
            copy(in, os, size);
          }
          skipPadding(in, size);
          int mode = Integer.parseInt(cString(header, 100, 8).trim().isEmpty() ? "644" : cString(header, 100, 8).trim(), 8);
          if ((mode & 0100) != 0) {
            out.toFile().setExecutable(true);
          }
        } else {
          skip(in, size);
          skipPadding(in, size);
        }
      }
    }
  }

  private static String paxPath(byte[] meta) {
    // Records: "<len> key=value\n".
    String s = new String(meta, StandardCharsets.UTF_8);
    for (String line : s.split("\n")) {
      int sp = line.indexOf(' ');
      if (sp > 0 && line.startsWith("path=", sp + 1)) {
        return line.substring(sp + 6);
      }
    }
    return null;
  }

  private static boolean readFully(InputStream in, byte[] buf) throws IOException {
    int off = 0;
    while (off < buf.length) {
      int r = in.read(buf, off, buf.length - off);
      if (r < 0) {
        return false;
      }
      off += r;
    }
    return true;
  }

  private static byte[] readBytes(InputStream in, long size) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream((int) size);
    copy(in, out, size);
    return out.toByteArray();
  }

  private static void copy(InputStream in, java.io.OutputStream out, long size) throws IOException {
    byte[] buf = new byte[1 << 16];
    long left = size;
    while (left > 0) {
      int r = in.read(buf, 0, (int) Math.min(buf.length, left));
      if (r < 0) {
        throw new IOException("truncated tar archive");
      }
      out.write(buf, 0, r);
      left -= r;
    }
  }

  private static void skip(InputStream in, long size) throws IOException {
    copy(in, java.io.OutputStream.nullOutputStream(), size);
  }

  private static void skipPadding(InputStream in, long size) throws IOException {
    long pad = (512 - size % 512) % 512;
    skip(in, pad);
  }

  private static boolean isZeroBlock(byte[] b) {
    for (byte x : b) {
      if (x != 0) {
        return false;
      }
    }
    return true;
  }

  private static String cString(byte[] b, int off, int len) {
    int end = off;
    while (end < off + len && end < b.length && b[end] != 0) {
      end++;
    }
    return new String(b, off, end - off, StandardCharsets.UTF_8);
  }

  static void deleteTree(Path dir) {
    // The engine's background threads may still be finishing files right after close: retry a little.
    for (int attempt = 0; attempt < 5 && Files.exists(dir); attempt++) {
      if (attempt > 0) {
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
      try (Stream<Path> walk = Files.walk(dir)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> {
          try {
            Files.deleteIfExists(p);
          } catch (IOException e) {
            // Retried below; a leftover temporary file must not fail the caller.
          }
        });
      } catch (IOException | UncheckedIOException e) {
        // Retried, as above.
      }
    }
  }
}
