package dev.tokenledger.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.simulator.OpenAiSimulator;
import dev.tokenledger.simulator.UsageExport;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Import of OpenAI's usage CSV export and the parity report: the simulator's own OpenAI-style export
 * of the same traffic shows zero difference; an export with one known discrepancy shows exactly
 * that one; re-importing replaces; malformed and truncated files say what and where and import
 * nothing.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CsvImportAndParityTest {

  static OpenAiSimulator sim;
  static SimulatedTraffic traffic;
  static String db;
  static String csv;
  static Path csvFile;

  @BeforeAll
  static void seed() throws Exception {
    sim = OpenAiSimulator.start(0);
    traffic = SimulatedTraffic.generate(sim, 56, 5);
    db = CliTestSupport.migratedDatabase("tl_cli_parity");
    CliTestSupport.execute(db, traffic.otelLogsInsert(db));
    csv = UsageExport.toCsv(UsageExport.completionsDaily(traffic.truth));
    csvFile = write("openai-usage.csv", csv);
  }

  @AfterAll
  static void stop() throws Exception {
    if (sim != null) {
      sim.close();
    }
    if (db != null) {
      CliTestSupport.execute(db, "DROP DATABASE IF EXISTS " + db);
    }
  }

  @Test
  @Order(1)
  void theSimulatorsExportOfTheSameTrafficHasZeroDifference() throws Exception {
    int dataRows = csv.strip().split("\n").length - 1;
    assertTrue(dataRows >= 5, csv);
    CliTestSupport.Result imp = CliTestSupport.cli(db, "import-openai-usage", csvFile.toString());
    assertEquals(0, imp.exit(), imp.all());
    assertTrue(imp.out().contains("imported " + dataRows + " rows"), imp.out());
    assertEquals(String.valueOf(dataRows), CliTestSupport.scalar(db, "SELECT count() FROM " + db + ".openai_usage_import FINAL"));

    CliTestSupport.Result parity = CliTestSupport.cli(db, "parity", "--days", "7", "--json");
    assertEquals(0, parity.exit(), parity.all());
    assertEquals(0, ReportCommandTest.jsonTotal(parity.out(), "differences"));
    // The comparison really covered the traffic: OpenAI's side of input_tokens adds up to the ground truth.
    long openaiInput = 0;
    Matcher m = Pattern.compile("\"field\": \"input_tokens\", \"ours\": (\\d+), \"openai\": (\\d+)").matcher(parity.out());
    while (m.find()) {
      assertEquals(m.group(1), m.group(2));
      openaiInput += Long.parseLong(m.group(2));
    }
    long truthInput = traffic.truth.stream().filter(UsageExport.COMPLETIONS).mapToLong(g -> g.token("input_tokens")).sum();
    assertTrue(truthInput > 0);
    assertEquals(truthInput, openaiInput);

    CliTestSupport.Result table = CliTestSupport.cli(db, "parity", "--days", "7");
    assertEquals(0, table.exit(), table.all());
    assertTrue(table.out().contains("No differences"), table.out());
  }

  @Test
  @Order(2)
  void reimportingTheSameFileLeavesOneCopy() throws Exception {
    int dataRows = csv.strip().split("\n").length - 1;
    CliTestSupport.Result imp = CliTestSupport.cli(db, "import-openai-usage", csvFile.toString());
    assertEquals(0, imp.exit(), imp.all());
    assertEquals(String.valueOf(dataRows), CliTestSupport.scalar(db, "SELECT count() FROM " + db + ".openai_usage_import"));
    assertEquals("1", CliTestSupport.scalar(db, "SELECT uniqExact(import_id) FROM " + db + ".openai_usage_import"));
    assertEquals(0, CliTestSupport.cli(db, "parity", "--days", "7").exit());
  }

  @Test
  @Order(3)
  void anExportWithAKnownDiscrepancyReportsExactlyThatDiscrepancy() throws Exception {
    List<String> lines = new ArrayList<>(Arrays.asList(csv.split("\n")));
    List<String> header = Arrays.asList(lines.get(0).split(","));
    int row = 2; // the second data row
    String[] cells = lines.get(row).split(",", -1);
    int col = header.indexOf("output_tokens");
    long openai = Long.parseLong(cells[col]) + 137;
    long ours = Long.parseLong(cells[col]);
    cells[col] = String.valueOf(openai);
    lines.set(row, String.join(",", cells));
    Path changed = write("openai-usage-discrepancy.csv", String.join("\n", lines) + "\n");
    String day = Instant.ofEpochSecond(Long.parseLong(cells[header.indexOf("start_time")])).toString().substring(0, 10);
    String model = cells[header.indexOf("model")];
    String project = cells[header.indexOf("project_id")];

    assertEquals(0, CliTestSupport.cli(db, "import-openai-usage", changed.toString()).exit());
    CliTestSupport.Result parity = CliTestSupport.cli(db, "parity", "--days", "7", "--json", "--differences-only");
    assertEquals(1, parity.exit(), parity.all());
    assertEquals(1, ReportCommandTest.jsonTotal(parity.out(), "differences"), parity.out());
    String pct = String.valueOf(Math.round(100.0 * (ours - openai) / openai * 10000) / 10000.0);
    assertTrue(parity.out().contains("{\"day\": \"" + day + "\", \"project_id\": \"" + project + "\", \"api_key_id\": \"\","
        + " \"model\": \"" + model + "\", \"field\": \"output_tokens\", \"ours\": " + ours + ", \"openai\": " + openai
        + ", \"diff\": -137, \"diff_pct\": " + pct + ", \"state\": \"mismatch\"}"), parity.out());

    CliTestSupport.Result table = CliTestSupport.cli(db, "parity", "--days", "7");
    assertEquals(1, table.exit());
    assertTrue(table.out().contains("1 of "), table.out());
    assertTrue(table.out().contains("figures differ (exit code 1)"), table.out());

    // Importing the right export again replaces the wrong one.
    assertEquals(0, CliTestSupport.cli(db, "import-openai-usage", csvFile.toString()).exit());
    assertEquals(0, CliTestSupport.cli(db, "parity", "--days", "7").exit());
  }

  @Test
  @Order(4)
  void aMalformedCellIsReportedByLineAndColumnAndNothingIsImported() throws Exception {
    String before = importState();
    List<String> lines = new ArrayList<>(Arrays.asList(csv.split("\n")));
    List<String> header = Arrays.asList(lines.get(0).split(","));
    String[] cells = lines.get(3).split(",", -1);
    int col = header.indexOf("input_cached_tokens");
    cells[col] = "12x4";
    lines.set(3, String.join(",", cells));
    // Line 2 is also changed, so a partial import would be visible in the table.
    String[] first = lines.get(1).split(",", -1);
    first[header.indexOf("input_tokens")] = "999999";
    lines.set(1, String.join(",", first));
    Path bad = write("openai-usage-malformed.csv", String.join("\n", lines) + "\n");
    int column = 1;
    for (int i = 0; i < col; i++) {
      column += cells[i].length() + 1;
    }
    CliTestSupport.Result r = CliTestSupport.cli(db, "import-openai-usage", bad.toString());
    assertEquals(5, r.exit(), r.all());
    assertTrue(r.err().contains(bad + ":4:" + column + ": input_cached_tokens must be a whole number ≥ 0, not '12x4'"),
        r.err());
    assertTrue(r.err().contains("Nothing was imported"), r.err());
    assertTrue(CliTestSupport.noStackTrace(r.all()), r.all());
    assertEquals(before, importState());
  }

  @Test
  @Order(5)
  void aTruncatedFileIsReportedAsSuchAndNothingIsImported() throws Exception {
    String before = importState();
    String[] lines = csv.split("\n");
    int lastLine = lines.length; // 1-based number of the last line
    int cut = csv.lastIndexOf('\n', csv.length() - 2) + 1 + lines[lines.length - 1].length() / 2;
    Path truncated = write("openai-usage-truncated.csv", csv.substring(0, cut));
    CliTestSupport.Result r = CliTestSupport.cli(db, "import-openai-usage", truncated.toString());
    assertEquals(5, r.exit(), r.all());
    assertTrue(r.err().contains(truncated + ":" + lastLine + ":"), r.err());
    assertTrue(r.err().contains("truncated?"), r.err());
    assertTrue(r.err().contains("header names 25 columns"), r.err());
    assertEquals(before, importState());

    // Cut inside a quoted cell: the quote never closes.
    Path open = write("openai-usage-open-quote.csv", csv + "1,2,\"unterminated");
    CliTestSupport.Result q = CliTestSupport.cli(db, "import-openai-usage", open.toString());
    assertEquals(5, q.exit(), q.all());
    assertTrue(q.err().contains(open + ":" + (lastLine + 1) + ":5: a quoted cell is not closed"), q.err());
    assertEquals(before, importState());
  }

  @Test
  @Order(6)
  void notAnExportAtAllSaysWhatIsExpected() throws Exception {
    Path other = write("costs.csv", "amount_value,currency,line_item\n0.06,usd,gpt-4o input\n");
    CliTestSupport.Result r = CliTestSupport.cli(db, "import-openai-usage", other.toString());
    assertEquals(5, r.exit(), r.all());
    assertTrue(r.err().contains(":1:1: the header has no column 'start_time'"), r.err());
    Path missing = CliTestSupport.artifacts().resolve("no-such-file.csv");
    CliTestSupport.Result m = CliTestSupport.cli(db, "import-openai-usage", missing.toString());
    assertEquals(2, m.exit(), m.all());
    assertTrue(m.err().contains("No such file: " + missing), m.err());
  }

  @Test
  @Order(7)
  void aLongImportShowsProgressAndAllOfItArrives() throws Exception {
    String big = CliTestSupport.migratedDatabase("tl_cli_bigimport");
    try {
      StringBuilder sb = new StringBuilder(String.join(",", UsageExport.CSV_COLUMNS)).append('\n');
      long day0 = Instant.now().truncatedTo(ChronoUnit.DAYS).minus(2, ChronoUnit.DAYS).getEpochSecond();
      int rows = 12_000;
      long sum = 0;
      for (int i = 0; i < rows; i++) {
        long start = day0 + (i % 3) * 86_400L;
        long input = 1000 + i;
        sum += input;
        sb.append(start).append(',').append(start + 86_400).append(",,,proj_").append(i / 3).append(",1,,,gpt-4o-mini,false,default,")
            .append(input).append(",10,0,").append(input).append(',').append(input).append(",10,0,0,0,0,0,0,0,0\n");
      }
      Path file = write("openai-usage-big.csv", sb.toString());
      long t0 = System.nanoTime();
      CliTestSupport.Result r = CliTestSupport.cli(big, "import-openai-usage", file.toString());
      long ms = (System.nanoTime() - t0) / 1_000_000;
      System.err.println("[test] imported " + rows + " CSV rows in " + ms + " ms");
      assertEquals(0, r.exit(), r.all());
      assertTrue(r.err().contains("read 10000 rows"), r.err());
      assertTrue(r.err().contains("inserted 10000 of 12000 rows"), r.err());
      assertEquals(String.valueOf(rows), CliTestSupport.scalar(big, "SELECT count() FROM " + big + ".openai_usage_import FINAL"));
      assertEquals(String.valueOf(sum), CliTestSupport.scalar(big, "SELECT sum(input_tokens) FROM " + big + ".openai_usage_import FINAL"));
    } finally {
      CliTestSupport.execute(big, "DROP DATABASE IF EXISTS " + big);
    }
  }

  private static String importState() throws Exception {
    return CliTestSupport.scalar(db, "SELECT toString((count(), sum(input_tokens), sum(input_cached_tokens),"
        + " groupUniqArray(import_id))) FROM " + db + ".openai_usage_import");
  }

  static Path write(String name, String text) throws Exception {
    Path p = CliTestSupport.artifacts().resolve(name);
    Files.writeString(p, text, StandardCharsets.UTF_8);
    return p;
  }
}
