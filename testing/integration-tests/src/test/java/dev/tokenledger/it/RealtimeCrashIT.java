package dev.tokenledger.it;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.simulator.GroundTruth;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Realtime records are emitted the moment their event is seen, never summed per session: an app
 * killed with {@code kill -9} in the middle of its sessions has already exported everything seen
 * before the last export interval, and an app shut down normally loses nothing even with export
 * intervals far longer than its life.
 */
class RealtimeCrashIT extends AgentTestBase {

  /** Responses after which the app stops and waits (the voice-agent and sideband sessions, part of the reconnect). */
  static final int STOP_AFTER = 5;

  private AgentRun.Running startStoppingApp(String client, List<String> exportSettings) throws Exception {
    return AgentRun.startMain(AgentRun.Agent.UPSTREAM_WITH_EXTENSION, receiver.endpoint(), exportSettings,
        Map.of("OPENAI_API_KEY", RealtimeUsageIT.API_KEY), AgentRun.REALTIME_DEMO_MAIN,
        "--ws-url", simulator.realtimeUri(), "--project", RealtimeUsageIT.PROJECT, "--clients", client,
        "--scenarios", "voice-agent,sideband,reconnect,faults", "--stop-after", String.valueOf(STOP_AFTER));
  }

  @ParameterizedTest
  @ValueSource(strings = {"jdk", "okhttp"})
  void killedAppHasExportedEverythingSeenBeforeTheLastInterval(String client) throws Exception {
    AgentRun.Running app = startStoppingApp(client, List.of(
        "-Dotel.blrp.schedule.delay=100", "-Dotel.bsp.schedule.delay=100", "-Dotel.metric.export.interval=300"));
    try {
      assertTrue(app.awaitOutput("STOPPED responses=" + STOP_AFTER, 120_000),
          () -> "the app did not reach " + STOP_AFTER + " responses:\n" + app.stdout() + app.stderr());
      List<GroundTruth> truth = RealtimeUsageIT.realtimeTruth(simulator);
      assertEquals(STOP_AFTER, truth.stream().filter(g -> g.api().equals("realtime") && g.responseId() != null).count());
      // several export intervals pass with the app alive, connection open, then it is killed
      Thread.sleep(2_000);
      app.process().destroyForcibly(); // SIGKILL: no shutdown hook runs, nothing is flushed
      assertTrue(app.process().waitFor(30, TimeUnit.SECONDS));
      assertEquals(137, app.process().exitValue(), "killed by SIGKILL");
      RealtimeUsageIT.assertNoInstrumentationErrors(app.stderr());
      assertAll(
          () -> RealtimeUsageIT.assertLedgerEqualsGroundTruth(truth, receiver, true),
          () -> HttpUsageIT.assertTokenCountersAddUp(truth, receiver),
          () -> RealtimeUsageIT.assertRequestCountsMatch(truth, receiver),
          () -> RealtimeUsageIT.assertNoSecretsExported(receiver));
    } finally {
      app.process().destroyForcibly();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"jdk", "okhttp"})
  void gracefulShutdownLosesNothing(String client) throws Exception {
    // Export intervals longer than the test: only the shutdown flush can deliver the records.
    AgentRun.Running app = startStoppingApp(client, List.of(
        "-Dotel.blrp.schedule.delay=600000", "-Dotel.bsp.schedule.delay=600000",
        "-Dotel.metric.export.interval=600000"));
    try {
      assertTrue(app.awaitOutput("STOPPED responses=" + STOP_AFTER, 120_000),
          () -> "the app did not reach " + STOP_AFTER + " responses:\n" + app.stdout() + app.stderr());
      List<GroundTruth> truth = RealtimeUsageIT.realtimeTruth(simulator);
      assertEquals(0, RealtimeUsageIT.realtimeEvents(receiver).size(),
          "nothing exported before the shutdown (else this test would prove nothing)");
      app.process().destroy(); // SIGTERM: the agent's shutdown hook flushes
      assertTrue(app.process().waitFor(60, TimeUnit.SECONDS), "the app did not shut down");
      assertTrue(simulator.awaitRealtimeIdle(0, Duration.ofSeconds(10)));
      RealtimeUsageIT.assertNoInstrumentationErrors(app.stderr());
      assertAll(
          () -> RealtimeUsageIT.assertLedgerEqualsGroundTruth(truth, receiver, true),
          () -> HttpUsageIT.assertTokenCountersAddUp(truth, receiver),
          () -> RealtimeUsageIT.assertRequestCountsMatch(truth, receiver));
    } finally {
      app.process().destroyForcibly();
    }
  }
}
