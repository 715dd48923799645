package dev.tokenledger.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * ClickHouse's HTTP interface as clients use it. The same requests go to a real server when
 * CLICKHOUSE_URL is set, so the front's answers are checked against the real thing; the few
 * front-only behaviours are marked.
 */
class HttpInterfaceTest {

  static ClickHouseTarget target;
  static Http http;
  static String db;

  @BeforeAll
  static void setUp() throws Exception {
    target = ClickHouseTarget.get();
    http = new Http(target);
    db = ClickHouseTarget.uniqueDatabase("tl_http");
    http.exec("CREATE DATABASE " + db);
    http.exec("CREATE TABLE " + db + ".t (a UInt32, s String) ENGINE = MergeTree ORDER BY a");
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (http != null) {
      http.exec("DROP DATABASE IF EXISTS " + db + " SYNC");
    }
  }

  @Test
  void pingAndRoot() throws Exception {
    HttpResponse<byte[]> ping = http.get("/ping", Http.params());
    assertEquals(200, ping.statusCode());
    assertEquals("Ok.\n", Http.text(ping));
    assertEquals("Ok.\n", Http.text(http.get("/", Http.params())));
  }

  @Test
  void queryInParameterOrBody() throws Exception {
    assertEquals("2\n", http.query("SELECT 1 + 1"));
    HttpResponse<byte[]> r = http.post(Http.params(), "SELECT 'body'".getBytes(StandardCharsets.UTF_8));
    assertEquals(200, r.statusCode());
    assertEquals("body\n", Http.text(r));
    assertNotNull(r.headers().firstValue("X-ClickHouse-Query-Id").orElse(null));
  }

  @Test
  void insertStatementInParameterDataInBody() throws Exception {
    HttpResponse<byte[]> r = http.post(Http.params("query", "INSERT INTO " + db + ".t FORMAT CSV"),
        "1,one\n2,\"two, with comma\"\n".getBytes(StandardCharsets.UTF_8));
    assertEquals(200, r.statusCode(), Http.text(r));
    String summary = r.headers().firstValue("X-ClickHouse-Summary").orElse("");
    assertTrue(summary.contains("\"written_rows\":\"2\""), summary);
    // gzip-encoded body, as clients with HTTP compression send it.
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      out.write("3\tthree\n".getBytes(StandardCharsets.UTF_8));
    }
    r = http.post(Http.params("query", "INSERT INTO " + db + ".t FORMAT TabSeparated"), gz.toByteArray(),
        "Content-Encoding", "gzip");
    assertEquals(200, r.statusCode(), Http.text(r));
    assertEquals("3\n", http.query("SELECT count() FROM " + db + ".t"));
    assertEquals("three\n", http.query("SELECT s FROM " + db + ".t WHERE a = 3"));
    assertEquals("two, with comma\n", http.query("SELECT s FROM " + db + ".t WHERE a = 2"));
  }

  /**
   * Binary insert data that contains a blank line ({@code "\n\n"}) by chance, as the Collector's
   * metric inserts do: a Native block whose LowCardinality index column holds dictionary entry 10 in
   * two adjacent rows, and a String holding two newlines. Every row must arrive intact (the embedded
   * engine used to end inline data at the first blank line: "Cannot read all data in NativeReader").
   */
  @Test
  void binaryInsertDataWithBlankLineBytesArrivesIntact() throws Exception {
    http.exec("CREATE TABLE " + db + ".lc (name LowCardinality(String), s String) ENGINE = MergeTree ORDER BY tuple()");
    int rows = 14;
    ByteArrayOutputStream block = new ByteArrayOutputStream();
    uvarint(block, 2);
    uvarint(block, rows);
    nativeString(block, "name");
    nativeString(block, "LowCardinality(String)");
    // Key-serialization version 1, then one dictionary: flags (UInt8 indexes, additional keys, new
    // dictionary), 12 keys (key 0 is the default ''), the row count and one index byte per row.
    ByteBuffer head = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putLong(1).putLong(0x600).putLong(12);
    block.write(head.array(), 0, 24);
    nativeString(block, "");
    for (int k = 1; k < 12; k++) {
      nativeString(block, "metric." + k);
    }
    block.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(rows).array(), 0, 8);
    int[] index = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10, 11, 1};
    for (int i : index) {
      block.write(i);
    }
    nativeString(block, "s");
    nativeString(block, "String");
    for (int i = 0; i < rows; i++) {
      nativeString(block, i % 2 == 0 ? "\n\n" : "a\n\nb");
    }
    HttpResponse<byte[]> r = http.post(Http.params("query", "INSERT INTO " + db + ".lc (name, s) FORMAT Native"),
        block.toByteArray());
    assertEquals(200, r.statusCode(), Http.text(r));
    assertEquals(rows + "\n", http.query("SELECT count() FROM " + db + ".lc"));
    assertEquals("3\n", http.query("SELECT count() FROM " + db + ".lc WHERE name = 'metric.10'"));
    assertEquals("7\t7\n", http.query("SELECT countIf(s = '\\n\\n'), countIf(s = 'a\\n\\nb') FROM " + db + ".lc"));
    // Text formats too: a blank line inside a quoted CSV value.
    r = http.post(Http.params("query", "INSERT INTO " + db + ".t FORMAT CSV"),
        "41,\"x\n\ny\"\n42,z\n".getBytes(StandardCharsets.UTF_8));
    assertEquals(200, r.statusCode(), Http.text(r));
    assertEquals("41\t2\n42\t0\n", http.query("SELECT a, countSubstrings(s, '\\n') FROM " + db + ".t WHERE a IN (41, 42)"
        + " GROUP BY a, s ORDER BY a"));
  }

  /** An INSERT whose body is empty inserts nothing and answers at once, as a server does. */
  @Test
  void anInsertWithAnEmptyBodyInsertsNothing() throws Exception {
    String before = http.query("SELECT count() FROM " + db + ".t");
    HttpResponse<byte[]> r = assertTimeoutPreemptively(Duration.ofSeconds(30),
        () -> http.post(Http.params("query", "INSERT INTO " + db + ".t FORMAT Native"), new byte[0]));
    assertEquals(200, r.statusCode(), Http.text(r));
    assertEquals(before, http.query("SELECT count() FROM " + db + ".t"));
  }

  private static void nativeString(ByteArrayOutputStream out, String s) {
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

  @Test
  void formatDatabaseSettingsAndParameters() throws Exception {
    assertEquals("{\"x\":1}\n", Http.text(http.get("/", Http.params("query", "SELECT 1 AS x"), "X-ClickHouse-Format",
        "JSONEachRow")));
    assertEquals("\"x\"\n1\n", http.query("SELECT 1 AS x", "default_format", "CSVWithNames"));
    assertEquals(db + "\n", http.query("SELECT currentDatabase()", "database", db));
    assertEquals(db + "\n", Http.text(http.get("/", Http.params("query", "SELECT currentDatabase()"),
        "X-ClickHouse-Database", db)));
    assertEquals("4321\n", http.query("SELECT getSetting('max_block_size')", "max_block_size", "4321"));
    assertEquals("1\n", http.query("SELECT getSetting('max_block_size') != 4321"), "settings do not outlive the request");
    assertEquals("42\n", http.query("SELECT {n:UInt8} + 1", "param_n", "41"));
    HttpResponse<byte[]> r = http.get("/", Http.params("query", "SELECT 1 FORMAT JSONEachRow"));
    assertTrue(r.headers().firstValue("Content-Type").orElse("").contains("json"), r.headers().map().toString());
    assertEquals("JSONEachRow", r.headers().firstValue("X-ClickHouse-Format").orElse(null));
  }

  @Test
  void errorsHaveClickHousesShape() throws Exception {
    HttpResponse<byte[]> r = http.get("/", Http.params("query", "SELECT * FROM " + db + ".no_such_table"));
    assertEquals(404, r.statusCode());
    assertEquals("60", r.headers().firstValue("X-ClickHouse-Exception-Code").orElse(null));
    assertTrue(Http.text(r).startsWith("Code: 60. DB::Exception: "), Http.text(r));
    assertTrue(Http.text(r).contains("(UNKNOWN_TABLE)"), Http.text(r));

    r = http.get("/", Http.params("query", "SELEKT 1"));
    assertEquals(400, r.statusCode());
    assertEquals("62", r.headers().firstValue("X-ClickHouse-Exception-Code").orElse(null));

    r = http.get("/", Http.params("query", "SELECT 1", "no_such_setting", "1"));
    assertEquals("115", r.headers().firstValue("X-ClickHouse-Exception-Code").orElse(null), Http.text(r));

    // GET is read-only on a server: writes and DDL need POST.
    r = http.get("/", Http.params("query", "CREATE TABLE " + db + ".g (a UInt8) ENGINE = Memory"));
    assertEquals("164", r.headers().firstValue("X-ClickHouse-Exception-Code").orElse(null), Http.text(r));
    assertEquals(403, r.statusCode());

    r = http.post(Http.params(), "SELECT 1; SELECT 2".getBytes(StandardCharsets.UTF_8));
    assertEquals("62", r.headers().firstValue("X-ClickHouse-Exception-Code").orElse(null), Http.text(r));
    assertTrue(Http.text(r).contains("Multi-statements are not allowed"), Http.text(r));
  }

  @Test
  void clickhouseGoHelloIsReadableAtTheClientsRevision() throws Exception {
    int clientRevision = 54460;
    HttpResponse<byte[]> r = http.get("/", Http.params("query", "SELECT displayName(), version(), revision(), timezone()",
        "default_format", "Native", "client_protocol_version", String.valueOf(clientRevision)));
    assertEquals(200, r.statusCode(), Http.text(r));
    ByteBuffer b = ByteBuffer.wrap(r.body()).order(ByteOrder.LITTLE_ENDIAN);
    // Block info: field 1 (is_overflows), field 2 (bucket_num), end marker.
    assertEquals(1, uvarint(b));
    b.get();
    assertEquals(2, uvarint(b));
    assertEquals(-1, b.getInt());
    assertEquals(0, uvarint(b));
    assertEquals(4, uvarint(b), "columns");
    assertEquals(1, uvarint(b), "rows");
    String[] values = new String[4];
    long revision = -1;
    for (int c = 0; c < 4; c++) {
      string(b);
      String type = string(b);
      assertEquals(0, b.get(), "no custom serialization");
      if (type.equals("UInt32")) {
        revision = Integer.toUnsignedLong(b.getInt());
      } else {
        values[c] = string(b);
      }
    }
    assertEquals(0, b.remaining());
    assertTrue(values[1].matches("\\d+\\.\\d+.*"), values[1]);
    if (target.embedded) {
      // The front reports revision 0, so the driver reads later (plain) Native results correctly.
      assertEquals(0, revision);
    } else {
      assertTrue(revision > 54000, String.valueOf(revision));
    }
  }

  @Test
  void frontRefusesCompressedFramingClearly() throws Exception {
    assumeTrue(target.embedded, "front-only behaviour");
    HttpResponse<byte[]> r = http.get("/", Http.params("query", "SELECT 1", "compress", "1"));
    assertEquals("48", r.headers().firstValue("X-ClickHouse-Exception-Code").orElse(null));
    assertTrue(Http.text(r).contains("compress=0"), Http.text(r));
  }

  @Test
  void credentialsInEveryFormClickHouseAccepts() throws Exception {
    String user = target.user;
    String password = target.password;
    String basic = "Basic " + java.util.Base64.getEncoder().encodeToString((user + ":wrong").getBytes(StandardCharsets.UTF_8));
    HttpResponse<byte[]> r = http.get("/", Http.params("query", "SELECT 1"), "Authorization", basic);
    assertEquals(401, r.statusCode());
    assertEquals("516", r.headers().firstValue("X-ClickHouse-Exception-Code").orElse(null));
    String good = "Basic " + java.util.Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    assertEquals(200, http.get("/", Http.params("query", "SELECT 1"), "Authorization", good).statusCode());
    assertEquals(200, http.get("/", Http.params("query", "SELECT 1"), "X-ClickHouse-User", user,
        "X-ClickHouse-Key", password).statusCode());
  }

  private static long uvarint(ByteBuffer b) {
    long v = 0;
    int shift = 0;
    while (true) {
      int x = b.get() & 0xFF;
      v |= (long) (x & 0x7F) << shift;
      if ((x & 0x80) == 0) {
        return v;
      }
      shift += 7;
    }
  }

  private static String string(ByteBuffer b) {
    int n = (int) uvarint(b);
    byte[] s = new byte[n];
    b.get(s);
    return new String(s, StandardCharsets.UTF_8);
  }
}
