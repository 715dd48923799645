package dev.tokenledger.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An import is all or nothing for every reader, even when the command dies mid-run: here it is
 * stopped after its first chunk of rows by an error no code of the import catches, as a kill
 * would stop it (no clean-up runs). The figures readers see (usage_parity_daily, OpenAI's side)
 * are then those from before the import; a rerun shows the new figures, once. Each test uses its
 * own range of days.
 */
class AtomicImportTest {

  static final int CHUNK_ROWS = 100;
  static final int DAYS = 100; // four monthly partitions
  static final int KEYS = 3;

  static String db;
  static List<String> tokenColumns;

  /** Stands for the process dying: nothing in the import catches it. */
  static final class Killed extends Error {
    Killed() {
      super("killed after the first chunk");
    }
  }

  @BeforeAll
  static void migrate() throws Exception {
    db = CliTestSupport.migratedDatabase("tl_cli_atomic");
    try (ClickHouseSession s = CliTestSupport.session(db)) {
      tokenColumns = UsageImport.tokenColumns(s);
    }
  }

  @AfterAll
  static void drop() throws Exception {
    if (db != null) {
      CliTestSupport.execute(db, "DROP DATABASE IF EXISTS " + db);
    }
  }

  static long dayOne(int year) {
    return LocalDate.of(year, 1, 1).atStartOfDay(ZoneOffset.UTC).toEpochSecond();
  }

  /** Several chunks of daily rows over several months from {@code from}; {@code version} changes every count. */
  static List<ImportRow> export(long from, int version) {
    List<ImportRow> rows = new ArrayList<>();
    for (int d = 0; d < DAYS; d++) {
      for (int k = 0; k < KEYS; k++) {
        long[] tokens = new long[tokenColumns.size()];
        tokens[tokenColumns.indexOf("input_tokens")] = version * 1000L + d * 7L + k;
        tokens[tokenColumns.indexOf("output_tokens")] = version;
        long start = from + d * 86_400L;
        rows.add(new ImportRow(start, start + 86_400, "proj_a", "", "key_" + k, "gpt-4o", "", "", 1, tokens, 0, 0));
      }
    }
    return rows;
  }

  /** What readers see of OpenAI's side in the range: input tokens and the number of rows behind them. */
  static String visible(long from) throws Exception {
    return CliTestSupport.scalar(db, "SELECT toString((sum(openai), countIf(state != 'missing_openai'))) FROM " + db
        + ".usage_parity_daily WHERE field = 'input_tokens' AND day >= toDate(toDateTime(" + from + ", 'UTC'))"
        + " AND day < toDate(toDateTime(" + from + ", 'UTC')) + " + DAYS);
  }

  static String figures(List<ImportRow> rows) {
    int i = tokenColumns.indexOf("input_tokens");
    return "(" + rows.stream().mapToLong(r -> r.tokens()[i]).sum() + "," + rows.size() + ")";
  }

  static void store(List<ImportRow> rows, UsageImport.Progress progress) throws Exception {
    long[] range = UsageImport.range(rows);
    try (ClickHouseSession s = CliTestSupport.session(db)) {
      UsageImport.store(s, rows, tokenColumns, "csv", range[0], range[1], System.err, CHUNK_ROWS, progress);
    }
  }

  static void killedAfterTheFirstChunk(List<ImportRow> rows) {
    assertThrows(Killed.class, () -> store(rows, (done, total) -> {
      throw new Killed();
    }));
  }

  @Test
  void aKilledImportShowsNothingAndItsRerunShowsOneCopy() throws Exception {
    long from = dayOne(2025);
    List<ImportRow> rows = export(from, 1);

    killedAfterTheFirstChunk(rows);
    assertEquals("(0,0)", visible(from), "nothing of an import that did not finish");

    store(rows, (done, total) -> { });
    assertEquals(figures(rows), visible(from), "the rerun, once");
    assertEquals(String.valueOf(rows.size()), CliTestSupport.scalar(db, "SELECT count() FROM " + db
        + ".openai_usage_imported WHERE start_time >= toDateTime(" + from + ", 'UTC') AND start_time < toDateTime("
        + (from + DAYS * 86_400L) + ", 'UTC')"), "every bucket width, not only the days parity compares");
  }

  @Test
  void aKilledReimportLeavesTheEarlierImportAsItWas() throws Exception {
    long from = dayOne(2026);
    List<ImportRow> first = export(from, 1);
    List<ImportRow> corrected = export(from, 2);
    store(first, (done, total) -> { });
    assertEquals(figures(first), visible(from));

    killedAfterTheFirstChunk(corrected);
    assertEquals(figures(first), visible(from), "the earlier import, whole and alone");

    store(corrected, (done, total) -> { });
    assertEquals(figures(corrected), visible(from), "the completed re-import replaces it, once");
    assertEquals(String.valueOf(corrected.size() + CHUNK_ROWS), CliTestSupport.scalar(db, "SELECT count() FROM " + db
        + ".openai_usage_import WHERE start_time >= toDateTime(" + from + ", 'UTC') AND start_time < toDateTime("
        + (from + DAYS * 86_400L) + ", 'UTC')"),
        "the replaced rows are deleted; those of the killed run stay (hidden) until they are a day old");
  }
}
