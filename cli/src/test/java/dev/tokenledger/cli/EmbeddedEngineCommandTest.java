package dev.tokenledger.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code --embedded}: the command starts its own engine on a data directory that persists between
 * runs (migrate once, then import and report). libchdb runs one engine per process, and this test
 * JVM already has one, so each run is a separate JVM — as a user's runs are.
 */
class EmbeddedEngineCommandTest {

  record Run(int exit, String out) {}

  @Test
  void migrateThenImportThenReportOnTheSameDataDirectory() throws Exception {
    Path dir = Files.createTempDirectory("tokenledger-embedded");
    try {
      Run migrate = run("--embedded", "--embedded-dir", dir.toString(), "migrate");
      assertEquals(0, migrate.exit(), migrate.out());
      assertTrue(migrate.out().contains("skipping 012_users.sql"), migrate.out());
      assertTrue(migrate.out().contains(" applied, 0 already applied"), migrate.out());

      long day = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.DAYS).getEpochSecond();
      Path csv = CsvImportAndParityTest.write("embedded-import.csv", "start_time,end_time,project_id,num_model_requests,"
          + "model,input_tokens,output_tokens\n" + day + "," + (day + 86400) + ",proj_e,3,gpt-4o-mini,1200,300\n");
      Run imp = run("--embedded", "--embedded-dir", dir.toString(), "import-openai-usage", csv.toString());
      assertEquals(0, imp.exit(), imp.out());
      assertTrue(imp.out().contains("imported 1 rows"), imp.out());

      // Nothing of ours recorded: OpenAI's row shows as missing on our side, a difference (exit 1).
      Run parity = run("--embedded", "--embedded-dir", dir.toString(), "parity", "--days", "1", "--json");
      assertEquals(1, parity.exit(), parity.out());
      assertTrue(parity.out().contains("\"field\": \"input_tokens\", \"ours\": 0, \"openai\": 1200, \"diff\": -1200"),
          parity.out());

      Run again = run("--embedded", "--embedded-dir", dir.toString(), "migrate", "--status");
      assertEquals(0, again.exit(), again.out());
      assertTrue(again.out().contains("applied  009_openai_usage_parity.sql"), again.out());
    } finally {
      try (Stream<Path> s = Files.walk(dir)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static Run run(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), TokenLedger.class.getName()));
    cmd.addAll(List.of(args));
    Path log = Files.createTempFile("tokenledger-run", ".log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(180, TimeUnit.SECONDS), "tokenledger did not finish in 180 s");
    String out = Files.readString(log, StandardCharsets.UTF_8);
    Files.deleteIfExists(log);
    System.err.println("[test] (child JVM) tokenledger " + String.join(" ", args) + " -> exit " + p.exitValue());
    return new Run(p.exitValue(), out);
  }
}
