package dev.tokenledger.cli;

import dev.tokenledger.clickhouse.SqlText;
import dev.tokenledger.clickhouse.TableColumns;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.io.InputStreamReader;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeSet;
import java.util.UUID;

/**
 * Loads OpenAI's completions usage into {@code openai_usage_import}, all or nothing: the whole input
 * is read and checked first (a malformed or truncated file names the line and column of the first
 * problem and imports nothing); then the rows are inserted under a new import id and committed in
 * one step, after which readers see this import, and no earlier one, for its time range. Re-importing
 * the same range therefore leaves exactly one copy, and an import that fails or is killed before its
 * commit shows nothing, leaving the earlier import as it was.
 *
 * <p>Which token fields are read and stored is what the table has ({@link #tokenColumns}): a field
 * that a migration adds to openai_usage_import is imported from then on, with no change here.
 */
final class UsageImport {

  private static final int CHUNK = 5000;

  /** What one import stored. */
  record Result(int rows, long from, long to, String importId) {}

  private UsageImport() {}

  /**
   * The token columns of openai_usage_import, in the table's order: the fields an import reads and
   * stores. Fails with "run migrate first" when the database is not migrated.
   */
  static List<String> tokenColumns(ClickHouseSession s) throws CliException {
    s.requireMigrated("openai_usage_import", "openai_usage_import_runs", "usage_parity_daily");
    try {
      return TableColumns.tokens(s.connection(), s.database(), "openai_usage_import");
    } catch (SQLException e) {
      throw s.classify(e, "the columns of openai_usage_import");
    }
  }

  /** The error for an import file that does not exist. */
  static CliException noSuchFile(Path file) {
    return new CliException(CliException.USAGE, "No such file: " + file + ". Give the path of OpenAI's usage CSV export"
        + " or of a saved Usage API answer (.json).");
  }

  /** Reads and checks a CSV export or a saved Usage API answer (the counts of {@code tokenColumns}). */
  static List<ImportRow> readFile(Path file, List<String> tokenColumns, PrintStream err) throws CliException {
    String name = file.toString();
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw noSuchFile(file);
    } catch (IOException e) {
      throw new CliException(CliException.USAGE, "Cannot read " + name + ": " + e.getMessage());
    }
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new CliException(CliException.BAD_INPUT, name + ": the file is not UTF-8 text; nothing was imported.");
    }
    boolean json = name.toLowerCase(Locale.ROOT).endsWith(".json")
        || (!name.toLowerCase(Locale.ROOT).endsWith(".csv") && text.stripLeading().matches("(?s)^[\\[{].*"));
    List<String> warnings = new ArrayList<>();
    List<ImportRow> rows;
    try {
      if (json) {
        rows = new ArrayList<>();
        Map<String, Integer> seen = UsageJson.newSeen();
        for (JsonInput.Node page : UsageJson.pages(JsonInput.parse(text))) {
          rows.addAll(UsageJson.rows(page, tokenColumns, seen));
        }
      } else {
        try (Reader r = new InputStreamReader(new java.io.ByteArrayInputStream(bytes), StandardCharsets.UTF_8)) {
          rows = UsageCsv.read(r, tokenColumns, warnings,
              n -> err.println("tokenledger: read " + n + " rows of " + name + " …"));
        }
      }
    } catch (InputException e) {
      throw new CliException(CliException.BAD_INPUT, e.describe(name) + "\nNothing was imported. Fix the file (or export"
          + " it again from OpenAI) and re-run the import.");
    } catch (IOException e) {
      throw new CliException(CliException.USAGE, "Cannot read " + name + ": " + e.getMessage());
    }
    for (String w : warnings) {
      err.println("tokenledger: " + name + ": " + w);
    }
    return rows;
  }

  /**
   * Stores {@code rows} (read for {@code tokenColumns}) as the content of [{@code from}, {@code to})
   * (unix seconds) for their bucket widths, replacing what earlier imports held for that range.
   */
  static Result store(ClickHouseSession s, List<ImportRow> rows, List<String> tokenColumns, String source, long from,
      long to, PrintStream err) throws CliException {
    return store(s, rows, tokenColumns, source, from, to, err, CHUNK, (done, total) -> {
      if (total > CHUNK) {
        err.println("tokenledger: inserted " + done + " of " + total + " rows …");
      }
    });
  }

  /** Told after each chunk of rows is inserted (progress on stderr). */
  interface Progress {
    void inserted(int done, int total);
  }

  /**
   * As {@link #store(ClickHouseSession, List, List, String, long, long, PrintStream)}, inserting
   * {@code chunkRows} rows per statement and telling {@code progress} after each.
   *
   * <p>All or nothing for readers, even if the command is killed: the import is recorded as pending in
   * {@code openai_usage_import_runs}, its rows go in under its new id, in chunks, and
   * {@code openai_usage_imported} (which {@code usage_parity_daily} reads) shows none of them until
   * the import's commit row is inserted after the last chunk. A one-row insert is atomic, and from
   * that moment the import is what readers see for its range and bucket widths, in place of every
   * earlier import there (migration 020). Deleting the replaced rows afterwards changes no figure.
   */
  static Result store(ClickHouseSession s, List<ImportRow> rows, List<String> tokenColumns, String source, long from,
      long to, PrintStream err, int chunkRows, Progress progress) throws CliException {
    String table = SqlText.quoteIdentifier(s.database()) + ".openai_usage_import";
    String runs = SqlText.quoteIdentifier(s.database()) + ".openai_usage_import_runs";
    String importId = source + "-" + UUID.randomUUID();
    String id = SqlText.quoteString(importId);
    TreeSet<String> widths = new TreeSet<>();
    rows.forEach(r -> widths.add(r.bucketWidth()));
    if (widths.isEmpty()) {
      widths.add("1d");
    }
    StringJoiner w = new StringJoiner(", ");
    widths.forEach(x -> w.add(SqlText.quoteString(x)));
    String run = "INSERT INTO " + runs + " (import_id, state, source, range_start, range_end, bucket_widths, row_count)"
        + " VALUES (" + id + ", '%s', " + SqlText.quoteString(source) + ", toDateTime(" + from + ", 'UTC'), toDateTime("
        + to + ", 'UTC'), [" + w + "], " + rows.size() + ")";
    s.execute(String.format(Locale.ROOT, run, "pending"));
    try {
      for (int i = 0; i < rows.size(); i += chunkRows) {
        List<ImportRow> chunk = rows.subList(i, Math.min(rows.size(), i + chunkRows));
        s.execute(insertSql(table, tokenColumns, chunk, source, importId));
        progress.inserted(i + chunk.size(), rows.size());
      }
    } catch (CliException e) {
      try {
        s.execute("DELETE FROM " + table + " WHERE import_id = " + id);
      } catch (CliException cleanup) {
        // Never committed, so never shown; a later import removes them.
      }
      throw new CliException(e.exitCode(), e.getMessage() + "\nNothing was imported.", e);
    }
    try {
      s.execute(String.format(Locale.ROOT, run, "committed"));
    } catch (CliException e) {
      throw new CliException(e.exitCode(), e.getMessage() + "\nAll rows were inserted, but whether import " + importId
          + " was committed is not known. Run the import again: the rerun replaces it either way.", e);
    }
    removeHiddenRows(s, table, runs, importId, from, to, w.toString(), err);
    return new Result(rows.size(), from, to, importId);
  }

  /**
   * Frees the space of rows no reader shows any more: in the range this import replaced, the rows
   * of earlier imports and rows written by hand (never those of an import committed later or still
   * running); anywhere, the rows of imports still pending after a day. A failure here changes no
   * figure, so it is only reported.
   */
  private static void removeHiddenRows(ClickHouseSession s, String table, String runs, String importId, long from,
      long to, String widths, PrintStream err) {
    String id = SqlText.quoteString(importId);
    String unfinished = "SELECT import_id FROM " + runs + " GROUP BY import_id HAVING countIf(state = 'committed') = 0";
    try {
      s.execute("DELETE FROM " + table + " WHERE start_time >= toDateTime(" + from + ", 'UTC') AND start_time <"
          + " toDateTime(" + to + ", 'UTC') AND bucket_width IN (" + widths + ") AND import_id != " + id
          + " AND import_id NOT IN (SELECT import_id FROM " + runs + " WHERE state = 'committed' AND recorded_at >"
          + " (SELECT max(recorded_at) FROM " + runs + " WHERE import_id = " + id + " AND state = 'committed'))"
          + " AND import_id NOT IN (" + unfinished + ")");
      s.execute("DELETE FROM " + table + " WHERE import_id IN (" + unfinished + " AND max(recorded_at) < now64(3) -"
          + " INTERVAL 1 DAY)");
    } catch (CliException e) {
      err.println("tokenledger: import " + importId + " is complete; removing the rows it replaced failed ("
          + e.getMessage() + "). They are not shown, and the next import of that range removes them.");
    }
  }

  /** The range a set of rows covers: [earliest start, latest end). */
  static long[] range(List<ImportRow> rows) {
    long from = Long.MAX_VALUE;
    long to = Long.MIN_VALUE;
    for (ImportRow r : rows) {
      from = Math.min(from, r.startTime());
      to = Math.max(to, r.endTime());
    }
    return new long[] {from, to};
  }

  static String describe(Result r) {
    return "imported " + r.rows() + " rows of OpenAI usage for " + Instant.ofEpochSecond(r.from()) + " – "
        + Instant.ofEpochSecond(r.to()) + " (import " + r.importId() + "); earlier imports of that range were replaced";
  }

  private static String insertSql(String table, List<String> tokenColumns, List<ImportRow> rows, String source,
      String importId) {
    StringBuilder sb = new StringBuilder("INSERT INTO ").append(table).append(" (start_time, end_time, bucket_width,"
        + " project_id, user_id, api_key_id, model, batch, service_tier, num_model_requests, ")
        .append(String.join(", ", tokenColumns)).append(", source, import_id) VALUES\n");
    for (int i = 0; i < rows.size(); i++) {
      ImportRow r = rows.get(i);
      if (i > 0) {
        sb.append(",\n");
      }
      sb.append('(').append(r.startTime()).append(", ").append(r.endTime()).append(", ")
          .append(SqlText.quoteString(r.bucketWidth())).append(", ")
          .append(SqlText.quoteString(r.projectId())).append(", ")
          .append(SqlText.quoteString(r.userId())).append(", ")
          .append(SqlText.quoteString(r.apiKeyId())).append(", ")
          .append(SqlText.quoteString(r.model())).append(", ")
          .append(SqlText.quoteString(r.batch())).append(", ")
          .append(SqlText.quoteString(r.serviceTier())).append(", ")
          .append(r.numModelRequests());
      for (long t : r.tokens()) {
        sb.append(", ").append(t);
      }
      sb.append(", ").append(SqlText.quoteString(source)).append(", ").append(SqlText.quoteString(importId)).append(')');
    }
    return sb.toString();
  }
}
