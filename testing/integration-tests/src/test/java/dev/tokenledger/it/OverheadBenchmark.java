package dev.tokenledger.it;

import dev.tokenledger.simulator.OpenAiSimulator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the extension costs an application per chat completion, against the instrumentation users
 * would run instead. Chat completions against the local simulator, in fresh JVMs, interleaved round
 * by round in the same run (the order of the variants turns with each round), with the OTLP export
 * on (to a loopback receiver that discards). The variants:
 *
 * <ul>
 *   <li><b>agent alone</b>: the upstream agent with its own openai-java instrumentation switched off
 *       ({@code otel.instrumentation.openai-java.enabled=false}), so only its HTTP client
 *       instrumentation is at work: the baseline every extra is measured from;
 *   <li><b>agent + upstream openai-java</b> (the peer): the upstream agent as it ships, whose
 *       openai-java instrumentation (on by default) wraps the SDK's client and adds a GenAI span,
 *       two metric recordings and its GenAI log events per chat call. It only sees calls made through
 *       the SDK, so it runs for the {@code openai} client only;
 *   <li><b>agent + TokenLedger</b>: the agent with the extension, which switches the upstream
 *       openai-java instrumentation off by default.
 * </ul>
 *
 * <p>Two settings, measured one after the other in the same JVM after its warm-up: answers at once
 * (loopback: the worst case, every microsecond shows; the targets apply here), then answers
 * after a provider-like think time. Prints per client and setting the calls/s, process CPU time and
 * bytes allocated per call of each variant (medians of the rounds), then the extras over the agent
 * alone and the throughput ratios; at the end, per client, each target at loopback with "met" or
 * "not met": TokenLedger's extra CPU at most 30 µs and not above the peer's extra (the peer's figure
 * comes from the openai client: it has no other), extra allocation at most 8 KB, throughput ratio at
 * least 0.95. A benchmark, not a test: it asserts nothing.
 *
 * <p>Arguments (all optional, in any order):
 *
 * <ul>
 *   <li>client names separated by commas, e.g. {@code okhttp,openai}; default all of
 *       {@code openai, okhttp, jdk, netty, huc, apache5, apache4};
 *   <li>up to five numbers, in this order: rounds (3), warm-up calls (10000), measured calls answered
 *       at once (5000), think time in ms (20), calls answered after the think time (200; 0 leaves
 *       that setting out);
 *   <li>{@code --jvm=ARG}, repeatable: an extra argument for every child JVM, where {@code {variant}}
 *       ({@code alone}, {@code peer}, {@code tokenledger}), {@code {client}} and {@code {round}} are
 *       replaced, e.g. a flight recording per run:
 *       {@code --jvm=-XX:StartFlightRecording=filename=/tmp/{variant}-{client}-{round}.jfr,settings=profile}.
 * </ul>
 *
 * <p>The defaults take about 20 minutes on an idle 2-core machine; the run prints its duration, the
 * load average and, on stderr, how long each round took.
 */
public final class OverheadBenchmark {

  private static final Pattern BENCH =
      Pattern.compile("callsPerSecond=([0-9.]+) cpuMicrosPerCall=([0-9.]+) allocatedBytesPerCall=([0-9]+)");

  /** Every client of the demo app's ChatBenchmark; the peer's own client first, so its figure is known. */
  private static final List<String> CLIENTS = List.of("openai", "okhttp", "jdk", "netty", "huc", "apache5", "apache4");

  /** The only client the upstream openai-java instrumentation sees. */
  private static final String PEER_CLIENT = "openai";

  static final double TARGET_EXTRA_CPU_MICROS = 30;
  static final double TARGET_EXTRA_BYTES = 8192;
  static final double TARGET_THROUGHPUT_RATIO = 0.95;

  enum Variant {
    ALONE("alone", "agent alone", AgentRun.Agent.UPSTREAM_ONLY, List.of("-Dotel.instrumentation.openai-java.enabled=false")),
    PEER("peer", "agent + upstream openai-java", AgentRun.Agent.UPSTREAM_ONLY, List.of()),
    TOKENLEDGER("tokenledger", "agent + TokenLedger", AgentRun.Agent.UPSTREAM_WITH_EXTENSION, List.of());

    final String key;
    final String label;
    final AgentRun.Agent agent;
    final List<String> jvmArgs;

    Variant(String key, String label, AgentRun.Agent agent, List<String> jvmArgs) {
      this.key = key;
      this.label = label;
      this.agent = agent;
      this.jvmArgs = jvmArgs;
    }
  }

  /** Medians over the rounds of one variant: calls/s, CPU µs per call, bytes allocated per call. */
  record Figures(double callsPerSecond, double cpuMicros, double bytes) {}

  /** The run's settings, read from the arguments. */
  record Settings(
      List<String> clients, int rounds, int warmup, int calls, int thinkMillis, int thinkCalls, List<String> jvmArgs) {

    static Settings parse(String[] args) {
      List<String> clients = new ArrayList<>(CLIENTS);
      List<Integer> numbers = new ArrayList<>();
      List<String> jvmArgs = new ArrayList<>();
      for (String arg : args) {
        if (arg.isBlank()) {
          continue;
        }
        if (arg.startsWith("--jvm=")) {
          jvmArgs.add(arg.substring("--jvm=".length()));
        } else if (arg.matches("[0-9]+")) {
          numbers.add(Integer.parseInt(arg));
        } else if (arg.matches("[a-z0-9]+(,[a-z0-9]+)*")) {
          List<String> chosen = List.of(arg.split(","));
          for (String client : chosen) {
            if (!CLIENTS.contains(client)) {
              throw new IllegalArgumentException("unknown client '" + client + "': choose from " + CLIENTS);
            }
          }
          // Measured in the canonical order: the peer's client first.
          clients = new ArrayList<>(CLIENTS);
          clients.retainAll(chosen);
        } else {
          throw new IllegalArgumentException("unknown argument '" + arg + "': see the OverheadBenchmark javadoc");
        }
      }
      if (numbers.size() > 5) {
        throw new IllegalArgumentException("at most five numbers: rounds, warm-up, calls, think ms, think calls");
      }
      int[] defaults = {3, 10000, 5000, 20, 200};
      for (int i = numbers.size(); i < defaults.length; i++) {
        numbers.add(defaults[i]);
      }
      return new Settings(
          clients, numbers.get(0), numbers.get(1), numbers.get(2), numbers.get(3), numbers.get(4), jvmArgs);
    }
  }

  public static void main(String[] args) throws Exception {
    Settings settings = Settings.parse(args);
    long started = System.nanoTime();
    System.out.printf(
        "clients %s; %d rounds; %d warm-up and %d measured calls answered at once%s; load average at start %s%n",
        String.join(",", settings.clients()), settings.rounds(), settings.warmup(), settings.calls(),
        settings.thinkCalls() > 0
            ? String.format("; then %d calls answered after %d ms, in the same JVM", settings.thinkCalls(),
                settings.thinkMillis())
            : "",
        loadAverage());
    List<String> summary = new ArrayList<>();
    boolean withThink = settings.thinkCalls() > 0;
    try (OpenAiSimulator simulator = OpenAiSimulator.start(0);
        OtlpReceiver receiver = OtlpReceiver.discarding()) {
      Double peerExtraCpu = null;
      for (String client : settings.clients()) {
        List<Variant> variants = client.equals(PEER_CLIENT)
            ? List.of(Variant.ALONE, Variant.PEER, Variant.TOKENLEDGER)
            : List.of(Variant.ALONE, Variant.TOKENLEDGER);
        // Per setting (at once, after the think time), per variant: one {calls/s, CPU, bytes} per round.
        List<Map<Variant, List<double[]>>> measured = List.of(new EnumMap<>(Variant.class), new EnumMap<>(Variant.class));
        for (int round = 0; round < settings.rounds(); round++) {
          long roundStarted = System.nanoTime();
          for (int i = 0; i < variants.size(); i++) {
            // Each round starts with another variant, so none always runs first.
            Variant variant = variants.get((i + round) % variants.size());
            List<double[]> figures = measure(variant, simulator, receiver, client, round, settings);
            for (int setting = 0; setting < figures.size(); setting++) {
              measured.get(setting).computeIfAbsent(variant, v -> new ArrayList<>()).add(figures.get(setting));
            }
          }
          simulator.reset();
          System.err.printf("%s: round %d of %d took %.0f s%n",
              client, round + 1, settings.rounds(), (System.nanoTime() - roundStarted) / 1e9);
        }
        for (int setting = 0; setting < (withThink ? 2 : 1); setting++) {
          Map<Variant, Figures> figures = new LinkedHashMap<>();
          for (Variant variant : variants) {
            List<double[]> rounds = measured.get(setting).get(variant);
            figures.put(variant, new Figures(median(rounds, 0), median(rounds, 1), median(rounds, 2)));
          }
          Figures alone = figures.get(Variant.ALONE);
          Figures ours = figures.get(Variant.TOKENLEDGER);
          Figures peer = figures.get(Variant.PEER);
          System.out.printf(
              "%n%s, answer %s (medians of %d rounds of %d calls)%n",
              client, setting == 0 ? "at once" : "after " + settings.thinkMillis() + " ms", settings.rounds(),
              setting == 0 ? settings.calls() : settings.thinkCalls());
          for (Map.Entry<Variant, Figures> e : figures.entrySet()) {
            Figures f = e.getValue();
            System.out.printf(Locale.ROOT, "  %-30s %8.1f calls/s %8.1f us CPU %8.0f B allocated per call%n",
                e.getKey().label, f.callsPerSecond(), f.cpuMicros(), f.bytes());
          }
          printExtra("TokenLedger", ours, alone);
          if (peer != null) {
            printExtra("upstream openai-java", peer, alone);
          }
          if (setting == 0) {
            if (peer != null) {
              peerExtraCpu = peer.cpuMicros() - alone.cpuMicros();
            }
            summary.add(targets(client, ours, alone, peerExtraCpu));
          }
        }
      }
    }
    System.out.printf("%nTargets at loopback (answers at once), TokenLedger over the agent alone:%n");
    summary.forEach(System.out::print);
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    System.out.printf(
        "%nDone in %d min %d s; load average at the end %s%n", took.toMinutes(), took.toSecondsPart(), loadAverage());
  }

  private static void printExtra(String name, Figures with, Figures alone) {
    System.out.printf(Locale.ROOT,
        "  %-30s extra %6.1f us CPU and %6.0f B per call, throughput ratio %.3f%n",
        name + " over agent alone:",
        with.cpuMicros() - alone.cpuMicros(), with.bytes() - alone.bytes(), with.callsPerSecond() / alone.callsPerSecond());
  }

  /** The target lines of one client: each with its figure and "met" or "not met". */
  private static String targets(String client, Figures ours, Figures alone, Double peerExtraCpu) {
    double extraCpu = ours.cpuMicros() - alone.cpuMicros();
    double extraBytes = ours.bytes() - alone.bytes();
    double ratio = ours.callsPerSecond() / alone.callsPerSecond();
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, "  %s%n", client));
    out.append(line(String.format(Locale.ROOT, "extra CPU %.1f us <= %.0f us", extraCpu, TARGET_EXTRA_CPU_MICROS),
        extraCpu <= TARGET_EXTRA_CPU_MICROS));
    if (peerExtraCpu == null) {
      out.append(String.format("    %-62s no peer figure in this run (add the openai client)%n",
          String.format(Locale.ROOT, "extra CPU %.1f us <= the peer's extra", extraCpu)));
    } else {
      out.append(line(String.format(Locale.ROOT, "extra CPU %.1f us <= the peer's extra %.1f us%s", extraCpu,
          peerExtraCpu, client.equals(PEER_CLIENT) ? "" : " (openai)"), extraCpu <= peerExtraCpu));
    }
    out.append(line(String.format(Locale.ROOT, "extra allocation %.0f B <= %.0f B", extraBytes, TARGET_EXTRA_BYTES),
        extraBytes <= TARGET_EXTRA_BYTES));
    out.append(line(String.format(Locale.ROOT, "throughput ratio %.3f >= %.2f", ratio, TARGET_THROUGHPUT_RATIO),
        ratio >= TARGET_THROUGHPUT_RATIO));
    return out.toString();
  }

  private static String line(String target, boolean met) {
    return String.format("    %-62s %s%n", target, met ? "met" : "not met");
  }

  /** One fresh JVM: its figures answered at once and, when asked for, after the think time. */
  private static List<double[]> measure(
      Variant variant, OpenAiSimulator simulator, OtlpReceiver receiver, String client, int round, Settings settings)
      throws Exception {
    List<String> jvmArgs = new ArrayList<>(variant.jvmArgs);
    for (String arg : settings.jvmArgs()) {
      jvmArgs.add(arg.replace("{variant}", variant.key)
          .replace("{client}", client)
          .replace("{round}", Integer.toString(round + 1)));
    }
    List<String> appArgs = new ArrayList<>(List.of(simulator.baseUrl(), client,
        Integer.toString(settings.warmup()), Integer.toString(settings.calls()), "0"));
    if (settings.thinkCalls() > 0) {
      appArgs.add(Integer.toString(settings.thinkCalls()));
      appArgs.add(Integer.toString(settings.thinkMillis()));
    }
    AgentRun.Result run = AgentRun.runMain(variant.agent, receiver.endpoint(), false, jvmArgs, Map.of(),
        "dev.tokenledger.demo.ChatBenchmark", appArgs.toArray(new String[0]));
    List<double[]> figures = new ArrayList<>();
    Matcher m = BENCH.matcher(run.stdout());
    while (m.find()) {
      figures.add(new double[] {
        Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)), Double.parseDouble(m.group(3))
      });
    }
    if (run.exitCode() != 0 || figures.size() != (settings.thinkCalls() > 0 ? 2 : 1)) {
      throw new IllegalStateException("benchmark run failed (" + variant.label + ", " + client + "):\n"
          + run.stdout() + run.stderr());
    }
    return figures;
  }

  private static String loadAverage() {
    try {
      String[] fields = Files.readString(Paths.get("/proc/loadavg"), StandardCharsets.US_ASCII).split(" ");
      return fields[0] + " " + fields[1] + " " + fields[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
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
