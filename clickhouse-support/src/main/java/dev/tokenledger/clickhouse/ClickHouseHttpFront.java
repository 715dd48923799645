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
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
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
 *       a session), {@code client_protocol_version} (see below), {@code quota_key};
 *       {@code user}/{@code password} are the credential (below).
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
 * <p>Who may use it, since it runs SQL on this machine's engine for anyone who reaches it:
 * <ul>
 *   <li>Loopback only: it listens on 127.0.0.1, and a request whose peer address is not a loopback
 *       address is answered 403.
 *   <li>One credential per front, random unless given ({@link Credentials#random()}): user
 *       {@code default} and a 32-byte random password, to be handed to whatever the starter launches
 *       ({@link #user()}, {@link #password()}). Every statement needs it (Basic auth,
 *       {@code X-ClickHouse-User}/{@code X-ClickHouse-Key} or {@code user}/{@code password}
 *       parameters); otherwise 401 AUTHENTICATION_FAILED. {@code /ping} and a bare {@code GET /}
 *       answer without it, as a server's do.
 *   <li>No browsers: a request with an {@code Origin} header, or with {@code Sec-Fetch-Site} other
 *       than {@code none} (a page of another site, or of this one), is answered 403 before anything
 *       else, so a web page cannot drive the engine through the user's browser.
 *   <li>Bodies up to {@link #DEFAULT_MAX_BODY_BYTES} (256 MiB, after gzip/deflate decoding; a
 *       different limit can be given): beyond it, 413 without reading on.
 *   <li>No host files, programs or network from SQL: the engine's user lacks the source privileges
 *       ({@link EmbeddedClickHouse#NETWORK_USERS_XML}) and the front refuses what access control
 *       cannot stop (INTO OUTFILE, FROM INFILE, {@code file()}, external table engines; see
 *       NetworkStatementPolicy) with 403 ACCESS_DENIED.
 * </ul>
 * Every statement still runs as the engine's user {@code default}: the credential admits a client,
 * it does not choose a ClickHouse user.
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

  /** The largest request body accepted by default: 256 MiB, counted after gzip/deflate decoding. */
  public static final long DEFAULT_MAX_BODY_BYTES = 256L << 20;

  /** The user and password a front admits. */
  public record Credentials(String user, String password) {

    public Credentials {
      if (user == null || user.isEmpty() || password == null || password.isEmpty()) {
        throw new IllegalArgumentException("a front needs a user and a non-empty password");
      }
    }

    /** User {@code default} with a fresh random password (32 bytes from a SecureRandom, URL-safe Base64). */
    public static Credentials random() {
      byte[] b = new byte[32];
      RANDOM.nextBytes(b);
      return new Credentials("default", Base64.getUrlEncoder().withoutPadding().encodeToString(b));
    }

    @Override
    public String toString() {
      return "Credentials[user=" + user + ", password=(hidden)]";
    }
  }

  private static final SecureRandom RANDOM = new SecureRandom();

  private final EmbeddedClickHouse engine;
  private final HttpServer server;
  private final ExecutorService executor;
  private final Credentials credentials;
  private final long maxBodyBytes;
  private final AtomicLong largestBody = new AtomicLong();
  private volatile StatementHook afterExecute;
  private final String displayName;
  private final String timezone;
  private final String version;

  private ClickHouseHttpFront(EmbeddedClickHouse engine, int port, Credentials credentials, long maxBodyBytes)
      throws IOException {
    if (maxBodyBytes <= 0) {
      throw new IllegalArgumentException("maxBodyBytes must be positive");
    }
    this.engine = engine;
    this.credentials = credentials;
    this.maxBodyBytes = maxBodyBytes;
    this.version = engine.version();
    String[] info = engine.query("SELECT displayName(), timezone()").strip().split("\t");
    this.displayName = info[0];
    this.timezone = info.length > 1 ? info[1] : "UTC";
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), port),
        64);
    AtomicInteger n = new AtomicInteger();
    this.executor = Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "clickhouse-http-front-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/", this::handle);
  }

  /** Starts a front for {@code engine} on 127.0.0.1, an ephemeral port and a random credential. */
  public static ClickHouseHttpFront start(EmbeddedClickHouse engine) throws IOException {
    return start(engine, 0, Credentials.random(), DEFAULT_MAX_BODY_BYTES);
  }

  /**
   * Starts a front for {@code engine} on 127.0.0.1 and {@code port} (0: an ephemeral one) admitting
   * {@code credentials} — e.g. the port and credential of a front closed earlier, to bring
   * "ClickHouse" back where its clients expect it.
   */
  public static ClickHouseHttpFront start(EmbeddedClickHouse engine, int port, Credentials credentials)
      throws IOException {
    return start(engine, port, credentials, DEFAULT_MAX_BODY_BYTES);
  }

  /** {@link #start(EmbeddedClickHouse, int, Credentials)} with another body limit (bytes, decoded). */
  public static ClickHouseHttpFront start(EmbeddedClickHouse engine, int port, Credentials credentials,
      long maxBodyBytes) throws IOException {
    ClickHouseHttpFront front = new ClickHouseHttpFront(engine, port, credentials, maxBodyBytes);
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

  /** The credential this front admits. */
  public Credentials credentials() {
    return credentials;
  }

  /** The user to connect as ({@code default} unless the starter chose another). */
  public String user() {
    return credentials.user();
  }

  /** The password to connect with: random per front unless the starter chose one. */
  public String password() {
    return credentials.password();
  }

  /** The largest request body this front accepts (bytes, after decoding). */
  public long maxBodyBytes() {
    return maxBodyBytes;
  }

  /** The largest request body accepted so far (bytes, after decoding): how close clients come to the limit. */
  public long largestBodyBytes() {
    return largestBody.get();
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
      checkPeerAndOrigin(ex);
      Map<String, String> params = parseQuery(ex.getRequestURI().getRawQuery());
      queryId = firstNonEmpty(ex.getRequestHeaders().getFirst("X-ClickHouse-Query-Id"), params.get("query_id"),
          UUID.randomUUID().toString());
      String path = ex.getRequestURI().getPath();
      String method = ex.getRequestMethod().toUpperCase(Locale.ROOT);

      if (path.equals("/ping") || path.equals("/replicas_status")
          || path.equals("/") && !params.containsKey("query") && !"POST".equals(method)) {
        send(ex, 200, "text/html; charset=UTF-8", "Ok.\n".getBytes(StandardCharsets.UTF_8), queryId, null, null);
        return;
      }
      if (!path.equals("/")) {
        throw new ClickHouseException(1000, "UNKNOWN_EXCEPTION", "Code: 1000. DB::Exception: the embedded test front "
            + "serves only / and /ping, not " + path + ". (NOT_IMPLEMENTED)");
      }
      // Credentials before the body: an unauthenticated client gets nothing read on its behalf.
      checkCredentials(ex, params);
      byte[] body = "POST".equals(method) ? readBody(ex) : new byte[0];
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
      Map<String, String> queryParams = new LinkedHashMap<>();
      for (Map.Entry<String, String> p : params.entrySet()) {
        if (p.getKey().startsWith("param_")) {
          queryParams.put(p.getKey().substring("param_".length()), p.getValue());
        }
      }
      NetworkStatementPolicy.check(sql, queryParams);
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
      for (Map.Entry<String, String> p : params.entrySet()) {
        if (!p.getKey().startsWith("param_") && !NOT_SETTINGS.contains(p.getKey())) {
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
    } catch (BodyTooLarge e) {
      ex.getResponseHeaders().set("Connection", "close");
      sendError(ex, 413, new ClickHouseException(1000, "UNKNOWN_EXCEPTION", "Code: 1000. DB::Exception: the request "
          + "body is larger than the embedded test front accepts (" + maxBodyBytes + " bytes after decoding): send"
          + " smaller batches. (UNKNOWN_EXCEPTION)"), queryId);
    } catch (RuntimeException | IOException e) {
      sendError(ex, new ClickHouseException(1001, "STD_EXCEPTION",
          "Code: 1001. DB::Exception: embedded test front: " + e + ". (STD_EXCEPTION)"), queryId);
    } finally {
      ex.close();
    }
  }

  // A peer that is not on this machine, or a browser acting for a web page, gets nothing.
  private static void checkPeerAndOrigin(HttpExchange ex) {
    InetSocketAddress peer = ex.getRemoteAddress();
    if (peer == null || peer.getAddress() == null || !peer.getAddress().isLoopbackAddress()) {
      throw new ClickHouseException(497, "ACCESS_DENIED", "Code: 497. DB::Exception: the embedded test front serves"
          + " loopback clients only. (ACCESS_DENIED)");
    }
    Headers h = ex.getRequestHeaders();
    String fetchSite = h.getFirst("Sec-Fetch-Site");
    if (h.containsKey("Origin") || fetchSite != null && !fetchSite.trim().equalsIgnoreCase("none")) {
      throw new ClickHouseException(497, "ACCESS_DENIED", "Code: 497. DB::Exception: the embedded test front refuses"
          + " requests made by web pages (Origin or Sec-Fetch-Site header). (ACCESS_DENIED)");
    }
  }

  private void checkCredentials(HttpExchange ex, Map<String, String> params) {
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
    boolean userMatches = MessageDigest.isEqual(user.getBytes(StandardCharsets.UTF_8),
        credentials.user().getBytes(StandardCharsets.UTF_8));
    boolean passwordMatches = MessageDigest.isEqual((password == null ? "" : password).getBytes(StandardCharsets.UTF_8),
        credentials.password().getBytes(StandardCharsets.UTF_8));
    if (!userMatches || !passwordMatches) {
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
    sendError(ex, httpStatus(e.code()), e, queryId);
  }

  private void sendError(HttpExchange ex, int status, ClickHouseException e, String queryId) {
    try {
      String msg = e.getMessage();
      if (!msg.contains("(version ")) {
        msg = msg + " (version " + version + ")";
      }
      ex.getResponseHeaders().set("X-ClickHouse-Exception-Code", String.valueOf(e.code()));
      send(ex, status, "text/plain; charset=UTF-8", (msg + "\n").getBytes(StandardCharsets.UTF_8),
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

  /** Thrown while reading a body that exceeds the limit. */
  private static final class BodyTooLarge extends IOException {
    BodyTooLarge() {
      super("request body too large");
    }
  }

  private byte[] readBody(HttpExchange ex) throws IOException {
    String length = ex.getRequestHeaders().getFirst("Content-Length");
    if (length != null) {
      try {
        if (Long.parseLong(length.trim()) > maxBodyBytes) {
          throw new BodyTooLarge();
        }
      } catch (NumberFormatException ignored) {
        // Counted while reading instead.
      }
    }
    String encoding = ex.getRequestHeaders().getFirst("Content-Encoding");
    InputStream in = limited(ex.getRequestBody());
    if (encoding != null && !encoding.isBlank() && !encoding.equalsIgnoreCase("identity")) {
      switch (encoding.trim().toLowerCase(Locale.ROOT)) {
        case "gzip" -> in = new GZIPInputStream(in);
        case "deflate" -> in = new InflaterInputStream(in);
        default -> throw new ClickHouseException(48, "NOT_IMPLEMENTED", "Code: 48. DB::Exception: the embedded test front"
            + " does not support Content-Encoding " + encoding + " (only gzip and deflate). (NOT_IMPLEMENTED)");
      }
    }
    try (InputStream body = limited(in)) {
      byte[] bytes = body.readAllBytes();
      largestBody.accumulateAndGet(bytes.length, Math::max);
      return bytes;
    }
  }

  // Reads at most maxBodyBytes; one byte more is BodyTooLarge. Applied to the raw and to the decoded
  // stream, so neither a long upload nor a small gzip that inflates without end gets past it.
  private InputStream limited(InputStream in) {
    return new java.io.FilterInputStream(in) {
      private long count;

      @Override
      public int read() throws IOException {
        int b = super.read();
        if (b >= 0 && ++count > maxBodyBytes) {
          throw new BodyTooLarge();
        }
        return b;
      }

      @Override
      public int read(byte[] buf, int off, int len) throws IOException {
        int n = super.read(buf, off, len);
        if (n > 0 && (count += n) > maxBodyBytes) {
          throw new BodyTooLarge();
        }
        return n;
      }
    };
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
