package dev.tokenledger.clickhouse;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@link ClickHouseHttpFront} refuses in a statement that came over the network, before the
 * engine sees it: everything by which SQL could reach the host's files, programs or network and that
 * the embedded engine's access control cannot stop.
 *
 * <p>The engine itself (see {@link EmbeddedClickHouse#NETWORK_USERS_XML}) runs every statement as a
 * user without the source privileges (FILE, URL, REMOTE, S3, HDFS, MYSQL, … — so the {@code file},
 * {@code url}, {@code remote}, {@code s3}, {@code filesystem}, {@code icebergLocal} … table functions,
 * {@code SELECT * FROM '/path'} and the Filesystem database are refused by the engine), without
 * CREATE DICTIONARY and BACKUP, and with the path-valued settings pinned. What access control in
 * this engine does not cover, because libchdb keeps ClickHouse's pre-24.1 access-control defaults
 * ({@code table_engines_require_grant} off) and because some clauses run client-side:
 *
 * <ul>
 *   <li>{@code INTO OUTFILE} and {@code FROM INFILE}: executed by the embedded client, with no
 *       privilege check. Refused by the words {@code OUTFILE} and {@code INFILE}: the parser
 *       recognises those clauses only by these keywords, so a statement without the words cannot
 *       contain them.
 *   <li>the scalar function {@code file(path)} (reads any file; no privilege check), the
 *       {@code executable} table function, and custom disks ({@code disk(type = web, …)} reaches the
 *       network): refused by the names {@code file}, {@code executable}, {@code disk} used as an
 *       identifier anywhere in the statement (bare or quoted; function and table-function names
 *       are identifiers), in the rows of a VALUES insert too (the Values format evaluates
 *       expressions). A statement that merely names a column {@code file} is refused as well.
 *   <li>table and database engines: a File, URL, Executable, S3, SQLite … table reads and writes
 *       without a source privilege. In CREATE and ATTACH statements the name after {@code ENGINE}
 *       must be on an allowlist (the MergeTree family and the engines that keep data in the engine's
 *       own directory or memory); so {@code CREATE … AS SELECT engine FROM system.tables} is
 *       refused too.
 *   <li>query parameters of type {@code Identifier}: their values become identifiers, so they are
 *       checked against the same names.
 * </ul>
 *
 * <p>Why a check on words is sound: each refused capability needs its keyword or name to appear in
 * the statement as an identifier or keyword token. Tokens are found with {@link SqlText}'s lexer,
 * which agrees with ClickHouse's on where string literals, quoted identifiers and comments begin and
 * end; words inside string literals and comments are not code and are not refused. Inline INSERT data
 * in any format but Values is never parsed as SQL and is not looked at.
 */
final class NetworkStatementPolicy {

  /** Identifiers (any case, bare or quoted) that a network statement may not contain. */
  static final Set<String> DENIED_NAMES = Set.of("file", "executable", "executablepool", "disk", "outfile", "infile");

  /** Table and database engines a network CREATE or ATTACH may name. */
  static final Set<String> ALLOWED_ENGINES = Set.of(
      "mergetree", "replacingmergetree", "summingmergetree", "aggregatingmergetree", "collapsingmergetree",
      "versionedcollapsingmergetree", "coalescingmergetree", "graphitemergetree",
      "memory", "null", "log", "tinylog", "stripelog", "set", "join", "buffer", "merge", "generaterandom",
      "atomic", "ordinary");

  private static final Set<String> CREATING = Set.of("CREATE", "ATTACH", "REPLACE");
  private static final Pattern IDENTIFIER_PARAMETER =
      Pattern.compile("\\{\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*:\\s*Identifier\\s*}", Pattern.CASE_INSENSITIVE);

  private NetworkStatementPolicy() {}

  /**
   * Throws ACCESS_DENIED when {@code sql} (a whole request's statement, with inline INSERT data)
   * or one of its Identifier query parameters does something a network client may not.
   */
  static void check(byte[] sql, Map<String, String> queryParameters) {
    InlineInsertData inline = InlineInsertData.split(sql);
    String statement;
    String valuesRows = null;
    if (inline == null) {
      statement = new String(sql, StandardCharsets.ISO_8859_1);
    } else {
      statement = new String(inline.sqlBeforeInfile(), StandardCharsets.ISO_8859_1) + " "
          + new String(inline.sqlAfterInfile(), StandardCharsets.ISO_8859_1);
      if (isValuesFormat(inline.sqlAfterInfile())) {
        valuesRows = new String(sql, inline.dataStart(), inline.length(), StandardCharsets.ISO_8859_1);
      }
    }
    List<SqlText.Token> code = new ArrayList<>();
    SqlText.scan(statement, t -> {
      if (!t.isTrivia()) {
        code.add(t);
      }
    });
    for (SqlText.Token t : code) {
      deny(t.identifier(), "");
    }
    if (!code.isEmpty() && CREATING.contains(code.get(0).text().toUpperCase(Locale.ROOT))) {
      checkEngines(code);
    }
    if (valuesRows != null) {
      SqlText.scan(valuesRows, t -> deny(t.identifier(), " in the inserted VALUES rows"));
    }
    Matcher m = IDENTIFIER_PARAMETER.matcher(statement);
    while (m.find()) {
      String value = queryParameters.get(m.group(1));
      if (value != null) {
        for (String part : value.split("\\.")) {
          deny(part.strip(), " (query parameter " + m.group(1) + ")");
        }
      }
    }
  }

  private static void checkEngines(List<SqlText.Token> code) {
    for (int i = 0; i < code.size(); i++) {
      if (!code.get(i).isWord("ENGINE")) {
        continue;
      }
      int j = i + 1;
      if (j < code.size() && code.get(j).isSymbol('=')) {
        j++;
      }
      String engine = j < code.size() ? code.get(j).identifier() : null;
      if (engine == null || !ALLOWED_ENGINES.contains(engine.toLowerCase(Locale.ROOT))) {
        throw refused("the engine " + (engine == null ? "after ENGINE" : engine) + " (allowed over the network: "
            + "the MergeTree family, Memory, Null, Log, TinyLog, StripeLog, Set, Join, Buffer, Merge, GenerateRandom;"
            + " databases Atomic, Ordinary)");
      }
    }
  }

  private static boolean isValuesFormat(byte[] sqlAfterInfile) {
    List<SqlText.Token> code = SqlText.code(SqlText.tokenize(new String(sqlAfterInfile, StandardCharsets.ISO_8859_1)));
    for (int i = 0; i + 1 < code.size(); i++) {
      if (code.get(i).isWord("FORMAT")) {
        return code.get(i + 1).isWord("Values");
      }
    }
    return false;
  }

  private static void deny(String identifier, String where) {
    if (identifier != null && DENIED_NAMES.contains(identifier.toLowerCase(Locale.ROOT))) {
      throw refused("'" + identifier + "'" + where);
    }
  }

  private static ClickHouseException refused(String what) {
    return new ClickHouseException(497, "ACCESS_DENIED", "Code: 497. DB::Exception: the embedded engine's HTTP front "
        + "refuses " + what + ": statements over the network may not reach the host's files, programs or network"
        + " (INTO OUTFILE, FROM INFILE, file(), executable(), custom disks, external table engines). (ACCESS_DENIED)");
  }
}
