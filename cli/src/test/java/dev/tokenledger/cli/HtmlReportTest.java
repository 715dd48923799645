package dev.tokenledger.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.simulator.OpenAiSimulator;
import dev.tokenledger.simulator.UsageExport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code report --html}: a self-contained page (no script, nothing loaded from elsewhere), values
 * escaped, totals equal to the ground truth; opened in headless Chromium, which renders it to a
 * screenshot kept under the module's build folder (test-artifacts/usage-report.png).
 */
class HtmlReportTest {

  /** A model name that is markup: must reach the page as text, never as elements. */
  static final String HOSTILE_MODEL = "<script>alert('x')</script>&\"gpt";

  static OpenAiSimulator sim;
  static SimulatedTraffic traffic;
  static String db;
  static Path html;
  static String page;

  @BeforeAll
  static void render() throws Exception {
    sim = OpenAiSimulator.start(0);
    traffic = SimulatedTraffic.generate(sim, 70, 6);
    db = CliTestSupport.migratedDatabase("tl_cli_html");
    CliTestSupport.execute(db, traffic.otelLogsInsert(db));
    CliTestSupport.execute(db, SimulatedTraffic.hostileRecordInsert(db, HOSTILE_MODEL,
        Instant.now().minus(1, ChronoUnit.HOURS)));
    // OpenAI's export of the same traffic, with one figure off, so the parity section has content.
    String csv = UsageExport.toCsv(UsageExport.completionsDaily(traffic.truth));
    String[] lines = csv.split("\n");
    String[] cells = lines[1].split(",", -1);
    cells[12] = String.valueOf(Long.parseLong(cells[12]) + 50); // output_tokens
    lines[1] = String.join(",", cells);
    Path export = CsvImportAndParityTest.write("html-report-export.csv", String.join("\n", lines) + "\n");
    assertEquals(0, CliTestSupport.cli(db, "import-openai-usage", export.toString()).exit());

    html = CliTestSupport.artifacts().resolve("usage-report.html");
    CliTestSupport.Result r = CliTestSupport.cli(db, "report", "--html", html.toString(), "--days", "7");
    assertEquals(0, r.exit(), r.all());
    page = Files.readString(html, StandardCharsets.UTF_8);
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
  void pageIsSelfContained() {
    assertTrue(page.startsWith("<!DOCTYPE html>"));
    assertFalse(page.toLowerCase().contains("<script"), "no script elements");
    assertFalse(page.toLowerCase().contains("<link"), "no linked resources");
    assertFalse(page.matches("(?is).*(src|href)\\s*=.*"), "nothing loaded by src/href");
    assertFalse(page.matches("(?is).*url\\(.*"), "no url() in styles");
    // The only URL in the page is the SVG namespace name, which is never fetched.
    Matcher urls = Pattern.compile("https?://[^\"'\\s<]+").matcher(page);
    while (urls.find()) {
      assertEquals("http://www.w3.org/2000/svg", urls.group());
    }
    assertTrue(page.contains("Content-Security-Policy"));
    assertTrue(page.split("<svg").length - 1 >= 7, "charts present");
  }

  @Test
  void valuesAreEscaped() {
    assertFalse(page.contains(HOSTILE_MODEL));
    assertFalse(page.contains("<script>alert"));
    assertTrue(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;gpt"), "escaped in the table");
  }

  @Test
  void totalsAndParityComeFromTheData() {
    long requests = traffic.recorded().size() + 1; // + the hostile record
    assertTrue(page.contains("<span>Requests</span><b>" + SvgChart.format(requests, "requests") + "</b>"), page);
    long input = traffic.sum("input_tokens") + 5;
    assertTrue(page.contains("<span>Input tokens</span><b>" + SvgChart.format(input, "tokens") + "</b>"), page);
    assertTrue(page.contains("<td>output_tokens</td><td class=\"n\">"), "the differing field is listed");
    assertTrue(page.contains("<td class=\"n\">-50</td>"), "with its difference");
    assertTrue(page.contains("figures differ."));
  }

  @Test
  void chromiumRendersThePageToAScreenshot() throws Exception {
    Path chromium = Stream.of("/usr/bin/chromium", "/usr/bin/chromium-browser").map(Paths::get)
        .filter(Files::isExecutable).findFirst()
        .orElseThrow(() -> new AssertionError("headless Chromium is needed: apt-get install chromium"));
    Path profile = Files.createTempDirectory("tokenledger-chromium");
    Path png = CliTestSupport.artifacts().resolve("usage-report.png");
    Files.deleteIfExists(png);
    try {
      List<String> cmd = new ArrayList<>(List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
          "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
          "--user-data-dir=" + profile, "--hide-scrollbars", "--window-size=1000,3200", "--screenshot=" + png,
          html.toUri().toString()));
      Path log = CliTestSupport.artifacts().resolve("chromium.log");
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      assertTrue(p.waitFor(120, TimeUnit.SECONDS), "chromium did not finish in 120 s");
      assertEquals(0, p.exitValue(), Files.readString(log));
      byte[] bytes = Files.readAllBytes(png);
      assertTrue(bytes.length > 20_000, "a real picture, not a blank page: " + bytes.length + " bytes");
      assertEquals("\u0089PNG", new String(bytes, 0, 4, StandardCharsets.ISO_8859_1));
      int width = readInt(bytes, 16);
      int height = readInt(bytes, 20);
      assertEquals(1000, width);
      assertEquals(3200, height);
      System.err.println("[test] screenshot " + png + " (" + bytes.length + " bytes)");

      // The DOM Chromium built: the page's text is there and the markup-like model name stayed text.
      Process dump = new ProcessBuilder(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
          "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
          "--user-data-dir=" + profile, "--dump-dom", html.toUri().toString()).redirectErrorStream(false).start();
      String dom = new String(dump.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(dump.waitFor(120, TimeUnit.SECONDS));
      assertTrue(dom.contains("TokenLedger usage report"), dom.length() > 500 ? dom.substring(0, 500) : dom);
      assertFalse(dom.contains("<script>alert"), "no script element was created");
    } finally {
      deleteTree(profile);
    }
  }

  private static int readInt(byte[] b, int at) {
    return ((b[at] & 0xff) << 24) | ((b[at + 1] & 0xff) << 16) | ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
    }
  }
}
