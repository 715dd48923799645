package dev.tokenledger.clickhouse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The embedded engine itself (skipped when the tests run against a real server). */
class EmbeddedClickHouseTest {

  static EmbeddedClickHouse engine;

  @BeforeAll
  static void setUp() throws Exception {
    ClickHouseTarget target = ClickHouseTarget.get();
    assumeTrue(target.embedded, "CLICKHOUSE_URL is set: the embedded engine is not used");
    engine = target.engine;
  }

  @Test
  void answersWithTheRealEngine() {
    assertTrue(engine.version().startsWith("26.7."), engine.version());
    assertEquals("3\n", engine.query("SELECT 1 + 2"));
    assertEquals("{\"x\":1}\n", engine.query("SELECT 1 AS x", "JSONEachRow"));
  }

  @Test
  void errorsCarryClickHousesCodeAndMessage() {
    ClickHouseException e = assertThrows(ClickHouseException.class, () -> engine.query("SELECT * FROM no_such_table"));
    assertEquals(60, e.code());
    assertEquals("UNKNOWN_TABLE", e.errorName());
    assertTrue(e.getMessage().startsWith("Code: 60. DB::Exception: "), e.getMessage());
    ClickHouseException s = assertThrows(ClickHouseException.class, () -> engine.query("SELEKT 1"));
    assertEquals(62, s.code());
    // libchdb double-wraps some messages; the exception carries one "Code: N" prefix.
    ClickHouseException u = assertThrows(ClickHouseException.class, () -> engine.query("SELECT 1 SETTINGS no_such_setting = 1"));
    assertEquals(115, u.code());
    assertTrue(u.getMessage().startsWith("Code: 115. DB::Exception: Unknown setting"), u.getMessage());
  }

  @Test
  void aStatementsSettingsLeaveTheSessionsValuesAsTheyWere() {
    // The session's value differs from ClickHouse's built-in one (as a settings profile's would):
    // after a statement with its own value, the session's comes back, not the built-in default.
    engine.query("SET max_block_size = 1234");
    try {
      engine.execute("SELECT 1".getBytes(StandardCharsets.UTF_8), "TSV", null, Map.of("max_block_size", "99"), Map.of());
      assertEquals("1234\n", engine.query("SELECT getSetting('max_block_size')"));
    } finally {
      engine.query("SET max_block_size = DEFAULT");
    }
  }

  @Test
  void settingsDatabaseAndParametersApplyToOneStatementOnly() {
    byte[] sql = "SELECT getSetting('max_block_size'), currentDatabase(), {n:UInt8} + 1".getBytes(StandardCharsets.UTF_8);
    EmbeddedClickHouse.Result r = engine.execute(sql, "TSV", "system", Map.of("max_block_size", "1234"), Map.of("n", "41"));
    assertEquals("1234\tsystem\t42\n", r.text());
    String after = engine.query("SELECT getSetting('max_block_size') != 1234, currentDatabase()");
    assertEquals("1\tdefault\n", after);
    // A failing setting leaves nothing behind either.
    assertThrows(ClickHouseException.class, () -> engine.execute(sql, "TSV", null,
        Map.of("max_block_size", "77", "no_such_setting", "1"), Map.of("n", "1")));
    assertEquals("1\n", engine.query("SELECT getSetting('max_block_size') != 77"));
  }

  @Test
  void insertDataFollowsTheStatementBinarySafe() {
    engine.query("CREATE DATABASE IF NOT EXISTS emb_test");
    engine.query("CREATE TABLE IF NOT EXISTS emb_test.nine (c1 UInt8, c2 UInt8, c3 UInt8, c4 UInt8, c5 UInt8, c6 UInt8,"
        + " c7 UInt8, c8 UInt8, c9 UInt8) ENGINE = Memory");
    // Nine columns: the Native block starts with byte 0x09 (a tab), which must not be skipped.
    byte[] block = engine.queryBytes("SELECT 1 c1, 2 c2, 3 c3, 4 c4, 5 c5, 6 c6, 7 c7, 8 c8, 0 c9", "Native");
    assertEquals(9, block[0]);
    byte[] head = "INSERT INTO emb_test.nine FORMAT Native\n".getBytes(StandardCharsets.UTF_8);
    byte[] sql = new byte[head.length + block.length];
    System.arraycopy(head, 0, sql, 0, head.length);
    System.arraycopy(block, 0, sql, head.length, block.length);
    EmbeddedClickHouse.Result r = engine.execute(sql, "TSV", null, Map.of(), Map.of());
    assertEquals(1, r.rowsWritten());
    assertEquals("1\t2\t3\t4\t5\t6\t7\t8\t0\n", engine.query("SELECT * FROM emb_test.nine"));
    assertArrayEquals(block, engine.queryBytes("SELECT * FROM emb_test.nine", "Native"));
    engine.query("DROP DATABASE emb_test SYNC");
  }

  @Test
  void concurrentCallersAreSerialised() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<String>> results = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        int n = i;
        results.add(pool.submit(() -> engine.execute(("SELECT " + n + " + getSetting('max_block_size')")
            .getBytes(StandardCharsets.UTF_8), "TSV", null, Map.of("max_block_size", String.valueOf(1000 + n)), Map.of())
            .text()));
      }
      for (int i = 0; i < results.size(); i++) {
        assertEquals((1000 + 2 * i) + "\n", results.get(i).get());
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void oneEnginePerProcess() {
    IllegalStateException e = assertThrows(IllegalStateException.class, EmbeddedClickHouse::start);
    assertTrue(e.getMessage().contains("one engine per process"), e.getMessage());
  }

  @Test
  void aWrongLibraryOverrideSaysWhatToDo() {
    System.setProperty("tokenledger.libchdb", "/nonexistent/libchdb.so");
    try {
      IOException e = assertThrows(IOException.class, EmbeddedClickHouse::libraryPath);
      assertTrue(e.getMessage().contains("TOKENLEDGER_LIBCHDB"), e.getMessage());
    } finally {
      System.clearProperty("tokenledger.libchdb");
    }
  }
}
