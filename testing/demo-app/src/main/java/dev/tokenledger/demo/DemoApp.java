package dev.tokenledger.demo;

import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Calls OpenAI (or the TokenLedger simulator) through six clients and prints one line per
 * (client, scenario):
 *
 * <pre>RESULT client=&lt;c&gt; scenario=&lt;s&gt; status=&lt;http status | EXC:Class&gt; sha256=&lt;hex | -&gt; length=&lt;n | -1&gt;</pre>
 *
 * <p>The app never prints the API key, prompts or completions. Failed calls are results, not
 * errors: the exit code is 0 unless the command line is wrong (then 2).
 */
public final class DemoApp {

  private DemoApp() {}

  /** Parsed command line. */
  record Config(String baseUrl, String apiKey, String project, List<String> clients,
      List<String> scenarios, Duration timeout) {}

  static final List<String> CLIENTS =
      List.of("openai-java", "jdk", "okhttp", "apache", "apache-async", "apache4", "url-connection", "spring-simple");

  /** The clients a run without --clients uses. */
  static final List<String> DEFAULT_CLIENTS = List.of("openai-java", "jdk", "okhttp", "apache");

  /** Every prompt text the app sends, for tests that prove none of it reaches telemetry. */
  public static final List<String> PROMPT_TEXTS = List.of(Scenarios.SYSTEM, Scenarios.PROMPT, Scenarios.SPEECH_TEXT);

  private static final Map<String, Function<Config, DemoClient>> FACTORIES = new LinkedHashMap<>();

  static {
    FACTORIES.put("openai-java", OpenAiJavaClient::new);
    FACTORIES.put("jdk", JdkClient::new);
    FACTORIES.put("okhttp", OkHttpDemoClient::new);
    FACTORIES.put("apache", ApacheClient::new);
    FACTORIES.put("apache-async", ApacheAsyncClient::new);
    FACTORIES.put("apache4", Apache4Client::new);
    FACTORIES.put("url-connection", UrlConnectionClient::new);
    FACTORIES.put("spring-simple", SpringSimpleClient::new);
  }

  /** Thrown for a bad command line; the message is printed before the usage text. */
  static final class UsageException extends Exception {
    UsageException(String message) {
      super(message);
    }
  }

  public static void main(String[] args) {
    Config cfg;
    try {
      cfg = parse(args, System.getenv());
    } catch (UsageException e) {
      if (e.getMessage() == null) {
        usage(System.out);
        System.exit(0);
      }
      System.err.println("error: " + e.getMessage());
      usage(System.err);
      System.exit(2);
      return;
    }
    run(cfg, System.out);
    // Client libraries may leave non-daemon threads behind; the run is over.
    System.exit(0);
  }

  /** Runs every (client, scenario) pair in order and prints its RESULT line. */
  static void run(Config cfg, PrintStream out) {
    for (String name : cfg.clients()) {
      DemoClient client;
      try {
        client = FACTORIES.get(name).apply(cfg);
      } catch (RuntimeException e) {
        for (String s : cfg.scenarios()) {
          out.println(Result.failed(e).line(name, s));
        }
        continue;
      }
      try (client) {
        for (String scenario : cfg.scenarios()) {
          Result r;
          try {
            r = client.run(scenario);
          } catch (Exception | Error e) {
            if (e instanceof InterruptedException) {
              Thread.currentThread().interrupt();
            }
            if (e instanceof VirtualMachineError vme && !(e instanceof StackOverflowError)) {
              throw vme;
            }
            r = Result.failed(e);
          }
          out.println(r.line(client.name(), scenario));
          out.flush();
        }
      }
    }
  }

  static Config parse(String[] args, Map<String, String> env) throws UsageException {
    String baseUrl = env.getOrDefault("OPENAI_BASE_URL", "https://api.openai.com/v1");
    String apiKey = env.get("OPENAI_API_KEY");
    String project = null;
    List<String> clients = DEFAULT_CLIENTS;
    List<String> scenarios = Scenarios.DEFAULT;
    Duration timeout = Duration.ofSeconds(120);
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String value = null;
      int eq = a.indexOf('=');
      if (a.startsWith("--") && eq > 0) {
        value = a.substring(eq + 1);
        a = a.substring(0, eq);
      }
      if (a.equals("-h") || a.equals("--help")) {
        throw new UsageException(null);
      }
      if (!a.startsWith("--")) {
        throw new UsageException("unexpected argument: " + a);
      }
      if (value == null) {
        if (i + 1 >= args.length) {
          throw new UsageException(a + " needs a value");
        }
        value = args[++i];
      }
      switch (a) {
        case "--base-url" -> baseUrl = value;
        case "--api-key" -> apiKey = value;
        case "--project" -> project = value.isEmpty() ? null : value;
        case "--clients" -> clients = list(value, CLIENTS, "client");
        case "--scenarios" -> scenarios = value.equals("all") ? Scenarios.ALL
            : value.equals("default") ? Scenarios.DEFAULT : list(value, Scenarios.ALL, "scenario");
        case "--timeout-seconds" -> {
          try {
            timeout = Duration.ofSeconds(Long.parseLong(value));
          } catch (NumberFormatException e) {
            throw new UsageException("--timeout-seconds must be a whole number: " + value);
          }
          if (timeout.isNegative() || timeout.isZero()) {
            throw new UsageException("--timeout-seconds must be positive");
          }
        }
        default -> throw new UsageException("unknown option " + a);
      }
    }
    if (apiKey == null || apiKey.isBlank()) {
      throw new UsageException("an API key is required (--api-key or OPENAI_API_KEY)");
    }
    try {
      URI u = URI.create(baseUrl);
      if (u.getScheme() == null || u.getHost() == null
          || !(u.getScheme().equals("http") || u.getScheme().equals("https"))) {
        throw new IllegalArgumentException();
      }
    } catch (IllegalArgumentException e) {
      throw new UsageException("--base-url must be an http(s) URL such as http://127.0.0.1:8080/v1");
    }
    return new Config(baseUrl, apiKey, project, clients, scenarios, timeout);
  }

  private static List<String> list(String csv, List<String> known, String what) throws UsageException {
    List<String> out = new ArrayList<>();
    for (String s : csv.split(",")) {
      String t = s.trim();
      if (t.isEmpty()) {
        continue;
      }
      if (!known.contains(t)) {
        throw new UsageException("unknown " + what + " '" + t + "'; known: " + String.join(",", known));
      }
      out.add(t);
    }
    if (out.isEmpty()) {
      throw new UsageException("no " + what + " given");
    }
    return List.copyOf(out);
  }

  private static void usage(PrintStream out) {
    out.println("usage: java -jar tokenledger-demo-app.jar --base-url URL --api-key KEY [options]");
    out.println("  --base-url URL         OpenAI base URL, e.g. http://127.0.0.1:PORT/v1 (default: $OPENAI_BASE_URL or https://api.openai.com/v1)");
    out.println("  --api-key KEY          API key (default: $OPENAI_API_KEY); never printed");
    out.println("  --clients LIST         comma-separated, from: " + String.join(",", CLIENTS) + " (default: "
        + String.join(",", DEFAULT_CLIENTS) + ")");
    out.println("  --scenarios LIST       comma-separated, 'all' or 'default' (default: all but huge); from:");
    out.println("                         " + String.join(",", Scenarios.ALL));
    out.println("  --project ID           send the OpenAI-Project header");
    out.println("  --timeout-seconds N    per-call timeout (default 120)");
    out.println("Prints: RESULT client=C scenario=S status=<code|EXC:Class> sha256=<hex|-> length=<n|-1>");
  }
}
