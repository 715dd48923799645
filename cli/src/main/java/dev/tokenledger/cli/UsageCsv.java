package dev.tokenledger.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * Reads OpenAI's completions usage CSV export (docs/token-vocabulary.md#the-usage-export): a header naming the columns,
 * then one row per time bucket and grouping key. Columns are found by name, in any order;
 * {@code input_cache_write_tokens} and the per-modality columns may be absent (older exports), the
 * bucket times and the totals may not. The whole file is checked before anything is imported: the
 * first problem is reported with its line and column, and nothing is imported.
 */
final class UsageCsv {

  static final Set<String> REQUIRED = Set.of("start_time", "end_time", "num_model_requests", "input_tokens",
      "output_tokens");

  private UsageCsv() {}

  /**
   * The rows of {@code in}, with the counts of {@code tokenColumns} (absent columns count 0);
   * {@code progress} hears the count every few thousand rows.
   */
  static List<ImportRow> read(Reader in, List<String> tokenColumns, List<String> warnings, IntConsumer progress)
      throws IOException, InputException {
    CsvLexer lex = new CsvLexer(new BufferedReader(in));
    List<CsvLexer.Cell> header = lex.record();
    if (header == null) {
      throw new InputException(1, 1, "the file is empty: expected a header line naming the columns"
          + " (start_time,end_time,…,input_tokens,output_tokens,…)");
    }
    Map<String, Integer> index = new LinkedHashMap<>();
    for (int i = 0; i < header.size(); i++) {
      String name = header.get(i).text().strip();
      if (i == 0 && name.startsWith("\uFEFF")) {
        name = name.substring(1);
      }
      if (index.containsKey(name)) {
        throw new InputException(header.get(i).line(), header.get(i).column(), "column '" + name + "' appears twice");
      }
      index.put(name, i);
    }
    for (String r : List.of("start_time", "end_time", "num_model_requests", "input_tokens", "output_tokens")) {
      if (!index.containsKey(r)) {
        throw new InputException(1, 1, "the header has no column '" + r + "': this is not OpenAI's completions usage"
            + " export (it needs start_time, end_time, num_model_requests, input_tokens, output_tokens, …)");
      }
    }
    for (String name : index.keySet()) {
      if (!known(name, tokenColumns)) {
        warnings.add("column '" + name + "' is not a completions usage column; it is ignored");
      }
    }
    List<ImportRow> rows = new ArrayList<>();
    Map<String, Integer> seen = new HashMap<>();
    List<CsvLexer.Cell> rec;
    while ((rec = lex.record()) != null) {
      if (rec.size() == 1 && rec.get(0).text().isEmpty()) {
        continue; // blank line
      }
      int line = rec.get(0).line();
      if (rec.size() != header.size()) {
        CsvLexer.Cell last = rec.get(rec.size() - 1);
        throw new InputException(line, rec.size() < header.size() ? last.column() + last.text().length() : rec.get(header.size()).column(),
            "this row has " + rec.size() + " cells but the header names " + header.size() + " columns"
                + (rec.size() < header.size() && lex.atEnd() ? " (the file ends here: truncated?)" : ""));
      }
      ImportRow row = row(rec, index, tokenColumns);
      Integer earlier = seen.putIfAbsent(row.key(), line);
      if (earlier != null) {
        throw new InputException(line, 1, "this row repeats the time bucket and grouping of line " + earlier);
      }
      rows.add(row);
      if (rows.size() % 5000 == 0) {
        progress.accept(rows.size());
      }
    }
    return rows;
  }

  private static boolean known(String column, List<String> tokenColumns) {
    return column.equals("start_time") || column.equals("end_time") || column.equals("start_time_iso")
        || column.equals("end_time_iso") || column.equals("num_model_requests")
        || ImportRow.GROUP_COLUMNS.contains(column) || tokenColumns.contains(column);
  }

  private static ImportRow row(List<CsvLexer.Cell> rec, Map<String, Integer> index, List<String> tokenColumns)
      throws InputException {
    CsvLexer.Cell startCell = rec.get(index.get("start_time"));
    long start = integer(startCell, "start_time");
    long end = integer(rec.get(index.get("end_time")), "end_time");
    if (ImportRow.bucketWidth(end - start) == null) {
      throw new InputException(startCell.line(), rec.get(index.get("end_time")).column(), "the bucket from " + start + " to "
          + end + " is " + (end - start) + " seconds long: only whole 1d, 1h or 1m buckets can be compared");
    }
    checkIso(rec, index, "start_time_iso", start);
    checkIso(rec, index, "end_time_iso", end);
    String batch = text(rec, index, "batch").toLowerCase(java.util.Locale.ROOT);
    if (!batch.isEmpty() && !batch.equals("true") && !batch.equals("false")) {
      CsvLexer.Cell c = rec.get(index.get("batch"));
      throw new InputException(c.line(), c.column(), "batch must be true, false or empty, not '" + c.text() + "'");
    }
    long[] tokens = new long[tokenColumns.size()];
    for (int i = 0; i < tokens.length; i++) {
      Integer col = index.get(tokenColumns.get(i));
      tokens[i] = col == null ? 0 : integer(rec.get(col), tokenColumns.get(i));
    }
    return new ImportRow(start, end, text(rec, index, "project_id"), text(rec, index, "user_id"),
        text(rec, index, "api_key_id"), text(rec, index, "model"), batch, text(rec, index, "service_tier"),
        integer(rec.get(index.get("num_model_requests")), "num_model_requests"), tokens, startCell.line(), 1);
  }

  private static String text(List<CsvLexer.Cell> rec, Map<String, Integer> index, String column) {
    Integer i = index.get(column);
    return i == null ? "" : rec.get(i).text().strip();
  }

  private static long integer(CsvLexer.Cell c, String column) throws InputException {
    String v = c.text().strip();
    if (v.isEmpty()) {
      throw new InputException(c.line(), c.column(), column + " is empty: expected a whole number");
    }
    if (!v.matches("\\d{1,18}")) {
      throw new InputException(c.line(), c.column(), column + " must be a whole number ≥ 0, not '" + v + "'");
    }
    return Long.parseLong(v);
  }

  private static void checkIso(List<CsvLexer.Cell> rec, Map<String, Integer> index, String column, long expected)
      throws InputException {
    Integer i = index.get(column);
    if (i == null || rec.get(i).text().isBlank()) {
      return;
    }
    CsvLexer.Cell c = rec.get(i);
    Instant t = parseInstant(c.text().strip());
    if (t == null) {
      throw new InputException(c.line(), c.column(), column + " is not an ISO 8601 time: '" + c.text() + "'");
    }
    if (t.getEpochSecond() != expected) {
      throw new InputException(c.line(), c.column(), column + " (" + c.text().strip() + ") is not the same instant as "
          + column.replace("_iso", "") + " (" + expected + " = " + Instant.ofEpochSecond(expected) + ")");
    }
  }

  static Instant parseInstant(String s) {
    try {
      return OffsetDateTime.parse(s.replace(' ', 'T')).toInstant();
    } catch (DateTimeParseException e) {
      try {
        return LocalDateTime.parse(s.replace(' ', 'T')).toInstant(ZoneOffset.UTC);
      } catch (DateTimeParseException e2) {
        return null;
      }
    }
  }

  /** RFC 4180 records with the position of every cell; quoted cells may span lines. */
  static final class CsvLexer {

    record Cell(String text, int line, int column) {}

    private final BufferedReader in;
    private int line = 1;
    private int column = 1;
    private int next = -2; // -2: not read yet
    private boolean sawAny;

    CsvLexer(BufferedReader in) {
      this.in = in;
    }

    private int peek() throws IOException {
      if (next == -2) {
        next = in.read();
      }
      return next;
    }

    private int read() throws IOException {
      int c = peek();
      next = -2;
      if (c == '\n') {
        line++;
        column = 1;
      } else if (c >= 0) {
        column++;
      }
      return c;
    }

    boolean atEnd() throws IOException {
      return peek() < 0;
    }

    /** The next record, or null at the end of the input. */
    List<Cell> record() throws IOException, InputException {
      if (peek() < 0) {
        return null;
      }
      sawAny = true;
      List<Cell> cells = new ArrayList<>();
      while (true) {
        int cl = line;
        int cc = column;
        StringBuilder sb = new StringBuilder();
        if (peek() == '"') {
          read();
          while (true) {
            int c = read();
            if (c < 0) {
              throw new InputException(cl, cc, "a quoted cell is not closed before the end of the file (truncated?)");
            }
            if (c == '"') {
              if (peek() == '"') {
                read();
                sb.append('"');
              } else {
                break;
              }
            } else {
              sb.append((char) c);
            }
          }
          int after = peek();
          if (after != ',' && after != '\n' && after != '\r' && after >= 0) {
            throw new InputException(line, column, "unexpected text after the closing quote of a cell");
          }
        } else {
          while (peek() != ',' && peek() != '\n' && peek() != '\r' && peek() >= 0) {
            int c = read();
            if (c == '"') {
              throw new InputException(line, column - 1, "a quote inside an unquoted cell (quote the whole cell)");
            }
            sb.append((char) c);
          }
        }
        cells.add(new Cell(sb.toString(), cl, cc));
        int c = read();
        if (c == ',') {
          continue;
        }
        if (c == '\r' && peek() == '\n') {
          read();
        }
        return cells;
      }
    }
  }
}
