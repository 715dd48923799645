package dev.tokenledger.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.clickhouse.ClickHouseHttpFront;
import dev.tokenledger.simulator.GroundTruth;
import dev.tokenledger.simulator.OpenAiSimulator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code migrate}, {@code report summary} (table and JSON) and {@code report session} on traffic whose
 * every token the simulator knows; and the error of every user mistake: exit code, what is wrong,
 * what to do, no stack trace.
 */
class ReportCommandTest {

  static OpenAiSimulator sim;
  static SimulatedTraffic traffic;
  static String db;

  @BeforeAll
  static void seed() throws Exception {
    sim = OpenAiSimulator.start(0);
    traffic = SimulatedTraffic.generate(sim, 42, 5);
    db = CliTestSupport.migratedDatabase("tl_cli_report");
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
  void migrateIsIdempotentAndStatusListsEveryFile() throws Exception {
    CliTestSupport.Result again = CliTestSupport.cli(db, "migrate", "--skip-access-control");
    assertEquals(0, again.exit(), again.all());
    assertTrue(again.out().contains("0 applied"), again.out());
    CliTestSupport.Result status = CliTestSupport.cli(db, "migrate", "--status");
    assertEquals(0, status.exit(), status.all());
    assertTrue(status.out().contains("applied  001_database.sql"), status.out());
    assertTrue(status.out().contains("pending  012_users.sql"), status.out());
  }

  @Test
  void summaryJsonTotalsEqualTheGroundTruth() throws Exception {
    CliTestSupport.Result r = CliTestSupport.cli(db, "report", "summary", "--days", "7", "--json");
    assertEquals(0, r.exit(), r.all());
    List<GroundTruth> rec = traffic.recorded();
    assertEquals(rec.size(), jsonTotal(r.out(), "requests"));
    assertEquals(traffic.sum("input_tokens"), jsonTotal(r.out(), "input_tokens"));
    assertEquals(traffic.sum("output_tokens"), jsonTotal(r.out(), "output_tokens"));
    assertEquals(traffic.sum("input_cached_tokens"), jsonTotal(r.out(), "input_cached_tokens"));
    // One row per model and API, each with the simulator's numbers for that pair.
    for (GroundTruth g : rec) {
      String model = g.model() != null ? g.model() : g.requestModel();
      long expected = rec.stream().filter(x -> x.api().equals(g.api())
          && (x.model() != null ? x.model() : x.requestModel()).equals(model)).mapToLong(x -> x.token("input_tokens")).sum();
      Pattern p = Pattern.compile("\\{\"model\": \"" + Pattern.quote(model) + "\", \"api\": \"" + Pattern.quote(g.api())
          + "\", \"requests\": \\d+, \"input_tokens\": (\\d+),");
      Matcher m = p.matcher(r.out());
      assertTrue(m.find(), model + " " + g.api() + " in " + r.out());
      assertEquals(expected, Long.parseLong(m.group(1)), model + " " + g.api());
    }
  }

  @Test
  void summaryTableShowsEveryModelAndTheTotals() throws Exception {
    CliTestSupport.Result r = CliTestSupport.cli(db, "report", "summary", "--days", "7");
    assertEquals(0, r.exit(), r.all());
    for (GroundTruth g : traffic.recorded()) {
      assertTrue(r.out().contains(g.model() != null ? g.model() : g.requestModel()), r.out());
    }
    assertTrue(r.out().contains("total: " + traffic.recorded().size() + " requests, " + traffic.sum("input_tokens")
        + " input tokens (" + traffic.sum("input_cached_tokens") + " cached), " + traffic.sum("output_tokens")
        + " output tokens"), r.out());
  }

  @Test
  void summaryOfADayWithoutTrafficIsEmptyNotAnError() throws Exception {
    String empty = CliTestSupport.migratedDatabase("tl_cli_empty");
    try {
      CliTestSupport.Result r = CliTestSupport.cli(empty, "report", "summary", "--days", "1");
      assertEquals(0, r.exit(), r.all());
      assertTrue(r.out().contains("No usage recorded in this range."), r.out());
    } finally {
      CliTestSupport.execute(empty, "DROP DATABASE IF EXISTS " + empty);
    }
  }

  @Test
  void sessionReportListsTheTracesRecordsWithTheirTotals() throws Exception {
    String trace = SimulatedTraffic.traceId(1);
    List<GroundTruth> inTrace = traffic.recorded().stream().filter(g -> traffic.traceIds.get(g).equals(trace)).toList();
    assertTrue(!inTrace.isEmpty());
    CliTestSupport.Result r = CliTestSupport.cli(db, "report", "session", trace, "--json");
    assertEquals(0, r.exit(), r.all());
    assertEquals(inTrace.size(), jsonTotal(r.out(), "records"));
    assertEquals(inTrace.stream().mapToLong(g -> g.token("input_tokens")).sum(), jsonTotal(r.out(), "input_tokens"));
    assertEquals(inTrace.stream().mapToLong(g -> g.token("output_tokens")).sum(), jsonTotal(r.out(), "output_tokens"));
    CliTestSupport.Result table = CliTestSupport.cli(db, "report", "session", trace);
    assertEquals(0, table.exit(), table.all());
    assertTrue(table.out().startsWith("Session " + trace + ": " + inTrace.size() + " usage records"), table.out());
  }

  @Test
  void unknownSessionSaysSoWithExitCode7() throws Exception {
    CliTestSupport.Result r = CliTestSupport.cli(db, "report", "session", "sess_does_not_exist");
    assertEquals(7, r.exit(), r.all());
    assertTrue(r.err().contains("No usage recorded for session 'sess_does_not_exist'"), r.err());
    assertTrue(CliTestSupport.noStackTrace(r.all()), r.all());
  }

  @Test
  void databaseNotMigratedTellsToRunMigrate() throws Exception {
    CliTestSupport.Result r = CliTestSupport.cli("tl_cli_never_migrated", "report", "summary");
    assertEquals(4, r.exit(), r.all());
    assertTrue(r.err().contains("is not migrated. Run `tokenledger migrate`"), r.err());
    assertTrue(CliTestSupport.noStackTrace(r.all()), r.all());
    CliTestSupport.Result parity = CliTestSupport.cli("tl_cli_never_migrated", "parity");
    assertEquals(4, parity.exit(), parity.all());
  }

  @Test
  void unreachableClickHouseSaysWhatToCheck() {
    CliTestSupport.Result r = CliTestSupport.raw(Map.of(), "--url", "http://127.0.0.1:1", "report", "summary");
    assertEquals(3, r.exit(), r.all());
    assertTrue(r.err().contains("Cannot reach ClickHouse at http://127.0.0.1:1"), r.err());
    assertTrue(r.err().contains("CLICKHOUSE_URL"), r.err());
    assertTrue(CliTestSupport.noStackTrace(r.all()), r.all());
  }

  @Test
  void wrongCredentialsAreNamedAsSuch() throws Exception {
    // A second front on the same engine that admits the user 'reader' with another password; on a
    // real server the wrong password is simply wrong.
    String url;
    ClickHouseHttpFront strict = null;
    if (CliTestSupport.engine() != null) {
      strict = ClickHouseHttpFront.start(CliTestSupport.engine(), 0,
          new ClickHouseHttpFront.Credentials("reader", "right-password"));
      url = strict.url();
    } else {
      url = CliTestSupport.url();
    }
    try {
      CliTestSupport.Result r = CliTestSupport.raw(Map.of("CLICKHOUSE_PASSWORD", "wrong-password"), "--url", url,
          "--user", "reader", "--database", db, "report", "summary");
      assertEquals(3, r.exit(), r.all());
      assertTrue(r.err().contains("rejected the credentials of user 'reader'"), r.err());
      assertTrue(CliTestSupport.noStackTrace(r.all()), r.all());
    } finally {
      if (strict != null) {
        strict.close();
      }
    }
  }

  @Test
  void badArgumentsAreExplainedWithExitCode2() {
    String[][] mistakes = {
        {"report", "summary", "--days", "seven"},
        {"report", "summary", "--days", "0"},
        {"report", "sumary"},
        {"report"},
        {"report", "session"},
        {"frobnicate"},
        {"report", "summary", "--colour"},
        {"parity", "--days"},
        {"import-openai-usage"},
        {"--database", "x; DROP TABLE y", "report", "summary"},
        {"--embedded", "--url", "http://x:8123", "report", "summary"},
    };
    for (String[] m : mistakes) {
      CliTestSupport.Result r = CliTestSupport.raw(Map.of(), m);
      assertEquals(2, r.exit(), String.join(" ", m) + ": " + r.all());
      assertTrue(r.err().startsWith("tokenledger: "), r.err());
      assertTrue(CliTestSupport.noStackTrace(r.all()), r.all());
    }
    CliTestSupport.Result help = CliTestSupport.raw(Map.of(), "--help");
    assertEquals(0, help.exit());
    assertTrue(help.out().contains("Exit codes:"), help.out());
  }

  static long jsonTotal(String json, String field) {
    Matcher m = Pattern.compile("\"" + Pattern.quote(field) + "\": (\\d+)").matcher(json);
    assertTrue(m.find(), field + " in " + json);
    return Long.parseLong(m.group(1));
  }
}
