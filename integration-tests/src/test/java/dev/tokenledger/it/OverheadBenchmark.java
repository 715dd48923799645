package dev.tokenledger.it;

import dev.tokenledger.simulator.OpenAiSimulator;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the extension costs an application: N chat completions against the local simulator, in
 * fresh JVMs under the upstream agent alone and under the agent with the extension, interleaved
 * round by round in the same run. Prints the throughput ratio (median of rounds) and the extra
 * bytes the calling thread allocates per call. A benchmark, not a test: it asserts nothing.
 *
 * <p>Arguments (all optional): rounds, warm-up calls, measured calls.
 */
public final class OverheadBenchmark {

  private static final Pattern BENCH =
      Pattern.compile("callsPerSecond=([0-9.]+) allocatedBytesPerCall=([0-9]+)");

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    String warmup = args.length > 1 ? args[1] : "3000";
    String calls = args.length > 2 ? args[2] : "5000";
    try (OpenAiSimulator simulator = OpenAiSimulator.start(0);
        OtlpReceiver receiver = new OtlpReceiver()) {
      for (String client : List.of("okhttp", "jdk")) {
        List<double[]> baseline = new ArrayList<>();
        List<double[]> extended = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
          baseline.add(measure(AgentRun.Agent.UPSTREAM_ONLY, simulator, receiver, client, warmup, calls));
          extended.add(measure(AgentRun.Agent.UPSTREAM_WITH_EXTENSION, simulator, receiver, client, warmup, calls));
          simulator.reset();
          receiver.reset();
        }
        double baseRate = median(baseline, 0);
        double extRate = median(extended, 0);
        double baseAlloc = median(baseline, 1);
        double extAlloc = median(extended, 1);
        System.out.printf(
            "%-7s agent alone: %8.1f calls/s %8.0f B/call | agent + TokenLedger: %8.1f calls/s %8.0f B/call"
                + " | throughput ratio %.3f, extra %.0f B/call (median of %d rounds, %s calls each)%n",
            client, baseRate, baseAlloc, extRate, extAlloc, extRate / baseRate, extAlloc - baseAlloc, rounds, calls);
      }
    }
  }

  private static double[] measure(
      AgentRun.Agent agent, OpenAiSimulator simulator, OtlpReceiver receiver, String client, String warmup, String calls)
      throws Exception {
    AgentRun.Result run =
        AgentRun.runMain(agent, receiver.endpoint(), false, List.of(), Map.of(), "dev.tokenledger.demo.ChatBenchmark",
            simulator.baseUrl(), client, warmup, calls);
    Matcher m = BENCH.matcher(run.stdout());
    if (run.exitCode() != 0 || !m.find()) {
      throw new IllegalStateException("benchmark run failed:\n" + run.stdout() + run.stderr());
    }
    return new double[] {Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2))};
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
