package dev.tokenledger.clickhouse.queries;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The library's file format, its checks, and how values are bound: no database needed. */
class QueryLibraryTest {

  static final String GOOD = """
      -- Tokens per model.
      -- Second line of the description.
      --
      -- @param from | DateTime('UTC') | now() - INTERVAL 1 DAY | $__fromTime | start
      -- @param names | Array(String) | [] | model | models; empty = all
      -- @param limit | UInt32 | 10 | | rows
      -- @param who | String | | | required, no default
      -- @column model | String | | the model
      -- @column tokens | UInt64 | tokens | tokens
      SELECT model, sum(t) AS tokens FROM tokenledger.x -- a comment with {not:Placeholder}
      WHERE at >= {from:DateTime('UTC')} AND (empty({names:Array(String)}) OR has({names:Array(String)}, model))
        AND who = {who:String} AND note != '{literal:String}'
      GROUP BY model LIMIT {limit:UInt32};
      """;

  static Query good() {
    return Query.parse("07_tokens.sql", GOOD);
  }

  @Test
  void headerDeclaresNameDescriptionParametersAndColumns() {
    Query q = good();
    assertEquals("tokens", q.name());
    assertEquals("Tokens per model.", q.title());
    assertEquals("Tokens per model.\nSecond line of the description.", q.description());
    assertEquals(List.of("from", "names", "limit", "who"), q.parameters().stream().map(Query.Parameter::name).toList());
    assertTrue(q.parameter("who").required());
    assertEquals("model", q.parameter("names").grafana());
    assertEquals(List.of("model", "tokens"), q.columnNames());
    assertEquals("tokens", q.columns().get(1).unit());
    assertTrue(q.sql().startsWith("SELECT model") && !q.sql().endsWith(";"), q.sql());
  }

  @Test
  void renderBindsEveryValueAsAQuotedTypedLiteral() {
    String sql = good().render(Map.of("who", "x') OR 1=1 --", "names", "gpt-4o, o'brien", "from", "2026-11-24T12:00:00+02:00"));
    assertTrue(sql.contains("who = CAST('x\\') OR 1=1 --', 'String')"), sql);
    assertTrue(sql.contains("empty(CAST(['gpt-4o', 'o\\'brien'], 'Array(String)'))"), sql);
    assertTrue(sql.contains("at >= CAST('2026-11-24 10:00:00', 'DateTime(\\'UTC\\')')"), sql);
    assertTrue(sql.contains("LIMIT CAST(10, 'UInt32')"), "the default");
    assertTrue(sql.contains("-- a comment with {not:Placeholder}") && sql.contains("'{literal:String}'"),
        "comments and strings are left alone");
    assertTrue(good().render(Map.of("who", "a", "names", "")).contains("empty(CAST([], 'Array(String)'))"));
    assertEquals(good().render(Map.of("who", "a")).replace("tokenledger.x", "other_db.x"),
        good().render(Map.of("who", "a"), "other_db"));
    assertEquals("2026-11-24 10:00:00", Query.dateTimeValue(Instant.parse("2026-11-24T10:00:00Z")));
  }

  @Test
  void badValuesAreRefusedWithWhatIsExpected() {
    Query q = good();
    assertMessage(() -> q.render(Map.of()), "needs a value for parameter 'who'");
    assertMessage(() -> q.render(Map.of("who", "a", "limit", "-3")), "'limit' is UInt32, but the value '-3' is not a whole number >= 0");
    assertMessage(() -> q.render(Map.of("who", "a", "limit", "ten")), "is not a whole number >= 0");
    assertMessage(() -> q.render(Map.of("who", "a", "from", "yesterday")), "ISO-8601 instant");
    assertMessage(() -> q.render(Map.of("who", "a", "colour", "red")), "has no parameter 'colour'; its parameters: [from, names, limit, who]");
  }

  @Test
  void malformedFilesAreRefusedWithFileAndReason() {
    assertMessage(() -> Query.parse("x.sql", "SELECT 1"), "x.sql: the header must start with a comment line");
    assertMessage(() -> Query.parse("x.sql", "-- What.\nSELECT 1"), "no @column lines");
    assertMessage(() -> Query.parse("x.sql", "-- What.\n-- @column a | UInt8 | | a\nSELECT {p:UInt8} AS a"),
        "{p:UInt8} is not declared with @param");
    assertMessage(() -> Query.parse("x.sql", "-- What.\n-- @param p | UInt8 | 1 | | p\n-- @column a | UInt8 | | a\nSELECT {p:UInt16} AS a"),
        "does not match the declared type UInt8");
    assertMessage(() -> Query.parse("x.sql", "-- What.\n-- @param p | UInt8 | 1 | | p\n-- @column a | UInt8 | | a\nSELECT 1 AS a"),
        "parameter 'p' is declared but never used");
    assertMessage(() -> Query.parse("x.sql", "-- What.\n-- @column a | UInt8 | pounds | a\nSELECT 1 AS a"), "unknown unit 'pounds'");
    assertMessage(() -> Query.parse("x.sql", "-- What.\n-- @param p | DateTime | now() | | p\n-- @column a | UInt8 | | a\nSELECT {p:DateTime} AS a"),
        "must be declared in UTC");
    assertMessage(() -> Query.parse("x.sql", "-- What.\n-- @colum a | UInt8 | | a\nSELECT 1 AS a"), "unknown header tag '@colum'");
    assertMessage(() -> Query.parse("x.sql", "-- What.\n-- @column a | UInt8 | | a\nSELECT 1 AS a; SELECT 2"), "one statement per file");
  }

  @Test
  void libraryLoadsTheRepositoryFilesAndFindsThemByName(@TempDir Path dir) throws Exception {
    QueryLibrary lib = QueryLibrary.fromRepository();
    assertTrue(lib.dir().endsWith(QueryLibrary.REPOSITORY_DIR));
    for (String name : List.of("summary", "session", "parity_daily")) {
      assertEquals(name, lib.get(name).name());
    }
    assertTrue(lib.get("summary").fileName().endsWith("_summary.sql"));
    assertMessage(() -> lib.get("nope"), "no query named 'nope'");
    // Every query documents every column with a description, and measures with a unit.
    for (Query q : lib.all()) {
      for (Query.Column c : q.columns()) {
        assertFalse(c.description().isEmpty(), q.name() + "." + c.name());
      }
      for (Query.Parameter p : q.parameters()) {
        assertFalse(p.description().isEmpty(), q.name() + "." + p.name());
      }
    }
    Files.writeString(dir.resolve("01_a.sql"), "-- A.\n-- @column a | UInt8 | | a\nSELECT 1 AS a");
    Files.writeString(dir.resolve("02_a.sql"), "-- A again.\n-- @column a | UInt8 | | a\nSELECT 1 AS a");
    assertMessage(() -> QueryLibrary.load(dir), "two files define query 'a'");
    assertMessage(() -> QueryLibrary.load(dir.resolve("missing")), "does not exist");
  }

  static void assertMessage(org.junit.jupiter.api.function.Executable e, String part) {
    QueryException ex = assertThrows(QueryException.class, e);
    assertTrue(ex.getMessage().contains(part), ex.getMessage());
  }
}
