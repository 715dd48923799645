package dev.tokenledger.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Where inline INSERT data starts, and how the statement is rewritten to read it from a file. */
class InlineInsertDataTest {

  @Test
  void dataAfterTheFormatLineIsSplitOffAndTheStatementReadsAFile() {
    byte[] sql = bytes("INSERT INTO \"db\".\"t\" (a, `Exemplars.Value`) FORMAT Native\n\n\u0001\n\n");
    InlineInsertData d = InlineInsertData.split(sql);
    assertEquals("\n\u0001\n\n", new String(sql, d.dataStart(), d.length(), StandardCharsets.ISO_8859_1));
    assertEquals("INSERT INTO \"db\".\"t\" (a, `Exemplars.Value`)  FROM INFILE '/tmp/x' FORMAT Native",
        new String(d.statementReading("/tmp/x"), StandardCharsets.UTF_8));
  }

  @Test
  void infileGoesBeforeASettingsClause() {
    InlineInsertData d = InlineInsertData.split(bytes("insert into t SETTINGS async_insert = 0 format CSV \r\n1,2\n"));
    assertEquals("insert into t  FROM INFILE 'f' SETTINGS async_insert = 0 format CSV",
        new String(d.statementReading("f"), StandardCharsets.UTF_8));
  }

  @Test
  void withoutANewlineTheDataStartsAfterTheBlanks() {
    byte[] sql = bytes("INSERT INTO t FORMAT CSV   1,2");
    InlineInsertData d = InlineInsertData.split(sql);
    assertEquals("1,2", new String(sql, d.dataStart(), d.length(), StandardCharsets.ISO_8859_1));
  }

  @Test
  void anInsertWithoutDataHasEmptyData() {
    InlineInsertData d = InlineInsertData.split(bytes("INSERT INTO t FORMAT Native"));
    assertEquals(0, d.length());
    assertEquals(0, InlineInsertData.split(bytes("INSERT INTO t FORMAT CSV\n")).length());
  }

  @Test
  void valuesRowsAreFormatValuesDataSoTheEngineNeverReadsStandardInputAfterThem() {
    byte[] sql = bytes("INSERT INTO t (a, b) SETTINGS async_insert = 0 VALUES (1, 'FORMAT x'), (2, 'y')");
    InlineInsertData d = InlineInsertData.split(sql);
    assertEquals(" (1, 'FORMAT x'), (2, 'y')", new String(sql, d.dataStart(), d.length(), StandardCharsets.ISO_8859_1));
    assertEquals("INSERT INTO t (a, b)  FROM INFILE 'f' SETTINGS async_insert = 0 FORMAT Values",
        new String(d.statementReading("f"), StandardCharsets.UTF_8));
    assertEquals("INSERT INTO t  FROM INFILE 'f' FORMAT Values",
        new String(InlineInsertData.split(bytes("INSERT INTO t VALUES (1)")).statementReading("f"), StandardCharsets.UTF_8));
  }

  @Test
  void otherStatementsAreLeftAlone() {
    assertNull(InlineInsertData.split(bytes("SELECT 1 FORMAT Native")));
    assertNull(InlineInsertData.split(bytes("INSERT INTO t SELECT * FROM s FORMAT Native\n")));
    assertNull(InlineInsertData.split(bytes("INSERT INTO t FROM INFILE 'x' FORMAT CSV")));
    assertNull(InlineInsertData.split(bytes("INSERT INTO t (format) FORMAT")));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }
}
