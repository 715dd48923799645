package dev.tokenledger.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Statement splitting and identifier renames never look inside strings, quoted names or comments. */
class SqlTextTest {

  @Test
  void splitsOnSemicolonsOutsideStringsAndComments() {
    String script = String.join("\n",
        "-- header; with a semicolon",
        "CREATE TABLE t (a String DEFAULT 'x;y', `b;c` UInt8) ENGINE = Memory;",
        "/* block ; /* nested ; */ still comment; */",
        "INSERT INTO t VALUES ('it''s; ok', 1), ('back\\\\slash\\'; quote', 2);",
        "SELECT \"weird;name\" FROM t # hash comment; here",
        ";",
        "SELECT $$heredoc; text$$;",
        "-- only a comment at the end;");
    List<SqlText.Statement> s = SqlText.split(script);
    assertEquals(4, s.size(), s.toString());
    assertEquals("-- header; with a semicolon\nCREATE TABLE t (a String DEFAULT 'x;y', `b;c` UInt8) ENGINE = Memory",
        s.get(0).text());
    assertEquals(2, s.get(0).line());
    assertEquals("/* block ; /* nested ; */ still comment; */\n"
        + "INSERT INTO t VALUES ('it''s; ok', 1), ('back\\\\slash\\'; quote', 2)", s.get(1).text());
    assertEquals(4, s.get(1).line());
    assertEquals("SELECT \"weird;name\" FROM t # hash comment; here", s.get(2).text());
    assertEquals("SELECT $$heredoc; text$$", s.get(3).text());
    assertEquals(7, s.get(3).line());
  }

  @Test
  void renamesIdentifiersOnly() {
    String sql = "CREATE TABLE tokenledger.usage (x String DEFAULT 'tokenledger.usage') -- tokenledger.x\n"
        + "AS SELECT LogAttributes['tokenledger.api'] FROM `tokenledger`.t, \"tokenledger\".u";
    String out = SqlText.renameIdentifiers(sql, Map.of("tokenledger", "db2"));
    assertEquals("CREATE TABLE db2.usage (x String DEFAULT 'tokenledger.usage') -- tokenledger.x\n"
        + "AS SELECT LogAttributes['tokenledger.api'] FROM `db2`.t, \"db2\".u", out);
  }

  @Test
  void firstKeywordSkipsCommentsAndParentheses() {
    assertEquals("SELECT", SqlText.firstKeyword("-- c\n /* d */ (SELECT 1)"));
    assertEquals("INSERT", SqlText.firstKeyword("insert into t values (1)"));
    assertEquals("", SqlText.firstKeyword("-- nothing"));
  }

  @Test
  void quotesLiterals() {
    assertEquals("'a\\'b\\\\c\\n'", SqlText.quoteString("a'b\\c\n"));
    assertEquals("plain_name", SqlText.quoteIdentifier("plain_name"));
    assertEquals("`with-dash`", SqlText.quoteIdentifier("with-dash"));
  }
}
