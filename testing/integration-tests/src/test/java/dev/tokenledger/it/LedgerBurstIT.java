package dev.tokenledger.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.proto.logs.v1.LogRecord;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A burst of billable calls against a loaded Collector (docs/signals.md#sdk-defaults): an application
 * under the one-jar agent makes {@value #CALLS} chat completions through OkHttp from {@value #THREADS}
 * threads, to a server that answers at once ({@link CannedChatServer}: the burst is limited by the
 * application and the agent, not by the server), and the agent exports to a receiver that answers each
 * export {@link #ANSWER_DELAY} late. A prompt receiver would hide the problem: the export queue only fills
 * when the exports take time. Every ledger record the application made must arrive, counted by its
 * {@code tokenledger.record.id}; or, where the ledger queue is set too small for the burst, the
 * records that did not arrive must be exactly those counted in {@code tokenledger.records.dropped}.
 */
class LedgerBurstIT {

  static final int CALLS = 20_000;
  static final int THREADS = 8;
  static final Duration ANSWER_DELAY = Duration.ofMillis(200);
  static final String RECORD_ID = "tokenledger.record.id";
  static final Pattern BURST = Pattern.compile("BURST calls=(\\d+) failed=(\\d+) seconds=([0-9.]+)");

  static CannedChatServer server;
  static OtlpReceiver receiver;

  @BeforeAll
  static void start() throws Exception {
    server = new CannedChatServer();
    receiver = OtlpReceiver.answeringLate(ANSWER_DELAY);
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
    receiver.close();
  }

  @BeforeEach
  void empty() {
    server.reset();
    receiver.reset();
  }

  @Test
  void everyRecordOfABurstArrivesAtALoadedCollector() throws Exception {
    Burst burst = burst(List.of());
    assertEquals(CALLS, burst.made, burst::describe);
    assertEquals(0, burst.dropped, burst::describe);
    assertEquals(CALLS, burst.arrived, burst::describe);
  }

  /**
   * A ledger queue of 64 records exported 16 at a time takes at most 80 records a second from a
   * Collector that answers 200 ms late: far fewer than the burst makes, so records are lost, and
   * each one is counted.
   */
  @Test
  void aLedgerQueueTooSmallForTheBurstCountsEveryRecordItLoses() throws Exception {
    Burst burst = burst(List.of(
        "-Dotel.instrumentation.tokenledger.ledger-queue-size=64",
        "-Dotel.instrumentation.tokenledger.ledger-export-batch-size=16"));
    assertEquals(CALLS, burst.made, burst::describe);
    assertTrue(burst.arrived < CALLS, () -> "a 64-record queue held the whole burst; " + burst.describe());
    assertEquals(CALLS - burst.arrived, burst.dropped, burst::describe);
  }

  /**
   * A Batch output file of {@value #FILE_LINES} lines is read in a moment and the application exits
   * at once: the ledger queue is then nearly full, and the agent's 10 seconds at exit must drain it
   * through the late receiver (records lost when they run out would not be counted).
   */
  @Test
  void aLedgerQueueFullAtExitIsDrainedBeforeTheAgentStops() throws Exception {
    StringBuilder file = new StringBuilder();
    for (int i = 0; i < FILE_LINES; i++) {
      file.append("{\"id\":\"batch_req_exit").append(i).append("\",\"custom_id\":\"r").append(i)
          .append("\",\"response\":{\"status_code\":200,\"body\":{\"id\":\"chatcmpl-exit").append(i)
          .append("\",\"object\":\"chat.completion\",\"model\":\"gpt-4o-mini-2024-07-18\",\"usage\":{")
          .append("\"prompt_tokens\":12,\"completion_tokens\":5,\"total_tokens\":17}}},\"error\":null}\n");
    }
    server.batchFile(file.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    long start = System.nanoTime();
    AgentRun.Result run = AgentRun.runMain(AgentRun.Agent.ONE_JAR, receiver.endpoint(), false, List.of(),
        Map.of("OPENAI_API_KEY", "sk-burst"), AgentRun.DEMO_APP_MAIN, "--base-url", server.baseUrl(),
        "--clients", "okhttp", "--scenarios", "batch-output");
    double seconds = (System.nanoTime() - start) / 1e9;
    assertEquals(0, run.exitCode(), () -> "the application failed:\n" + run.stdout() + run.stderr());
    assertTrue(run.stdout().contains("status=200"), () -> "the download failed:\n" + run.stdout() + run.stderr());
    Burst burst = count(FILE_LINES, String.format("file of %d lines, application and agent done in %.1f s",
        FILE_LINES, seconds));
    assertEquals(0, burst.dropped, burst::describe);
    assertEquals(FILE_LINES, burst.arrived, burst::describe);
  }

  static final int FILE_LINES = 30_000;

  /** What one burst made, what arrived, and what the agent counted as dropped. */
  record Burst(long made, long arrived, long received, long dropped, String appLine, long logExports, long logBytes) {
    String describe() {
      return "of " + made + " ledger records the application made, " + arrived + " arrived (" + received
          + " log records in " + logExports + " exports, " + (received == 0 ? 0 : logBytes / received)
          + " bytes of OTLP each) and " + dropped + " were counted in"
          + " tokenledger.records.dropped: " + (made - arrived - dropped) + " lost without a count; app: "
          + appLine;
    }
  }

  private static Burst burst(List<String> jvmArgs) throws Exception {
    AgentRun.Result run = AgentRun.runMain(AgentRun.Agent.ONE_JAR, receiver.endpoint(), false, jvmArgs, Map.of(),
        "dev.tokenledger.demo.CallBurst", server.baseUrl(), String.valueOf(CALLS), String.valueOf(THREADS));
    Matcher m = BURST.matcher(run.stdout());
    assertEquals(0, run.exitCode(), () -> "the application failed:\n" + run.stdout() + run.stderr());
    assertTrue(m.find(), () -> "the application printed no result:\n" + run.stdout() + run.stderr());
    assertEquals("0", m.group(2), () -> "calls failed in the application:\n" + run.stdout() + run.stderr());
    return count(server.completions(), m.group());
  }

  private static Burst count(long made, String appLine) {
    Set<Object> ids = new HashSet<>();
    long received = 0;
    for (LogRecord log : receiver.logs()) {
      if (Otlp.isUsageEvent(log)) {
        received++;
        ids.add(Otlp.attributes(log.getAttributesList()).get(RECORD_ID));
      }
    }
    long dropped = 0;
    for (Map.Entry<Map<String, Object>, Double> point : Otlp.sumPoints(receiver.metrics(), "tokenledger.records.dropped")) {
      dropped += point.getValue().longValue();
    }
    Burst burst = new Burst(made, ids.size(), received, dropped, appLine, receiver.logExports(), receiver.logBytes());
    System.err.println("[LedgerBurstIT] " + burst.describe());
    return burst;
  }
}
