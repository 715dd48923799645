package dev.tokenledger.clickhouse;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tokenledger.clickhouse.queries.Query;
import dev.tokenledger.clickhouse.queries.QueryLibrary;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the front refuses by the words of a statement, and that the project's own SQL never trips it. */
class NetworkStatementPolicyTest {

  @Test
  void everyMigrationStatementAndQueryOfTheProjectPasses() throws Exception {
    Migrations m = new Migrations(Migrations.loadDefault(), new Migrations.Options().log(null)
        .secrets(name -> "x"));
    int n = 0;
    for (Migrations.Migration f : m.migrations()) {
      for (String s : m.statements(f)) {
        assertDoesNotThrow(() -> check(s), f.name() + ": " + s);
        n++;
      }
    }
    for (Query q : QueryLibrary.fromRepository().all()) {
      assertDoesNotThrow(() -> check(q.sql()), q.name());
      n++;
    }
    assertEquals(true, n > 70, "statements checked: " + n);
  }

  @Test
  void theClientSideFileClausesAreRefusedByTheirKeywords() {
    denied("SELECT 1 INTO OUTFILE '/tmp/x'");
    denied("SELECT 1 into/* a comment between */outfile '/tmp/x'");
    denied("INSERT INTO t FROM INFILE '/etc/passwd' FORMAT CSV");
    denied("insert into t (a) from infile '/etc/passwd' compression 'gzip' format CSV");
  }

  @Test
  void namesAreFoundBareOrQuotedButNotInStringsOrComments() {
    denied("SELECT file('/etc/passwd')");
    denied("SELECT `file`('/etc/passwd')");
    denied("SELECT \"FILE\"('/etc/passwd')");
    denied("SELECT * FROM executable('x.sh', TSV, 'a String')");
    denied("CREATE TABLE t (a String) ENGINE = MergeTree ORDER BY a SETTINGS disk = disk(type = web, endpoint = 'http://h/')");
    allowed("SELECT 'file(''/etc/passwd'') INTO OUTFILE' AS s -- file('/x') INTO OUTFILE\n");
    allowed("SELECT /* file('/x') /* nested */ INTO OUTFILE */ 1");
    allowed("SELECT $$ file('/x') $$");
    allowed("SELECT 'it\\'s a file(' AS s");
    // A string that ends where ClickHouse ends it: the text after it is code again.
    denied("SELECT 'a\\\\' , file('/etc/passwd')");
  }

  @Test
  void valuesRowsAreCheckedOtherInlineDataIsNot() {
    denied("INSERT INTO t VALUES ('a'), (file('/etc/passwd'))");
    denied("INSERT INTO t FORMAT Values ('a'), (file('/etc/passwd'))");
    allowed("INSERT INTO t VALUES ('a file'), ('INTO OUTFILE')");
    allowed("INSERT INTO t FORMAT TSV\nfile('/etc/passwd') INTO OUTFILE\n");
    allowed("INSERT INTO t FORMAT Native\n\u0001\u0002file(");
  }

  @Test
  void createAndAttachNameOnlyLocalEngines() {
    allowed("CREATE TABLE t (a UInt8) ENGINE = ReplacingMergeTree ORDER BY a");
    allowed("CREATE TABLE IF NOT EXISTS t (a UInt8) ENGINE=SummingMergeTree() ORDER BY a");
    allowed("CREATE DATABASE d ENGINE = Atomic");
    allowed("CREATE MATERIALIZED VIEW v TO t AS SELECT a FROM s");
    denied("CREATE TABLE t (a String) ENGINE = URL('http://h/', CSV)");
    denied("CREATE TABLE t (a String) ENGINE URL('http://h/', CSV)");
    denied("ATTACH TABLE t (a String) ENGINE = `S3`('http://h/b/k', CSV)");
    denied("CREATE OR REPLACE TABLE t (a String) ENGINE = Kafka SETTINGS kafka_broker_list = 'h:9092'");
    denied("CREATE DATABASE d ENGINE = SQLite('/etc/x.db')");
    // Outside CREATE and ATTACH the word is just a column name.
    allowed("SELECT name, engine FROM system.tables");
  }

  @Test
  void identifierParametersAreCheckedLikeNames() {
    assertThrows(ClickHouseException.class, () -> NetworkStatementPolicy.check(
        bytes("SELECT * FROM {t:Identifier}('/etc/passwd')"), Map.of("t", "file")));
    assertDoesNotThrow(() -> NetworkStatementPolicy.check(bytes("SELECT * FROM {t:Identifier}"), Map.of("t", "db.tbl")));
    assertDoesNotThrow(() -> NetworkStatementPolicy.check(bytes("SELECT {s:String}"), Map.of("s", "file")));
  }

  private static void check(String sql) {
    NetworkStatementPolicy.check(bytes(sql), Map.of());
  }

  private static void denied(String sql) {
    ClickHouseException e = assertThrows(ClickHouseException.class, () -> check(sql), sql);
    assertEquals(497, e.code(), e.getMessage());
  }

  private static void allowed(String sql) {
    assertDoesNotThrow(() -> check(sql), sql);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
