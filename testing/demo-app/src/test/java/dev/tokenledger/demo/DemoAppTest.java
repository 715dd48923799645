package dev.tokenledger.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.simulator.GroundTruth;
import dev.tokenledger.simulator.OpenAiSimulator;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Runs the demo against the simulator in-process (no agent): the real test is the integration suite. */
class DemoAppTest {

  /** The clients that run on the JDK's HttpURLConnection. */
  private static final Set<String> ON_URL_CONNECTION = Set.of("url-connection", "spring-simple");

  private static final Pattern LINE = Pattern.compile(
      "RESULT client=(\\S+) scenario=(\\S+) status=(\\d{3}|EXC:\\w+) sha256=([0-9a-f]{64}|-) length=(-1|\\d+)");

  @Test
  void everyClientRunsEveryScenarioAndRawBodiesAreByteIdentical() throws Exception {
    try (OpenAiSimulator sim = OpenAiSimulator.start(0)) {
      String key = "sk-test-secret-value";
      DemoApp.Config cfg = DemoApp.parse(new String[] {
          "--base-url", sim.baseUrl(), "--api-key", key, "--project", "proj_demo",
          "--clients", String.join(",", DemoApp.CLIENTS)}, Map.of());
      ByteArrayOutputStream buf = new ByteArrayOutputStream();
      DemoApp.run(cfg, new PrintStream(buf, true, StandardCharsets.UTF_8));
      String out = buf.toString(StandardCharsets.UTF_8);
      assertFalse(out.contains(key), "the API key is never printed");
      assertFalse(out.contains(Scenarios.PROMPT), "prompts are never printed");

      List<String> lines = out.lines().toList();
      assertEquals(DemoApp.CLIENTS.size() * Scenarios.DEFAULT.size(), lines.size());
      Set<String> shas = sim.groundTruth().stream().map(GroundTruth::bodySha256).collect(Collectors.toSet());
      for (String line : lines) {
        Matcher m = LINE.matcher(line);
        assertTrue(m.matches(), line);
        String client = m.group(1);
        String scenario = m.group(2);
        String status = m.group(3);
        switch (scenario) {
          // HttpURLConnection ends a body cut short of its Content-Length as if it were complete.
          case "truncated" -> assertTrue(
              status.startsWith("EXC:") || (ON_URL_CONNECTION.contains(client) && status.equals("200")), line);
          case "cut-stream" -> assertTrue(status.startsWith("EXC:"), line);
          case "error-429" -> assertTrue(status.equals("429") || status.startsWith("EXC:"), line);
          case "error-500" -> assertTrue(status.equals("500") || status.startsWith("EXC:"), line);
          case "malformed", "binary" -> assertTrue(
              status.equals("200") || (client.equals("openai-java") && status.startsWith("EXC:")), line);
          default -> assertEquals("200", status, line);
        }
        if (!client.equals("openai-java") && !status.startsWith("EXC:")) {
          assertTrue(shas.contains(m.group(4)), "raw clients receive byte-identical bodies: " + line);
        }
      }
      // Every request carried the project header, and only non-openai-host went to localhost.
      for (GroundTruth g : sim.groundTruth()) {
        assertEquals("proj_demo", g.project());
      }
      assertEquals(DemoApp.CLIENTS.size(),
          sim.groundTruth().stream().filter(g -> "localhost".equals(g.host())).count());
    }
  }

  @Test
  void badCommandLinesAreRejected() {
    Map<String, String> env = Map.of();
    assertThrows(DemoApp.UsageException.class, () -> DemoApp.parse(new String[] {"--base-url", "x"}, env));
    assertThrows(DemoApp.UsageException.class,
        () -> DemoApp.parse(new String[] {"--api-key", "k", "--clients", "curl"}, env));
    assertThrows(DemoApp.UsageException.class,
        () -> DemoApp.parse(new String[] {"--api-key", "k", "--scenarios", "chat,nope"}, env));
    assertThrows(DemoApp.UsageException.class,
        () -> DemoApp.parse(new String[] {"--api-key", "k", "--base-url", "ftp://h/v1"}, env));
    assertThrows(DemoApp.UsageException.class, () -> DemoApp.parse(new String[] {"--api-key"}, env));
  }

  @Test
  void defaultsAndEqualsForm() throws Exception {
    DemoApp.Config c = DemoApp.parse(new String[] {"--scenarios=chat,gzip"},
        Map.of("OPENAI_API_KEY", "k", "OPENAI_BASE_URL", "http://127.0.0.1:1/v1"));
    assertEquals(List.of("chat", "gzip"), c.scenarios());
    assertEquals(DemoApp.DEFAULT_CLIENTS, c.clients());
    assertEquals("http://127.0.0.1:1/v1", c.baseUrl());
    assertFalse(Scenarios.DEFAULT.contains("huge"));
    assertTrue(Scenarios.ALL.containsAll(Scenarios.DEFAULT));
  }
}
