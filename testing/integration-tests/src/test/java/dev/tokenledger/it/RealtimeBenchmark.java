package dev.tokenledger.it;

import dev.tokenledger.simulator.OpenAiSimulator;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the extension costs a Realtime application, through the JDK WebSocket client, in fresh JVMs
 * under the upstream agent alone and under the agent with the extension, interleaved round by round
 * in the same run (the order flips every round, so a drift in the machine's load falls on both
 * sides), OTLP export on with the SDK's default intervals (to a loopback receiver that discards):
 *
 * <ul>
 *   <li>CPU: concurrent voice sessions replayed at real audio rates (24 kHz PCM16 both ways, ~64 KB/s
 *       of base64, one answer delta per pace interval); the ratio of whole-process CPU time, extension
 *       vs agent alone (target at most 1.02), read inside each JVM over a window that starts after
 *       its warm-up (the same sessions, repeated until the JIT compiler is nearly idle), so the
 *       compilation of the warm-up is not in it. The CPU time by group of threads (application, JIT,
 *       GC/VM, telemetry export) is printed to show where a difference comes from;
 *   <li>memory: the heap retained after GC per open connection, with 1,000 connections open at once;
 *       the difference extension vs agent alone is what the extension keeps per connection (target at
 *       most 2 KB). It hardly varies from run to run, so it is measured in the first rounds only.
 * </ul>
 *
 * <p>A benchmark, not a test: it prints and asserts nothing. Arguments (all optional): CPU rounds
 * (default 4), concurrent sessions (20), turns per session (4), delta interval in ms (50), open
 * connections for the memory run (1000), memory rounds (1), most warm-up passes (3). A default run
 * takes about 10 minutes on a quiet 2-core machine.
 */
public final class RealtimeBenchmark {

  private static final Pattern CPU = Pattern.compile("cpuMillis=([0-9.]+) wallMillis=([0-9.]+)");
  private static final Pattern JIT = Pattern.compile("jitMillis=([0-9]+)");
  private static final Pattern GROUP = Pattern.compile("(app|jit|gcvm|export|ended)CpuMillis=([0-9]+)");
  private static final Pattern MEMORY = Pattern.compile("perConnectionBytes=(-?[0-9.]+)");
  private static final double CPU_TARGET = 1.02;
  private static final double MEMORY_TARGET = 2048;

  /**
   * The SDK's default export intervals (spans 5 s, logs 1 s, metrics 60 s), not the tests' short
   * ones: with no telemetry of its own from WebSocket traffic, the agent alone would otherwise be
   * compared with an agent that exports several times a second, which no production setting does.
   */
  private static final List<String> EXPORT_DEFAULTS = List.of(
      "-Dotel.bsp.schedule.delay=5000", "-Dotel.blrp.schedule.delay=1000", "-Dotel.metric.export.interval=60000");

  /** One child JVM's measured window. */
  private record Window(double cpuMillis, double jitMillis, Map<String, Double> groups) {}

  public static void main(String[] args) throws Exception {
    long began = System.nanoTime();
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 4;
    String sessions = args.length > 1 ? args[1] : "20";
    String turns = args.length > 2 ? args[2] : "4";
    String pace = args.length > 3 ? args[3] : "50";
    String connections = args.length > 4 ? args[4] : "1000";
    int memoryRounds = args.length > 5 ? Integer.parseInt(args[5]) : 1;
    String warmups = args.length > 6 ? args[6] : "3";
    try (OpenAiSimulator simulator = OpenAiSimulator.start(0);
        OtlpReceiver receiver = OtlpReceiver.discarding()) {
      List<Window> base = new ArrayList<>();
      List<Window> ext = new ArrayList<>();
      List<Double> memBase = new ArrayList<>();
      List<Double> memExt = new ArrayList<>();
      for (int round = 0; round < rounds; round++) {
        boolean baseFirst = round % 2 == 0;
        for (int side = 0; side < 2; side++) {
          boolean isBase = (side == 0) == baseFirst;
          Window w = cpu(isBase ? AgentRun.Agent.UPSTREAM_ONLY : AgentRun.Agent.UPSTREAM_WITH_EXTENSION, simulator,
              receiver, sessions, turns, pace, warmups);
          (isBase ? base : ext).add(w);
        }
        simulator.reset();
        Window b = base.get(round);
        Window e = ext.get(round);
        System.out.printf("round %d (%s first): CPU agent alone %.0f ms %s, agent + TokenLedger %.0f ms %s, ratio %.3f%n",
            round + 1, baseFirst ? "agent alone" : "agent + TokenLedger", b.cpuMillis(), groups(b), e.cpuMillis(),
            groups(e), e.cpuMillis() / b.cpuMillis());
      }
      for (int round = 0; round < memoryRounds; round++) {
        memBase.add(memory(AgentRun.Agent.UPSTREAM_ONLY, simulator, receiver, connections));
        memExt.add(memory(AgentRun.Agent.UPSTREAM_WITH_EXTENSION, simulator, receiver, connections));
        simulator.reset();
        System.out.printf("memory round %d: retained per connection %.0f B vs %.0f B%n", round + 1,
            memBase.get(round), memExt.get(round));
      }
      List<Double> ratios = new ArrayList<>();
      List<Double> ratiosWithoutJit = new ArrayList<>();
      for (int i = 0; i < rounds; i++) {
        ratios.add(ext.get(i).cpuMillis() / base.get(i).cpuMillis());
        ratiosWithoutJit.add(withoutJit(ext.get(i)) / withoutJit(base.get(i)));
      }
      List<Double> extra = new ArrayList<>();
      for (int i = 0; i < memoryRounds; i++) {
        extra.add(memExt.get(i) - memBase.get(i));
      }
      double ratio = median(ratios);
      double perConnection = median(extra);
      System.out.printf(
          "Realtime, JDK WebSocket, %s concurrent sessions x %s turns, one 24 kHz audio delta per %s ms, after"
              + " warm-up: whole-process CPU agent alone %.0f ms, agent + TokenLedger %.0f ms, ratio %.3f (median of %d"
              + " interleaved rounds; without the JIT compiler's threads %.3f); target <= %.2f: %s%n",
          sessions, turns, pace, median(cpu(base)), median(cpu(ext)), ratio, rounds, median(ratiosWithoutJit),
          CPU_TARGET, ratio <= CPU_TARGET ? "met" : "not met");
      System.out.printf(
          "Realtime, %s open connections: heap retained per connection after GC, agent alone %.0f B, agent +"
              + " TokenLedger %.0f B, extension's share %.0f B per connection (median of %d rounds); target <= %.0f B:"
              + " %s%n",
          connections, median(memBase), median(memExt), perConnection, memoryRounds, MEMORY_TARGET,
          perConnection <= MEMORY_TARGET ? "met" : "not met");
      System.out.printf("(the run took %.1f minutes)%n", (System.nanoTime() - began) / 6e10);
    }
  }

  private static Window cpu(AgentRun.Agent agent, OpenAiSimulator simulator, OtlpReceiver receiver, String sessions,
      String turns, String pace, String warmups) throws Exception {
    String out = run(agent, simulator, receiver, CPU, "cpu", sessions, turns, pace, warmups);
    Matcher m = CPU.matcher(out);
    m.find();
    Matcher j = JIT.matcher(out);
    Map<String, Double> groups = new LinkedHashMap<>();
    for (Matcher g = GROUP.matcher(out); g.find(); ) {
      groups.put(g.group(1), Double.parseDouble(g.group(2)));
    }
    return new Window(Double.parseDouble(m.group(1)), j.find() ? Double.parseDouble(j.group(1)) : Double.NaN, groups);
  }

  private static double memory(AgentRun.Agent agent, OpenAiSimulator simulator, OtlpReceiver receiver,
      String connections) throws Exception {
    Matcher m = MEMORY.matcher(run(agent, simulator, receiver, MEMORY, "memory", connections));
    m.find();
    return Double.parseDouble(m.group(1));
  }

  private static String run(AgentRun.Agent agent, OpenAiSimulator simulator, OtlpReceiver receiver, Pattern pattern,
      String... appArgs) throws Exception {
    String[] args = new String[appArgs.length + 1];
    args[0] = simulator.realtimeUri();
    System.arraycopy(appArgs, 0, args, 1, appArgs.length);
    AgentRun.Result run = AgentRun.runMain(agent, receiver.endpoint(), false, EXPORT_DEFAULTS, Map.of(),
        "dev.tokenledger.demo.realtime.RealtimeBenchmarkApp", args);
    if (run.exitCode() != 0 || !pattern.matcher(run.stdout()).find()) {
      throw new IllegalStateException("benchmark run failed:\n" + run.stdout() + run.stderr());
    }
    return run.stdout();
  }

  /** The JIT compiler's wall time in the window and the CPU time by group of threads (Linux). */
  private static String groups(Window w) {
    StringBuilder s = new StringBuilder("(JIT ").append(String.format("%.0f", w.jitMillis()));
    w.groups().forEach((group, millis) -> s.append(", ").append(group).append(' ').append(String.format("%.0f", millis)));
    return s.append(')').toString();
  }

  /** Whole-process CPU less the compiler threads' (when Linux shows them). */
  private static double withoutJit(Window w) {
    return w.cpuMillis() - w.groups().getOrDefault("jit", 0.0);
  }

  private static List<Double> cpu(List<Window> windows) {
    List<Double> values = new ArrayList<>();
    for (Window w : windows) {
      values.add(w.cpuMillis());
    }
    return values;
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int n = sorted.size();
    if (n == 0) {
      return Double.NaN;
    }
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  private RealtimeBenchmark() {}
}
