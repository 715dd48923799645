package dev.tokenledger.apps;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The command line every framework app shares: {@code --scenarios a,b} (default: all of the app's
 * scenarios, in the order given). Each scenario runs once, in turn; a scenario that throws is printed
 * as failed and the next one still runs. The exit code is 0 unless the command line is wrong.
 *
 * <p>Where to call comes from the environment, as in production: {@code OPENAI_BASE_URL} (with
 * {@code /v1}), {@code OPENAI_API_KEY}, and for some apps {@code AZURE_OPENAI_ENDPOINT} and
 * {@code OPENAI_REALTIME_URL}.
 */
public final class AppMain {

  /** One scenario: the calls it makes and the RESULT lines it prints for them. */
  @FunctionalInterface
  public interface Scenario {
    void run(Results results) throws Exception;
  }

  private final String client;
  private final Map<String, Scenario> scenarios = new LinkedHashMap<>();

  public AppMain(String client) {
    this.client = client;
  }

  public AppMain scenario(String name, Scenario scenario) {
    scenarios.put(name, scenario);
    return this;
  }

  /** Runs the scenarios the command line names and returns the exit code (2 for a bad command line). */
  public int run(String[] args) {
    List<String> chosen = List.copyOf(scenarios.keySet());
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--scenarios") && i + 1 < args.length) {
        chosen = Arrays.asList(args[++i].split(","));
      } else {
        System.err.println("usage: [--scenarios " + String.join(",", scenarios.keySet()) + "]");
        return 2;
      }
    }
    for (String name : chosen) {
      Scenario scenario = scenarios.get(name);
      if (scenario == null) {
        System.err.println("unknown scenario " + name + "; known: " + scenarios.keySet());
        return 2;
      }
      Results results = new Results(client, name);
      try {
        scenario.run(results);
      } catch (Throwable t) {
        results.failed(t);
      }
    }
    System.out.flush();
    return 0;
  }

  /** A required environment variable. */
  public static String env(String name) {
    String value = System.getenv(name);
    if (value == null || value.isBlank()) {
      throw new IllegalStateException("environment variable " + name + " is not set");
    }
    return value;
  }

  /** {@code OPENAI_BASE_URL} without its {@code /v1}: for clients that add the version path themselves. */
  public static String hostUrl() {
    String base = env("OPENAI_BASE_URL");
    return base.endsWith("/v1") ? base.substring(0, base.length() - 3) : base;
  }
}
