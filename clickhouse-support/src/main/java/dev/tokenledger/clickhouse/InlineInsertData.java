package dev.tokenledger.clickhouse;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The data part of an {@code INSERT … FORMAT X} statement that carries its data inline (as
 * ClickHouse's HTTP interface sends it: the statement, a newline, the data), split from the SQL so
 * that the embedded engine can read it from a file ({@code FROM INFILE}) instead of from the query
 * text.
 *
 * <p>Why: libchdb parses inline INSERT data the way a multi-statement client does, and ends it at
 * the first blank line ({@code "\n\n"}). Binary formats contain that byte pair whenever two adjacent
 * values are 10 — e.g. a LowCardinality index column where two rows use dictionary entry 10, which
 * is exactly what the Collector's metric inserts produce — and the engine then fails with "Cannot
 * read all data in NativeReader". Read from a file, the same bytes insert intact. A server is not
 * affected: it streams the request body.
 *
 * <p>Where the data starts follows ClickHouse's parser: after the format name, blanks up to and
 * including the first newline are skipped (all blanks when there is no newline).
 */
record InlineInsertData(byte[] sqlBeforeInfile, byte[] sqlAfterInfile, int dataStart, int length) {

  // Statements longer than this before their FORMAT clause are left alone (sent inline as before).
  private static final int MAX_HEAD = 1 << 20;

  /**
   * The statement rewritten to read its data from {@code path}: {@code INSERT INTO t (cols) FROM
   * INFILE 'path' [SETTINGS …] FORMAT X}.
   */
  byte[] statementReading(String path) {
    byte[] infile = (" FROM INFILE " + SqlText.quoteString(path) + " ").getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[sqlBeforeInfile.length + infile.length + sqlAfterInfile.length];
    System.arraycopy(sqlBeforeInfile, 0, out, 0, sqlBeforeInfile.length);
    System.arraycopy(infile, 0, out, sqlBeforeInfile.length, infile.length);
    System.arraycopy(sqlAfterInfile, 0, out, sqlBeforeInfile.length + infile.length, sqlAfterInfile.length);
    return out;
  }

  /**
   * Splits {@code sql} when it is an {@code INSERT} with a top-level {@code FORMAT name} or
   * {@code VALUES} clause (whose rows become {@code FORMAT Values} data); null for anything else
   * (other statements, {@code INSERT … SELECT}, an INSERT that already reads a file). The data may be empty: an INSERT without data then inserts
   * nothing, as on a server — sent as it is, the engine would wait for the data on the process's
   * standard input, for ever.
   */
  static InlineInsertData split(byte[] sql) {
    if (!SqlText.firstKeyword(new String(sql, 0, Math.min(sql.length, 4096), StandardCharsets.ISO_8859_1))
        .equals("INSERT")) {
      return null; // cheap: most statements are not INSERTs, and need no tokenizing of their whole text
    }
    // ISO-8859-1 maps bytes to chars one to one, so character offsets are byte offsets; only the SQL
    // head is interpreted, and only up to the format name.
    String text = new String(sql, 0, Math.min(sql.length, MAX_HEAD), StandardCharsets.ISO_8859_1);
    List<SqlText.Token> tokens = SqlText.tokenize(text);
    int offset = 0;
    int depth = 0;
    int settingsAt = -1;
    int formatAt = -1;
    boolean seenInsert = false;
    for (int i = 0; i < tokens.size(); i++) {
      SqlText.Token t = tokens.get(i);
      int start = offset;
      offset += t.text().length();
      if (t.isTrivia()) {
        continue;
      }
      if (!seenInsert) {
        if (!t.isWord("INSERT")) {
          return null;
        }
        seenInsert = true;
        continue;
      }
      if (t.isSymbol('(')) {
        depth++;
      } else if (t.isSymbol(')')) {
        depth--;
      } else if (depth == 0 && t.isWord("VALUES")) {
        // INSERT … VALUES (…): the same data as FORMAT Values. Left inline, the engine reads on from
        // the process's standard input after the query's rows, and fails on whatever it finds there.
        int infileAt = settingsAt >= 0 ? settingsAt : start;
        byte[] before = java.util.Arrays.copyOfRange(sql, 0, infileAt);
        byte[] settings = java.util.Arrays.copyOfRange(sql, infileAt, start);
        byte[] format = "FORMAT Values".getBytes(StandardCharsets.US_ASCII);
        byte[] after = new byte[settings.length + format.length];
        System.arraycopy(settings, 0, after, 0, settings.length);
        System.arraycopy(format, 0, after, settings.length, format.length);
        return new InlineInsertData(before, after, offset, sql.length - offset);
      } else if (depth == 0 && (t.isWord("SELECT") || t.isWord("WITH") || t.isWord("INFILE") || t.isSymbol(';'))) {
        return null;
      } else if (depth == 0 && t.isWord("SETTINGS") && settingsAt < 0) {
        settingsAt = start;
      } else if (depth == 0 && t.isWord("FORMAT")) {
        formatAt = start;
        int j = i + 1;
        int nameEnd = offset;
        while (j < tokens.size() && tokens.get(j).kind() == SqlText.Kind.WHITESPACE) {
          nameEnd += tokens.get(j).text().length();
          j++;
        }
        if (j >= tokens.size() || tokens.get(j).kind() != SqlText.Kind.WORD) {
          return null;
        }
        // The name's own token ends at the first character that cannot be in a name.
        int end = nameEnd;
        while (end < sql.length && isNameByte(sql[end])) {
          end++;
        }
        int dataStart = end;
        while (dataStart < sql.length && (sql[dataStart] == ' ' || sql[dataStart] == '\t' || sql[dataStart] == '\r'
            || sql[dataStart] == '\f')) {
          dataStart++;
        }
        if (dataStart < sql.length && sql[dataStart] == '\n') {
          dataStart++;
        }
        int infileAt = settingsAt >= 0 ? settingsAt : formatAt;
        byte[] before = java.util.Arrays.copyOfRange(sql, 0, infileAt);
        byte[] after = java.util.Arrays.copyOfRange(sql, infileAt, end);
        return new InlineInsertData(before, after, dataStart, sql.length - dataStart);
      }
    }
    return null;
  }

  private static boolean isNameByte(byte b) {
    return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_';
  }
}
