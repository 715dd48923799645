package dev.tokenledger.it;

import dev.tokenledger.simulator.OpenAiSimulator;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the extension costs a Realtime application, through the JDK WebSocket client, in fresh JVMs
 * under the upstream agent alone and under the agent with the extension, interleaved round by round
 * in the same run, OTLP export on with the SDK's default intervals (to a loopback receiver that
 * discards):
 *
 * <ul>
 *   <li>CPU: concurrent voice sessions replayed at real audio rates (24 kHz PCM16 both ways, ~64 KB/s
 *       of base64, one answer delta per pace interval); the ratio of process CPU time, extension vs
 *       agent alone (target at most 1.02), measured in each JVM after it ran the same sessions once
 *       (the steady state; the JIT compilation time still inside the window is printed per round);
 *   <li>memory: the heap retained after GC per open connection, with 1,000 connections open at once;
 *       the difference extension vs agent alone is what the extension keeps per connection (target at
 *       most 2 KB).
 * </ul>
 *
 * <p>A benchmark, not a test: it prints and asserts nothing. Arguments (all optional): rounds,
 * concurrent sessions, turns per session, delta interval in ms, open connections for the memory run.
 */
public final class RealtimeBenchmark {

  private static final Pattern CPU = Pattern.compile("cpuMillis=([0-9.]+) wallMillis=([0-9.]+)");
  private static final Pattern JIT = Pattern.compile("jitMillis=([0-9]+)");
  private static final Pattern MEMORY = Pattern.compile("perConnectionBytes=(-?[0-9.]+)");

  /**
   * The SDK's default export intervals (spans 5 s, logs 1 s, metrics 60 s), not the tests' short
   * ones: with no telemetry of its own from WebSocket traffic, the agent alone would otherwise be
   * compared with an agent that exports several times a second, which no production setting does.
   */
  private static final List<String> EXPORT_DEFAULTS = List.of(
      "-Dotel.bsp.schedule.delay=5000", "-Dotel.blrp.schedule.delay=1000", "-Dotel.metric.export.interval=60000");

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    String sessions = args.length > 1 ? args[1] : "20";
    String turns = args.length > 2 ? args[2] : "4";
    String pace = args.length > 3 ? args[3] : "50";
    String connections = args.length > 4 ? args[4] : "1000";
    try (OpenAiSimulator simulator = OpenAiSimulator.start(0);
        OtlpReceiver receiver = OtlpReceiver.discarding()) {
      List<Double> cpuBase = new ArrayList<>();
      List<Double> cpuExt = new ArrayList<>();
      List<Double> memBase = new ArrayList<>();
      List<Double> memExt = new ArrayList<>();
      List<Double> jitBase = new ArrayList<>();
      List<Double> jitExt = new ArrayList<>();
      for (int round = 0; round < rounds; round++) {
        cpuBase.add(run(AgentRun.Agent.UPSTREAM_ONLY, simulator, receiver, CPU, jitBase, "cpu", sessions, turns, pace));
        cpuExt.add(run(AgentRun.Agent.UPSTREAM_WITH_EXTENSION, simulator, receiver, CPU, jitExt, "cpu", sessions, turns,
            pace));
        simulator.reset();
        memBase.add(run(AgentRun.Agent.UPSTREAM_ONLY, simulator, receiver, MEMORY, null, "memory", connections));
        memExt.add(run(AgentRun.Agent.UPSTREAM_WITH_EXTENSION, simulator, receiver, MEMORY, null, "memory", connections));
        simulator.reset();
        // The JIT compiler's time in the window is part of the CPU time, and most of its swing.
        System.out.printf("round %d: CPU %.0f ms (JIT %.0f) vs %.0f ms (JIT %.0f), ratio %.3f; retained per connection"
                + " %.0f B vs %.0f B%n",
            round + 1, cpuBase.get(round), jitBase.get(round), cpuExt.get(round), jitExt.get(round),
            cpuExt.get(round) / cpuBase.get(round), memBase.get(round), memExt.get(round));
      }
      List<Double> ratios = new ArrayList<>();
      List<Double> extra = new ArrayList<>();
      for (int i = 0; i < rounds; i++) {
        ratios.add(cpuExt.get(i) / cpuBase.get(i));
        extra.add(memExt.get(i) - memBase.get(i));
      }
      System.out.printf(
          "Realtime, JDK WebSocket, %s concurrent sessions x %s turns, one delta per %s ms: process CPU agent alone"
              + " %.0f ms, agent + TokenLedger %.0f ms, ratio %.3f (median of %d rounds; target <= 1.02)%n",
          sessions, turns, pace, median(cpuBase), median(cpuExt), median(ratios), rounds);
      System.out.printf(
          "Realtime, %s open connections: heap retained per connection after GC, agent alone %.0f B, agent +"
              + " TokenLedger %.0f B, extension's share %.0f B per connection (median of %d rounds; target <= 2048 B)%n",
          connections, median(memBase), median(memExt), median(extra), rounds);
    }
  }

  private static double run(AgentRun.Agent agent, OpenAiSimulator simulator, OtlpReceiver receiver, Pattern pattern,
      List<Double> jit, String... appArgs) throws Exception {
    String[] args = new String[appArgs.length + 1];
    args[0] = simulator.realtimeUri();
    System.arraycopy(appArgs, 0, args, 1, appArgs.length);
    AgentRun.Result run = AgentRun.runMain(agent, receiver.endpoint(), false, EXPORT_DEFAULTS, Map.of(),
        "dev.tokenledger.demo.realtime.RealtimeBenchmarkApp", args);
    Matcher m = pattern.matcher(run.stdout());
    if (run.exitCode() != 0 || !m.find()) {
      throw new IllegalStateException("benchmark run failed:\n" + run.stdout() + run.stderr());
    }
    if (jit != null) {
      Matcher j = JIT.matcher(run.stdout());
      jit.add(j.find() ? Double.parseDouble(j.group(1)) : Double.NaN);
    }
    return Double.parseDouble(m.group(1));
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  private RealtimeBenchmark() {}
}
