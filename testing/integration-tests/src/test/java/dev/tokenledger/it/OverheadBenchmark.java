package dev.tokenledger.it;

import dev.tokenledger.simulator.OpenAiSimulator;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the extension costs an application: chat completions against the local simulator, in fresh
 * JVMs under the upstream agent alone and under the agent with the extension, interleaved round by
 * round in the same run, with the OTLP export on (to a loopback receiver that discards). Two
 * settings: answers at once (loopback: the worst case, every microsecond of ours shows) and after a
 * provider-like think time. Prints, per client and setting, the throughput ratio and the process
 * CPU time and bytes allocated per call (medians of the rounds). A benchmark, not a test: it
 * asserts nothing.
 *
 * <p>Arguments (all optional): rounds, warm-up calls, measured calls, think time in ms for the
 * second setting, calls in the second setting.
 */
public final class OverheadBenchmark {

  private static final Pattern BENCH =
      Pattern.compile("callsPerSecond=([0-9.]+) cpuMicrosPerCall=([0-9.]+) allocatedBytesPerCall=([0-9]+)");

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    // A long warm-up: the extension's code paths must be compiled before measuring, or JIT work
    // shows up as per-call CPU.
    String warmup = args.length > 1 ? args[1] : "20000";
    String calls = args.length > 2 ? args[2] : "10000";
    String thinkMillis = args.length > 3 ? args[3] : "20";
    String thinkCalls = args.length > 4 ? args[4] : "300";
    try (OpenAiSimulator simulator = OpenAiSimulator.start(0);
        OtlpReceiver receiver = OtlpReceiver.discarding()) {
      for (String[] setting : new String[][] {{"0", calls}, {thinkMillis, thinkCalls}}) {
        for (String client : List.of("okhttp", "jdk", "netty", "huc")) {
          List<double[]> baseline = new ArrayList<>();
          List<double[]> extended = new ArrayList<>();
          for (int round = 0; round < rounds; round++) {
            baseline.add(measure(AgentRun.Agent.UPSTREAM_ONLY, simulator, receiver, client, warmup, setting));
            extended.add(measure(AgentRun.Agent.UPSTREAM_WITH_EXTENSION, simulator, receiver, client, warmup, setting));
            simulator.reset();
          }
          System.out.printf(
              "%-6s answer after %3s ms | agent alone: %7.1f calls/s %6.1f us CPU %6.0f B | agent + TokenLedger:"
                  + " %7.1f calls/s %6.1f us CPU %6.0f B | throughput ratio %.3f, extra %.1f us CPU and %.0f B"
                  + " per call (medians of %d rounds of %s calls)%n",
              client, setting[0],
              median(baseline, 0), median(baseline, 1), median(baseline, 2),
              median(extended, 0), median(extended, 1), median(extended, 2),
              median(extended, 0) / median(baseline, 0),
              median(extended, 1) - median(baseline, 1),
              median(extended, 2) - median(baseline, 2),
              rounds, setting[1]);
        }
      }
    }
  }

  private static double[] measure(
      AgentRun.Agent agent,
      OpenAiSimulator simulator,
      OtlpReceiver receiver,
      String client,
      String warmup,
      String[] setting)
      throws Exception {
    AgentRun.Result run =
        AgentRun.runMain(agent, receiver.endpoint(), false, List.of(), Map.of(), "dev.tokenledger.demo.ChatBenchmark",
            simulator.baseUrl(), client, setting[0].equals("0") ? warmup : "200", setting[1], setting[0]);
    Matcher m = BENCH.matcher(run.stdout());
    if (run.exitCode() != 0 || !m.find()) {
      throw new IllegalStateException("benchmark run failed:\n" + run.stdout() + run.stderr());
    }
    return new double[] {
      Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)), Double.parseDouble(m.group(3))
    };
  }

  private static double median(List<double[]> values, int index) {
    List<Double> sorted = new ArrayList<>();
    for (double[] v : values) {
      sorted.add(v[index]);
    }
    Collections.sort(sorted);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  private OverheadBenchmark() {}
}
