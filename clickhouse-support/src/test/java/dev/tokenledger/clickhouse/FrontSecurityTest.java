package dev.tokenledger.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The embedded engine's HTTP front serves this machine's engine to local programs only: a random
 * credential per front, loopback only, no web pages, bounded bodies, and no statement that reaches
 * the host's files, programs or network. Every check is made through HTTP, as an attacker would.
 */
class FrontSecurityTest {

  static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  static ClickHouseTarget target;
  static ClickHouseHttpFront front;
  static Path dir;
  static Path secret;
  static String db;

  @BeforeAll
  static void setUp() throws Exception {
    target = ClickHouseTarget.get();
    assumeTrue(target.embedded, "the front's own behaviour");
    front = target.front;
    dir = Files.createTempDirectory("front-security");
    secret = dir.resolve("secret.txt");
    Files.writeString(secret, "the-host-secret\n");
    db = ClickHouseTarget.uniqueDatabase("tl_front");
    assertEquals(200, send(authorized(post("CREATE DATABASE " + db))).statusCode());
    assertEquals(200, send(authorized(post("CREATE TABLE " + db + ".t (s String) ENGINE = MergeTree ORDER BY s")))
        .statusCode());
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (front != null) {
      send(authorized(post("DROP DATABASE IF EXISTS " + db + " SYNC")));
      EmbeddedClickHouse.deleteTree(dir);
    }
  }

  // ------------------------------------------------------------------------------------------ who

  @Test
  void everyStatementNeedsTheFrontsRandomCredential() throws Exception {
    assertEquals(401, send(get("SELECT 1")).statusCode(), "no credential");
    HttpResponse<String> wrong = send(get("SELECT 1").header("Authorization", basic(front.user(), "guess")));
    assertEquals(401, wrong.statusCode());
    assertEquals("516", wrong.headers().firstValue("X-ClickHouse-Exception-Code").orElse(null));
    assertEquals(401, send(get("SELECT 1").header("X-ClickHouse-User", front.user())).statusCode(), "no password");
    assertEquals(200, send(authorized(get("SELECT 1"))).statusCode());
    // As on a server, the liveness endpoints answer anyone.
    assertEquals(200, send(HttpRequest.newBuilder(URI.create(front.url() + "/ping"))).statusCode());
  }

  @Test
  void eachFrontHasItsOwnRandomPassword() throws Exception {
    assertTrue(front.password().length() >= 40, "32 random bytes, Base64");
    try (ClickHouseHttpFront other = ClickHouseHttpFront.start(target.engine)) {
      assertNotEquals(front.password(), other.password());
      HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(other.url() + "/?query=SELECT%201"))
          .header("Authorization", basic(front.user(), front.password())));
      assertEquals(401, r.statusCode(), "another front's credential");
    }
  }

  @Test
  void webPagesAreRefused() throws Exception {
    assertEquals(403, send(authorized(get("SELECT 1")).header("Origin", "http://attacker.example")).statusCode());
    assertEquals(403, send(authorized(get("SELECT 1")).header("Origin", "null")).statusCode());
    assertEquals(403, send(authorized(get("SELECT 1")).header("Sec-Fetch-Site", "cross-site")).statusCode());
    assertEquals(403, send(authorized(get("SELECT 1")).header("Sec-Fetch-Site", "same-site")).statusCode());
    assertEquals(403, send(HttpRequest.newBuilder(URI.create(front.url() + "/ping"))
        .header("Origin", "http://attacker.example")).statusCode(), "not even the port's existence");
    // Typed into the address bar: no page is involved.
    assertEquals(200, send(authorized(get("SELECT 1")).header("Sec-Fetch-Site", "none")).statusCode());
  }

  @Test
  void itListensOnLoopbackOnly() throws Exception {
    assertTrue(front.url().startsWith("http://127.0.0.1:"), front.url());
    List<InetAddress> others = new ArrayList<>();
    for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      for (InetAddress a : Collections.list(nif.getInetAddresses())) {
        if (!a.isLoopbackAddress() && a instanceof Inet4Address) {
          others.add(a);
        }
      }
    }
    for (InetAddress a : others) {
      try (Socket s = new Socket()) {
        assertThrows(IOException.class, () -> s.connect(new InetSocketAddress(a, front.port()), 2000),
            "the front answered on " + a);
      }
    }
  }

  // ---------------------------------------------------------------------------------------- bodies

  @Test
  void aBodyBeyondTheLimitIs413() throws Exception {
    // 300 MiB of SQL comment in 300 KiB of gzip: the limit holds for the decoded body.
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      out.write("SELECT 1 -- ".getBytes(StandardCharsets.UTF_8));
      byte[] chunk = new byte[1 << 20];
      java.util.Arrays.fill(chunk, (byte) 'a');
      for (int i = 0; i < 300; i++) {
        out.write(chunk);
      }
    }
    HttpResponse<String> r = send(authorized(HttpRequest.newBuilder(URI.create(front.url() + "/"))
        .header("Content-Encoding", "gzip").POST(HttpRequest.BodyPublishers.ofByteArray(gz.toByteArray()))));
    assertEquals(413, r.statusCode(), r.body());
    assertTrue(r.body().contains(String.valueOf(ClickHouseHttpFront.DEFAULT_MAX_BODY_BYTES)), r.body());

    try (ClickHouseHttpFront small = ClickHouseHttpFront.start(target.engine, 0, front.credentials(), 1024)) {
      byte[] within = ("SELECT 1 -- " + "a".repeat(1000)).getBytes(StandardCharsets.UTF_8);
      byte[] beyond = ("SELECT 1 -- " + "a".repeat(1100)).getBytes(StandardCharsets.UTF_8);
      assertEquals(200, send(authorized(HttpRequest.newBuilder(URI.create(small.url() + "/"))
          .POST(HttpRequest.BodyPublishers.ofByteArray(within)))).statusCode());
      assertEquals(413, send(authorized(HttpRequest.newBuilder(URI.create(small.url() + "/"))
          .POST(HttpRequest.BodyPublishers.ofByteArray(beyond)))).statusCode(), "Content-Length beyond the limit");
      assertEquals(within.length, small.largestBodyBytes());
    }
  }

  // ------------------------------------------------------------------------- the host's files and network

  @Test
  void networkSqlReadsNoHostFile() throws Exception {
    String path = SqlText.quoteString(secret.toString());
    for (String sql : List.of(
        "SELECT * FROM file(" + path + ", 'LineAsString')",
        "SELECT * FROM FILE(" + path + ", 'LineAsString')",
        "SELECT file(" + path + ")",
        "SELECT `file`(" + path + ")",
        "SELECT * FROM " + path,
        "SELECT * FROM filesystem(" + SqlText.quoteString(dir.toString()) + ")",
        "SELECT * FROM executable('cat', 'LineAsString', 's String')",
        "SELECT * FROM sqlite(" + path + ", 't')")) {
      HttpResponse<String> r = send(authorized(get(sql)));
      assertDenied(r, sql);
      assertFalse(r.body().contains("the-host-secret"), sql + " -> " + r.body());
    }
  }

  @Test
  void networkSqlReadsNoHostFileIntoATable() throws Exception {
    String path = SqlText.quoteString(secret.toString());
    for (String sql : List.of(
        "INSERT INTO " + db + ".t FROM INFILE " + path + " FORMAT LineAsString",
        "INSERT INTO " + db + ".t SELECT * FROM file(" + path + ", 'LineAsString')",
        "INSERT INTO " + db + ".t VALUES (file(" + path + "))",
        "INSERT INTO " + db + ".t FORMAT Values (file(" + path + "))",
        "CREATE TABLE " + db + ".f (s String) ENGINE = File(LineAsString, " + path + ")",
        "CREATE TABLE " + db + ".f (s String) ENGINE File(LineAsString, " + path + ")",
        "CREATE TABLE " + db + ".f (s String) ENGINE = `File`(LineAsString, " + path + ")",
        "CREATE TABLE " + db + ".f (s String) ENGINE = SQLite(" + path + ", 't')",
        "CREATE TABLE " + db + ".f (s String) ENGINE = Executable('cat', LineAsString)",
        "CREATE DATABASE " + db + "_fs ENGINE = Filesystem(" + SqlText.quoteString(dir.toString()) + ")",
        "CREATE DICTIONARY " + db + ".d (s String) PRIMARY KEY s SOURCE(FILE(path " + path + " format 'LineAsString'))"
            + " LAYOUT(FLAT()) LIFETIME(0)")) {
      HttpResponse<String> r = send(authorized(post(sql)));
      assertDenied(r, sql);
    }
    assertEquals("0\n", send(authorized(get("SELECT count() FROM " + db + ".t"))).body());
    assertEquals("0\n", send(authorized(get("SELECT count() FROM system.tables WHERE database = '" + db
        + "' AND name IN ('f', 'd')"))).body());
  }

  @Test
  void networkSqlWritesNoHostFile() throws Exception {
    Path out = dir.resolve("written");
    String target = SqlText.quoteString(out.toString());
    for (String sql : List.of(
        "SELECT 42 INTO OUTFILE " + target,
        "SELECT 42 INTO OUTFILE " + target + " FORMAT TSV",
        "INSERT INTO FUNCTION file(" + target + ", 'TSV', 'a UInt8') SELECT 42",
        "SELECT 42 AS x FORMAT Protobuf SETTINGS output_format_schema = " + target,
        "SELECT 42 SETTINGS input_format_record_errors_file_path = " + target)) {
      assertDenied(send(authorized(post(sql))), sql);
      assertFalse(Files.exists(out), sql + " wrote " + out);
    }
    // Settings given as URL parameters meet the same constraints.
    HttpResponse<String> r = send(authorized(HttpRequest.newBuilder(URI.create(front.url() + "/?output_format_schema="
        + URLEncoder.encode(out.toString(), StandardCharsets.UTF_8) + "&query="
        + URLEncoder.encode("SELECT 42 AS x FORMAT Protobuf", StandardCharsets.UTF_8)))));
    assertDenied(r, "output_format_schema as a URL parameter");
    assertFalse(Files.exists(out));
  }

  @Test
  void networkSqlOpensNoConnection() throws Exception {
    try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      listener.setSoTimeout(300);
      String url = SqlText.quoteString("http://127.0.0.1:" + listener.getLocalPort() + "/x");
      String hostPort = SqlText.quoteString("127.0.0.1:" + listener.getLocalPort());
      AtomicInteger accepted = new AtomicInteger();
      for (String sql : List.of(
          "SELECT * FROM url(" + url + ", 'LineAsString')",
          "SELECT * FROM remote(" + hostPort + ", system.one)",
          "SELECT * FROM s3(" + SqlText.quoteString("http://127.0.0.1:" + listener.getLocalPort() + "/bucket/x")
              + ", 'LineAsString')",
          "SELECT * FROM mysql(" + hostPort + ", 'd', 't', 'u', 'p')",
          "CREATE TABLE " + db + ".u (s String) ENGINE = URL(" + url + ", LineAsString)",
          "CREATE TABLE " + db + ".w (s String) ENGINE = MergeTree ORDER BY s SETTINGS disk = disk(type = web,"
              + " endpoint = " + url + ")")) {
        assertDenied(send(authorized(post(sql))), sql);
        try (Socket s = listener.accept()) {
          accepted.incrementAndGet();
        } catch (SocketTimeoutException expected) {
          // Nothing came.
        }
        assertEquals(0, accepted.get(), sql + " connected to the listener");
      }
    }
  }

  @Test
  void ordinaryStatementsStillWork() throws Exception {
    for (String sql : List.of(
        "CREATE TABLE " + db + ".m (s String, n UInt64) ENGINE = SummingMergeTree ORDER BY s",
        "CREATE TABLE " + db + ".mem (s String) ENGINE = Memory",
        "CREATE MATERIALIZED VIEW " + db + ".mv TO " + db + ".m AS SELECT s, 1 AS n FROM " + db + ".mem",
        "INSERT INTO " + db + ".mem VALUES ('a file, an outfile and a disk in a string'), ('x')",
        "INSERT INTO " + db + ".mem FORMAT TSV\nfile(\nINTO OUTFILE\n")) {
      HttpResponse<String> r = send(authorized(post(sql)));
      assertEquals(200, r.statusCode(), sql + " -> " + r.body());
    }
    assertEquals("4\n", send(authorized(get("SELECT count() FROM " + db + ".mem"))).body());
    assertEquals("4\n", send(authorized(get("SELECT sum(n) FROM " + db + ".m"))).body());
  }

  // --------------------------------------------------------------------------------------- helpers

  private static void assertDenied(HttpResponse<String> r, String what) {
    assertTrue(r.statusCode() == 403 || r.statusCode() == 400 && r.body().contains("SETTING_CONSTRAINT_VIOLATION")
        || r.statusCode() == 500 && r.body().contains("SETTING_CONSTRAINT_VIOLATION"),
        what + " -> " + r.statusCode() + " " + r.body());
    assertFalse(r.body().contains("the-host-secret"), what + " -> " + r.body());
  }

  private static HttpRequest.Builder get(String sql) {
    return HttpRequest.newBuilder(URI.create(front.url() + "/?query=" + URLEncoder.encode(sql, StandardCharsets.UTF_8)));
  }

  private static HttpRequest.Builder post(String sql) {
    return HttpRequest.newBuilder(URI.create(front.url() + "/")).POST(HttpRequest.BodyPublishers.ofString(sql));
  }

  private static HttpRequest.Builder authorized(HttpRequest.Builder b) {
    return b.header("Authorization", basic(front.user(), front.password()));
  }

  private static String basic(String user, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  private static HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
    return CLIENT.send(b.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
