package dev.tokenledger.clickhouse;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;

/**
 * Test support: a minimal stand-in for ClickHouse's HTTP interface in front of the embedded engine
 * ({@link EmbeddedClickHouse}), because no ClickHouse server can be installed on the project's
 * machines. It listens on 127.0.0.1 on an ephemeral port and speaks just enough of the protocol for
 * clickhouse-jdbc 0.9.x (with {@code compress=0}) and for the OpenTelemetry Collector's ClickHouse
 * exporter (clickhouse-go over {@code http://}, with {@code compress: none}). It is not a server:
 * nothing here is meant for production, and every test that uses it also runs against a real server
 * when {@code CLICKHOUSE_URL} is set.
 *
 * <p>Supported, exactly:
 * <ul>
 *   <li>{@code GET|HEAD /ping} and {@code GET /} without a query: {@code Ok.\n}.
 *   <li>{@code GET|POST /}: the statement is the {@code query} URL parameter, followed by a newline
 *       and the request body when both are present (so {@code INSERT … FORMAT X} in the parameter
 *       takes its data from the body), or the body alone. The engine parses the data part itself
 *       (handed over through a temporary file, see {@link InlineInsertData}: binary-safe), so every
 *       input format it knows works — in particular the exporter's
 *       {@code INSERT INTO t (cols) FORMAT Native} with one plain (revision 0) Native block as the
 *       body, and clickhouse-jdbc's RowBinary / VALUES inserts.
 *   <li>Output format: {@code X-ClickHouse-Format} header, else {@code default_format} parameter,
 *       else TabSeparated; a FORMAT clause in the statement wins, as on a server.
 *   <li>Database: {@code X-ClickHouse-Database} header or {@code database} parameter.
 *   <li>Settings: every other URL parameter is applied as a setting of that one statement (like a
 *       server, an unknown setting fails with UNKNOWN_SETTING). {@code param_<name>} parameters
 *       bind {@code {name:Type}} query parameters.
 *   <li>{@code query_id} (echoed, generated when absent); accepted and ignored: {@code compress=0},
 *       {@code decompress=0}, {@code wait_end_of_query} (responses are always buffered),
 *       {@code session_id}/{@code session_timeout}/{@code session_check} (no sessions: a {@code SET}
 *       or {@code USE} statement is acknowledged and has no lasting effect, as on a server without
 *       a session), {@code client_protocol_version} (see below), {@code user}/{@code password}/
 *       {@code quota_key}.
 *   <li>Request bodies with {@code Content-Encoding: gzip} or {@code deflate}.
 *   <li>Response headers: {@code X-ClickHouse-Query-Id}, {@code -Format}, {@code -Timezone},
 *       {@code -Server-Display-Name}, {@code -Summary} (read/written rows and bytes from the engine).
 *   <li>Errors in ClickHouse's shape: status 4xx/5xx by error code (400 syntax/parse, 401
 *       authentication, 403 access, 404 unknown table/database/function, 500 otherwise), body
 *       {@code Code: N. DB::Exception: … (NAME) (version V)}, header
 *       {@code X-ClickHouse-Exception-Code: N}.
 *   <li>Multi-statement requests are refused (SYNTAX_ERROR), as a server does; so are writes and DDL
 *       sent with GET (READONLY): a server runs GET requests read-only.
 *   <li>clickhouse-go's connect-time hello ({@code SELECT displayName(), version(), revision(),
 *       timezone()} with {@code client_protocol_version}): answered with a Native block encoded at
 *       the client's revision, reporting revision 0. That makes the driver read every later Native
 *       result as plain (revision 0) Native, which is what the engine produces — a real server
 *       would instead encode later results at its own revision.
 * </ul>
 *
 * <p>Not supported (answered with NOT_IMPLEMENTED): ClickHouse's compressed framing
 * ({@code compress=1}, {@code decompress=1}; use {@code compress=0} in the JDBC URL and
 * {@code compress: none} in the exporter), HTTP response compression, sessions, external tables,
 * progress headers, TLS.
 *
 * <p>Authentication: Basic auth, {@code X-ClickHouse-User}/{@code X-ClickHouse-Key} and
 * {@code user}/{@code password} parameters are accepted. Users cannot be enforced on the embedded
 * engine (it has no access storage; every statement runs as {@code default}), so any credentials
 * pass unless {@link #requireCredentials} is set, which checks one user/password pair — enough to
 * test a client's handling of wrong credentials, not access control. Tests of users, roles and
 * grants must run on a real server ({@code CLICKHOUSE_URL}).
 */
public final class ClickHouseHttpFront implements AutoCloseable {

  private static final Set<String> NOT_SETTINGS = Set.of("query", "database", "default_format", "user", "password",
      "quota_key", "query_id", "session_id", "session_timeout", "session_check", "close_session", "compress",
      "decompress", "buffer_size", "wait_end_of_query", "client_protocol_version", "stacktrace", "role");
  // What a GET may not run: a server treats GET as readonly (data and DDL need POST). Anything else,
  // including text that does not parse, goes to the engine, which answers as a server would.
  private static final Set<String> WRITE_KEYWORDS = Set.of("INSERT", "CREATE", "ALTER", "DROP", "TRUNCATE", "RENAME",
      "OPTIMIZE", "ATTACH", "DETACH", "GRANT", "REVOKE", "SYSTEM", "KILL", "DELETE", "UPDATE", "EXCHANGE", "UNDROP",
      "BACKUP", "RESTORE", "MOVE");
  private static final String HELLO = "SELECT displayName(), version(), revision(), timezone()";
  // Protocol revision from which Native blocks carry a per-column custom-serialization flag.
  private static final int REVISION_WITH_CUSTOM_SERIALIZATION = 54454;
  private static final Pattern FORMAT_CLAUSE = Pattern.compile("(?is).*\\bFORMAT\\s+([A-Za-z0-9_]+)\\s*;?\\s*$");

  private final EmbeddedClickHouse engine;
  private final HttpServer server;
  private final ExecutorService executor;
  private volatile StatementHook afterExecute;
  private volatile String requiredUser;
  private volatile String requiredPassword;
  private final String displayName;
  private final String timezone;
  private final String version;

  private ClickHouseHttpFront(EmbeddedClickHouse engine, int port) throws IOException {
    this.engine = engine;
    this.version = engine.version();
    String[] info = engine.query("SELECT displayName(), timezone()").strip().split("\t");
    this.displayName = info[0];
    this.timezone = info.length > 1 ? info[1] : "UTC";
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
    AtomicInteger n = new AtomicInteger();
    this.executor = Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "clickhouse-http-front-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/", this::handle);
  }

  /** Starts a front for {@code engine} on 127.0.0.1 and an ephemeral port. */
  public static ClickHouseHttpFront start(EmbeddedClickHouse engine) throws IOException {
    return start(engine, 0);
  }

  /**
   * Starts a front for {@code engine} on 127.0.0.1 and {@code port} (0: an ephemeral one) — e.g. the
   * port of a front closed earlier, to bring "ClickHouse" back where its clients expect it.
   */
  public static ClickHouseHttpFront start(EmbeddedClickHouse engine, int port) throws IOException {
    ClickHouseHttpFront front = new ClickHouseHttpFront(engine, port);
    front.server.start();
    return front;
  }

  /** The port it listens on. */
  public int port() {
    return server.getAddress().getPort();
  }

  /** {@code http://127.0.0.1:<port>}: the endpoint for the exporter or any HTTP client. */
  public String url() {
    return "http://127.0.0.1:" + port();
  }

  /** A clickhouse-jdbc URL for this front (uncompressed, as the front requires). */
  public String jdbcUrl(String database) {
    return "jdbc:clickhouse:" + url() + "/" + (database == null ? "" : database) + "?compress=0";
  }

  /**
   * Makes the front accept only this user and password (answering AUTHENTICATION_FAILED otherwise),
   * so that clients' handling of wrong credentials can be tested. This is not access control.
   */
  public void requireCredentials(String user, String password) {
    this.requiredUser = user;
    this.requiredPassword = password;
  }

  /**
   * Test hook for fault injection: called after the engine has executed a statement (an INSERT is
   * committed, its materialized views included) and before the answer is sent.
   */
  @FunctionalInterface
  public interface StatementHook {
    /**
     * @param sql the statement (an INSERT's text up to its FORMAT clause, without its data)
     */
    void afterExecute(String sql) throws InterruptedException;
  }

  /**
   * Installs a {@link StatementHook} (null: none), e.g. one that sleeps past the client's timeout, so
   * the client sees no answer for an insert the server committed.
   */
  public void afterExecute(StatementHook hook) {
    this.afterExecute = hook;
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  private void handle(HttpExchange ex) throws IOException {
    String queryId = null;
    try {
      Map<String, String> params = parseQuery(ex.getRequestURI().getRawQuery());
      queryId = firstNonEmpty(ex.getRequestHeaders().getFirst("X-ClickHouse-Query-Id"), params.get("query_id"),
          UUID.randomUUID().toString());
      String path = ex.getRequestURI().getPath();
      String method = ex.getRequestMethod().toUpperCase(Locale.ROOT);
      byte[] body = "POST".equals(method) ? readBody(ex) : new byte[0];

      if (path.equals("/ping") || path.equals("/replicas_status")
          || path.equals("/") && !params.containsKey("query") && body.length == 0 && !"POST".equals(method)) {
        send(ex, 200, "text/html; charset=UTF-8", "Ok.\n".getBytes(StandardCharsets.UTF_8), queryId, null, null);
        return;
      }
      if (!path.equals("/")) {
        throw new ClickHouseException(1000, "UNKNOWN_EXCEPTION", "Code: 1000. DB::Exception: the embedded test front "
            + "serves only / and /ping, not " + path + ". (NOT_IMPLEMENTED)");
      }
      checkCredentials(ex, params);
      if ("1".equals(params.get("compress")) || "1".equals(params.get("decompress"))) {
        throw new ClickHouseException(48, "NOT_IMPLEMENTED", "Code: 48. DB::Exception: the embedded test front does not "
            + "support ClickHouse's compressed framing (compress=1 / decompress=1): use compress=0 in the JDBC URL and"
            + " compress: none in the exporter. (NOT_IMPLEMENTED)");
      }

      byte[] sql = statement(params.get("query"), body);
      if (sql.length == 0) {
        throw new ClickHouseException(62, "SYNTAX_ERROR", "Code: 62. DB::Exception: Empty query. (SYNTAX_ERROR)");
      }
      String head = headText(sql);
      String keyword = SqlText.firstKeyword(head);
      String format = firstNonEmpty(ex.getRequestHeaders().getFirst("X-ClickHouse-Format"),
          params.get("default_format"), "TabSeparated");
      String database = firstNonEmpty(ex.getRequestHeaders().getFirst("X-ClickHouse-Database"),
          params.get("database"), null);
      int clientRevision = parseInt(params.get("client_protocol_version"));

      if (!keyword.equals("INSERT") && SqlText.splitStatements(new String(sql, StandardCharsets.UTF_8)).size() > 1) {
        throw new ClickHouseException(62, "SYNTAX_ERROR",
            "Code: 62. DB::Exception: Multi-statements are not allowed. (SYNTAX_ERROR)");
      }
      if ("GET".equals(method) && WRITE_KEYWORDS.contains(keyword)) {
        throw new ClickHouseException(164, "READONLY", "Code: 164. DB::Exception: Cannot execute query in readonly mode:"
            + " GET requests are read-only, send " + keyword + " with POST. (READONLY)");
      }
      if (keyword.equals("SET") || keyword.equals("USE")) {
        // Without a session a server forgets these after the request: acknowledge, change nothing.
        send(ex, 200, contentType(format), new byte[0], queryId, summary(null, format), format);
        return;
      }
      if (clientRevision > 0 && "Native".equalsIgnoreCase(format)
          && normalize(new String(sql, StandardCharsets.UTF_8)).equalsIgnoreCase(HELLO)) {
        send(ex, 200, "application/octet-stream", helloBlock(clientRevision), queryId, summary(null, format), format);
        return;
      }

      Map<String, String> settings = new LinkedHashMap<>();
      Map<String, String> queryParams = new LinkedHashMap<>();
      for (Map.Entry<String, String> p : params.entrySet()) {
        if (p.getKey().startsWith("param_")) {
          queryParams.put(p.getKey().substring("param_".length()), p.getValue());
        } else if (!NOT_SETTINGS.contains(p.getKey())) {
          settings.put(p.getKey(), p.getValue());
        }
      }
      EmbeddedClickHouse.Result r = engine.execute(sql, format, database, settings, queryParams);
      StatementHook hook = afterExecute;
      if (hook != null) {
        try {
          hook.afterExecute(head);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      String actualFormat = format;
      if (!keyword.equals("INSERT")) {
        Matcher m = FORMAT_CLAUSE.matcher(head);
        if (m.matches()) {
          actualFormat = m.group(1);
        }
      }
      send(ex, 200, contentType(actualFormat), "HEAD".equals(method) ? new byte[0] : r.data(), queryId,
          summary(r, actualFormat), actualFormat);
    } catch (ClickHouseException e) {
      sendError(ex, e, queryId);
    } catch (RuntimeException | IOException e) {
      sendError(ex, new ClickHouseException(1001, "STD_EXCEPTION",
          "Code: 1001. DB::Exception: embedded test front: " + e + ". (STD_EXCEPTION)"), queryId);
    } finally {
      ex.close();
    }
  }

  private void checkCredentials(HttpExchange ex, Map<String, String> params) {
    String expectedUser = requiredUser;
    if (expectedUser == null) {
      return;
    }
    Headers h = ex.getRequestHeaders();
    String user = firstNonEmpty(h.getFirst("X-ClickHouse-User"), params.get("user"), null);
    String password = firstNonEmpty(h.getFirst("X-ClickHouse-Key"), params.get("password"), null);
    String auth = h.getFirst("Authorization");
    if (auth != null && auth.regionMatches(true, 0, "Basic ", 0, 6)) {
      String decoded = new String(Base64.getDecoder().decode(auth.substring(6).trim()), StandardCharsets.UTF_8);
      int colon = decoded.indexOf(':');
      user = colon < 0 ? decoded : decoded.substring(0, colon);
      password = colon < 0 ? "" : decoded.substring(colon + 1);
    }
    if (user == null) {
      user = "default";
    }
    if (!expectedUser.equals(user) || !String.valueOf(requiredPassword).equals(password == null ? "" : password)) {
      throw new ClickHouseException(516, "AUTHENTICATION_FAILED", "Code: 516. DB::Exception: " + user
          + ": Authentication failed: password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)");
    }
  }

  private static byte[] statement(String queryParam, byte[] body) {
    if (queryParam == null || queryParam.isEmpty()) {
      return body;
    }
    byte[] q = queryParam.getBytes(StandardCharsets.UTF_8);
    if (body.length == 0) {
      return q;
    }
    // As a server does: the parameter, a newline, then the body (the data of an INSERT).
    byte[] all = new byte[q.length + 1 + body.length];
    System.arraycopy(q, 0, all, 0, q.length);
    all[q.length] = '\n';
    System.arraycopy(body, 0, all, q.length + 1, body.length);
    return all;
  }

  // The SQL part of a request, as text: for an INSERT with inline data, up to its FORMAT clause's line.
  private static String headText(byte[] sql) {
    int limit = Math.min(sql.length, 1 << 20);
    String text = new String(sql, 0, limit, StandardCharsets.ISO_8859_1);
    String kw = SqlText.firstKeyword(text);
    if (kw.equals("INSERT")) {
      Matcher m = Pattern.compile("(?is)\\bFORMAT\\s+[A-Za-z0-9_]+").matcher(text);
      if (m.find()) {
        limit = m.end();
      }
    }
    return new String(sql, 0, limit, StandardCharsets.UTF_8);
  }

  private static String normalize(String sql) {
    String s = sql.strip();
    if (s.endsWith(";")) {
      s = s.substring(0, s.length() - 1).strip();
    }
    return s.replaceAll("\\s+", " ");
  }

  // clickhouse-go's hello, answered as a Native block at the client's revision (block info and
  // custom-serialization flags included), reporting revision 0 so later results are read as plain
  // Native — the only Native the engine writes.
  private byte[] helloBlock(int clientRevision) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (clientRevision > 0) {
      uvarint(out, 1);
      out.write(0); // is_overflows
      uvarint(out, 2);
      int32(out, -1); // bucket_num
      uvarint(out, 0);
    }
    uvarint(out, 4); // columns
    uvarint(out, 1); // rows
    stringColumn(out, "displayName()", displayName, clientRevision);
    stringColumn(out, "version()", version, clientRevision);
    column(out, "revision()", "UInt32", clientRevision);
    int32(out, 0);
    stringColumn(out, "timezone()", timezone, clientRevision);
    return out.toByteArray();
  }

  private static void stringColumn(ByteArrayOutputStream out, String name, String value, int revision) {
    column(out, name, "String", revision);
    string(out, value);
  }

  private static void column(ByteArrayOutputStream out, String name, String type, int revision) {
    string(out, name);
    string(out, type);
    if (revision >= REVISION_WITH_CUSTOM_SERIALIZATION) {
      out.write(0);
    }
  }

  private static void string(ByteArrayOutputStream out, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    uvarint(out, b.length);
    out.write(b, 0, b.length);
  }

  private static void uvarint(ByteArrayOutputStream out, long v) {
    while ((v & ~0x7FL) != 0) {
      out.write((int) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
  }

  private static void int32(ByteArrayOutputStream out, int v) {
    out.write(v & 0xFF);
    out.write((v >>> 8) & 0xFF);
    out.write((v >>> 16) & 0xFF);
    out.write((v >>> 24) & 0xFF);
  }

  private String summary(EmbeddedClickHouse.Result r, String format) {
    long readRows = r == null ? 0 : r.rowsRead();
    long readBytes = r == null ? 0 : r.bytesRead();
    long writtenRows = r == null ? 0 : r.rowsWritten();
    long writtenBytes = r == null ? 0 : r.bytesWritten();
    long elapsedNs = r == null ? 0 : (long) (r.elapsedSeconds() * 1e9);
    return "{\"read_rows\":\"" + readRows + "\",\"read_bytes\":\"" + readBytes + "\",\"written_rows\":\""
        + writtenRows + "\",\"written_bytes\":\"" + writtenBytes + "\",\"total_rows_to_read\":\"0\","
        + "\"result_rows\":\"0\",\"result_bytes\":\"0\",\"elapsed_ns\":\"" + elapsedNs + "\"}";
  }

  private void send(HttpExchange ex, int status, String contentType, byte[] body, String queryId, String summary,
      String format) throws IOException {
    Headers h = ex.getResponseHeaders();
    if (format != null) {
      h.set("X-ClickHouse-Format", format);
    }
    h.set("Content-Type", contentType);
    h.set("X-ClickHouse-Server-Display-Name", displayName);
    h.set("X-ClickHouse-Timezone", timezone);
    if (queryId != null) {
      h.set("X-ClickHouse-Query-Id", queryId);
    }
    if (summary != null) {
      h.set("X-ClickHouse-Summary", summary);
    }
    boolean head = "HEAD".equalsIgnoreCase(ex.getRequestMethod());
    ex.sendResponseHeaders(status, head || body.length == 0 ? -1 : body.length);
    if (!head && body.length > 0) {
      try (OutputStream os = ex.getResponseBody()) {
        os.write(body);
      }
    }
  }

  private void sendError(HttpExchange ex, ClickHouseException e, String queryId) {
    try {
      String msg = e.getMessage();
      if (!msg.contains("(version ")) {
        msg = msg + " (version " + version + ")";
      }
      ex.getResponseHeaders().set("X-ClickHouse-Exception-Code", String.valueOf(e.code()));
      send(ex, httpStatus(e.code()), "text/plain; charset=UTF-8", (msg + "\n").getBytes(StandardCharsets.UTF_8),
          queryId, null, null);
    } catch (IOException ignored) {
      // The client went away; nothing left to tell it.
    }
  }

  /** The HTTP status a ClickHouse server uses for an error code (the common cases). */
  static int httpStatus(int code) {
    return switch (code) {
      case 193, 194, 192, 516 -> 401; // WRONG_PASSWORD, REQUIRED_PASSWORD, UNKNOWN_USER, AUTHENTICATION_FAILED
      case 497, 164 -> 403; // ACCESS_DENIED, READONLY
      case 60, 81, 46, 73, 47 -> 404; // UNKNOWN_TABLE, UNKNOWN_DATABASE, UNKNOWN_FUNCTION, UNKNOWN_FORMAT, UNKNOWN_IDENTIFIER
      case 62, 26, 27, 6, 38, 69, 70, 72, 117, 115, 43, 53, 16, 36, 42, 44, 457 -> 400; // syntax, parse, type and argument errors
      case 48 -> 501; // NOT_IMPLEMENTED
      default -> 500;
    };
  }

  private static String contentType(String format) {
    String f = format.toLowerCase(Locale.ROOT);
    if (f.startsWith("json")) {
      return "application/json; charset=UTF-8";
    }
    if (f.startsWith("tabseparated") || f.startsWith("tsv") || f.startsWith("csv") || f.startsWith("pretty")
        || f.equals("values") || f.startsWith("vertical") || f.startsWith("markdown")) {
      return f.startsWith("csv") ? "text/csv; charset=UTF-8" : "text/tab-separated-values; charset=UTF-8";
    }
    return "application/octet-stream";
  }

  private static byte[] readBody(HttpExchange ex) throws IOException {
    String encoding = ex.getRequestHeaders().getFirst("Content-Encoding");
    InputStream in = ex.getRequestBody();
    if (encoding != null && !encoding.isBlank() && !encoding.equalsIgnoreCase("identity")) {
      switch (encoding.trim().toLowerCase(Locale.ROOT)) {
        case "gzip" -> in = new GZIPInputStream(in);
        case "deflate" -> in = new InflaterInputStream(in);
        default -> throw new ClickHouseException(48, "NOT_IMPLEMENTED", "Code: 48. DB::Exception: the embedded test front"
            + " does not support Content-Encoding " + encoding + " (only gzip and deflate). (NOT_IMPLEMENTED)");
      }
    }
    try (InputStream body = in) {
      return body.readAllBytes();
    }
  }

  private static Map<String, String> parseQuery(String raw) {
    Map<String, String> out = new LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) {
      return out;
    }
    for (String pair : raw.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      out.put(k, v);
    }
    return out;
  }

  private static int parseInt(String s) {
    try {
      return s == null ? 0 : Integer.parseInt(s.trim());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static String firstNonEmpty(String a, String b, String c) {
    if (a != null && !a.isEmpty()) {
      return a;
    }
    if (b != null && !b.isEmpty()) {
      return b;
    }
    return c;
  }
}
