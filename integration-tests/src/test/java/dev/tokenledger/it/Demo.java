package dev.tokenledger.it;

import dev.tokenledger.simulator.GroundTruth;
import dev.tokenledger.simulator.OpenAiSimulator;
import io.opentelemetry.proto.logs.v1.LogRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The README's first command: the demo app under the one-jar agent calls the OpenAI simulator (or
 * real OpenAI when {@code OPENAI_API_KEY} is set) through every client, and the usage the agent
 * exported is printed per API beside what the simulator knows it sent.
 */
public final class Demo {

  private static final String[] COLUMNS = {"input_tokens", "input_cached_tokens", "output_tokens"};

  public static void main(String[] args) throws Exception {
    String realKey = System.getenv("OPENAI_API_KEY");
    try (OtlpReceiver receiver = new OtlpReceiver();
        OpenAiSimulator simulator = realKey == null ? OpenAiSimulator.start(0) : null) {
      List<String> jvmArgs = new ArrayList<>();
      List<String> appArgs = new ArrayList<>();
      if (simulator != null) {
        appArgs.addAll(List.of("--base-url", simulator.baseUrl()));
      } else {
        // Real OpenAI: the default host list applies; a few cheap calls through the official SDK.
        jvmArgs.add("-Dotel.instrumentation.tokenledger.hosts=api.openai.com");
        appArgs.addAll(
            List.of("--base-url", "https://api.openai.com/v1",
                "--clients", "openai-java", "--scenarios", "chat,chat-stream-usage,responses,embeddings"));
      }
      System.out.println("Running the demo app under the TokenLedger agent…");
      AgentRun.Result run =
          AgentRun.run(AgentRun.Agent.ONE_JAR, receiver.endpoint(), false, jvmArgs,
              realKey != null ? realKey : "sk-proj-demo-key-for-the-simulator", appArgs.toArray(new String[0]));
      if (run.exitCode() != 0) {
        System.err.println(run.stdout() + run.stderr());
        throw new IllegalStateException("the demo app failed (exit " + run.exitCode() + ")");
      }
      System.out.println(run.resultLines().size() + " calls made.\n");

      Map<String, long[]> recorded = new TreeMap<>();
      for (LogRecord event : receiver.logs()) {
        if (Otlp.isUsageEvent(event)) {
          Map<String, Object> a = Otlp.attributes(event.getAttributesList());
          add(recorded, a.get("tokenledger.api") + " (" + a.get("tokenledger.usage.source") + ")", field -> {
            Object v = a.get("tokenledger.usage." + field);
            return v == null ? 0 : ((Number) v).longValue();
          });
        }
      }
      Map<String, long[]> sent = new TreeMap<>();
      if (simulator != null) {
        for (GroundTruth t : simulator.groundTruth()) {
          if (t.host().equals("127.0.0.1") && !t.usageSource().equals("none")) {
            add(sent, t.api() + " (" + t.usageSource() + ")", t::token);
          }
        }
      }
      print(recorded, sent, simulator != null);
    }
  }

  private interface FieldValue {
    long of(String field);
  }

  private static void add(Map<String, long[]> rows, String key, FieldValue value) {
    long[] row = rows.computeIfAbsent(key, k -> new long[COLUMNS.length + 1]);
    row[0]++;
    for (int i = 0; i < COLUMNS.length; i++) {
      row[i + 1] += value.of(COLUMNS[i]);
    }
  }

  private static void print(Map<String, long[]> recorded, Map<String, long[]> sent, boolean withTruth) {
    System.out.printf("%-36s %9s %13s %13s %13s%s%n", "api (usage source)", "responses", "input", "cached", "output",
        withTruth ? "   difference vs simulator" : "");
    long differences = 0;
    TreeMap<String, long[]> all = new TreeMap<>(recorded);
    sent.keySet().forEach(k -> all.putIfAbsent(k, new long[COLUMNS.length + 1]));
    for (Map.Entry<String, long[]> row : all.entrySet()) {
      long[] r = row.getValue();
      String diff = "";
      if (withTruth) {
        long[] s = sent.getOrDefault(row.getKey(), new long[COLUMNS.length + 1]);
        long d = 0;
        for (int i = 0; i < r.length; i++) {
          d += Math.abs(r[i] - s[i]);
        }
        differences += d;
        diff = "   " + d;
      }
      System.out.printf("%-36s %9d %13d %13d %13d%s%n", row.getKey(), r[0], r[1], r[2], r[3], diff);
    }
    if (withTruth) {
      System.out.println(differences == 0
          ? "\nEvery response's usage was recorded exactly."
          : "\nDIFFERENCES FOUND: " + differences);
    }
  }

  private Demo() {}
}
