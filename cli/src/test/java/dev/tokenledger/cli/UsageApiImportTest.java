package dev.tokenledger.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.simulator.OpenAiSimulator;
import dev.tokenledger.simulator.UsageExport;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code import-openai-usage --api}: the simulator's organization Usage API (OpenAI's paging, admin
 * key, group_by) feeds the import; parity with the ledger of the same traffic is then zero. Saved
 * Usage API answers import from a file too, and a malformed or truncated one says where it is
 * broken. The simulator serves ground truth with live timestamps, so this traffic is not shifted.
 */
class UsageApiImportTest {

  static OpenAiSimulator sim;
  static SimulatedTraffic traffic;
  static String db;

  @BeforeAll
  static void seed() throws Exception {
    sim = OpenAiSimulator.start(0);
    traffic = SimulatedTraffic.generate(sim, 35, 1);
    db = CliTestSupport.migratedDatabase("tl_cli_api");
    CliTestSupport.execute(db, traffic.otelLogsInsert(db));
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
  void pagedUsageApiImportMatchesTheLedger() throws Exception {
    CliTestSupport.Result r = CliTestSupport.cliWithEnv(db, Map.of("OPENAI_ADMIN_KEY", "sk-admin-test-key"),
        "import-openai-usage", "--api", "--days", "20", "--base-url", sim.baseUrl());
    assertEquals(0, r.exit(), r.all());
    // 20 daily buckets at OpenAI's default page size of 7: three pages.
    assertTrue(r.err().contains("Usage API page 3: 6 daily buckets"), r.err());
    assertTrue(!r.err().contains("page 4"), r.err());
    long expectedRows = UsageExport.completionsDaily(traffic.truth).stream()
        .map(x -> x.projectId() + "|" + x.model()).distinct().count();
    assertTrue(r.out().contains("imported " + expectedRows + " rows"), r.out());
    assertEquals("usage_api", CliTestSupport.scalar(db, "SELECT DISTINCT source FROM " + db + ".openai_usage_import"));
    long truthInput = traffic.truth.stream().filter(UsageExport.COMPLETIONS).mapToLong(g -> g.token("input_tokens")).sum();
    assertEquals(String.valueOf(truthInput), CliTestSupport.scalar(db, "SELECT sum(input_tokens) FROM " + db
        + ".openai_usage_import FINAL"));

    CliTestSupport.Result parity = CliTestSupport.cli(db, "parity", "--days", "1");
    assertEquals(0, parity.exit(), parity.all());
    assertTrue(parity.out().contains("No differences"), parity.out());

    // Importing the same range again replaces it.
    CliTestSupport.Result again = CliTestSupport.cliWithEnv(db, Map.of("OPENAI_ADMIN_KEY", "sk-admin-test-key"),
        "import-openai-usage", "--api", "--days", "20", "--base-url", sim.baseUrl());
    assertEquals(0, again.exit(), again.all());
    assertEquals(String.valueOf(expectedRows), CliTestSupport.scalar(db, "SELECT count() FROM " + db + ".openai_usage_import"));
  }

  @Test
  void savedUsageApiAnswersImportFromAFileAndBrokenOnesSayWhere() throws Exception {
    long start = Instant.now().truncatedTo(ChronoUnit.DAYS).getEpochSecond();
    String page = get(sim.baseUrl() + "/organization/usage/completions?start_time=" + start + "&end_time=" + (start + 86_400)
        + "&group_by=project_id&group_by=model", "sk-admin-test-key");
    String dbJson = CliTestSupport.migratedDatabase("tl_cli_json");
    try {
      Path good = CsvImportAndParityTest.write("usage-api-page.json", page);
      CliTestSupport.Result ok = CliTestSupport.cli(dbJson, "import-openai-usage", good.toString());
      assertEquals(0, ok.exit(), ok.all());
      long truthOutput = traffic.truth.stream().filter(UsageExport.COMPLETIONS).mapToLong(g -> g.token("output_tokens")).sum();
      assertEquals(String.valueOf(truthOutput), CliTestSupport.scalar(dbJson, "SELECT sum(output_tokens) FROM " + dbJson
          + ".openai_usage_import FINAL"));
      String before = CliTestSupport.scalar(dbJson, "SELECT toString((count(), sum(output_tokens), groupUniqArray(import_id)))"
          + " FROM " + dbJson + ".openai_usage_import");

      // A token count as a string: line 1, the column where that value starts.
      int at = page.indexOf("\"output_tokens\":") + "\"output_tokens\":".length();
      int end = page.indexOf(',', at);
      String bad = page.substring(0, at) + "\"" + page.substring(at, end) + "\"" + page.substring(end);
      Path badFile = CsvImportAndParityTest.write("usage-api-malformed.json", bad);
      CliTestSupport.Result r = CliTestSupport.cli(dbJson, "import-openai-usage", badFile.toString());
      assertEquals(5, r.exit(), r.all());
      assertTrue(r.err().contains(badFile + ":1:" + (at + 1) + ": output_tokens must be a whole number ≥ 0, not the string"),
          r.err());

      // Cut in the middle: the parser says the document ends early.
      Path cut = CsvImportAndParityTest.write("usage-api-truncated.json", page.substring(0, page.length() * 2 / 3));
      CliTestSupport.Result t = CliTestSupport.cli(dbJson, "import-openai-usage", cut.toString());
      assertEquals(5, t.exit(), t.all());
      assertTrue(t.err().contains(cut + ":1:"), t.err());
      assertTrue(t.err().contains("file truncated?"), t.err());
      assertTrue(CliTestSupport.noStackTrace(t.all()), t.all());
      assertEquals(before, CliTestSupport.scalar(dbJson, "SELECT toString((count(), sum(output_tokens),"
          + " groupUniqArray(import_id))) FROM " + dbJson + ".openai_usage_import"));
    } finally {
      CliTestSupport.execute(dbJson, "DROP DATABASE IF EXISTS " + dbJson);
    }
  }

  @Test
  void aMissingOrWrongAdminKeySaysWhatToDo() throws Exception {
    CliTestSupport.Result none = CliTestSupport.cli(db, "import-openai-usage", "--api", "--base-url", sim.baseUrl());
    assertEquals(6, none.exit(), none.all());
    assertTrue(none.err().contains("OPENAI_ADMIN_KEY is not set"), none.err());
    CliTestSupport.Result project = CliTestSupport.cliWithEnv(db, Map.of("OPENAI_ADMIN_KEY", "sk-proj-not-an-admin-key"),
        "import-openai-usage", "--api", "--base-url", sim.baseUrl());
    assertEquals(6, project.exit(), project.all());
    assertTrue(project.err().contains("HTTP 403"), project.err());
    assertTrue(project.err().contains("Admin key"), project.err());
    assertTrue(!project.all().contains("sk-proj-not-an-admin-key"), "the key is never printed");
    CliTestSupport.Result nowhere = CliTestSupport.cliWithEnv(db, Map.of("OPENAI_ADMIN_KEY", "sk-admin-x"),
        "import-openai-usage", "--api", "--base-url", "http://127.0.0.1:1/v1");
    assertEquals(6, nowhere.exit(), nowhere.all());
    assertTrue(nowhere.err().contains("Cannot reach the OpenAI Usage API at http://127.0.0.1:1/v1"), nowhere.err());
    assertTrue(CliTestSupport.noStackTrace(nowhere.all()), nowhere.all());
  }

  private static String get(String url, String key) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
        .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return r.body();
  }
}
