package dev.tokenledger.demo.realtime;

import java.io.PrintStream;
import java.net.URI;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Plays a voice agent's Realtime sessions against the OpenAI simulator through three WebSocket
 * clients ({@code jdk}: java.net.http, {@code okhttp}, and the Jakarta client API: {@code jakarta} /
 * {@code jakarta-partial} with whole or partial text handlers, {@code jakarta-lambda} with one lambda
 * for every message, {@code jakarta-annotated} / {@code jakarta-annotated-class} with an annotated
 * endpoint) and prints one line per connection:
 *
 * <pre>RESULT client=C scenario=S status=closed|dropped|closed-by-server|EXC:Class sha256=H length=N responses=R</pre>
 *
 * where {@code sha256} and {@code length} are the digest and count of the messages received (see
 * {@link RealtimeInbox}). The scenarios ask for the simulator's fault models in response metadata,
 * so they are meant for the simulator. The app never prints the API key, instructions or transcripts.
 *
 * <p>{@code --stop-after N}: after the N-th {@code response.done}, print {@code STOPPED responses=N}
 * and wait, connection open, until the process is killed (the crash test).
 */
public final class RealtimeDemo {

  static final List<String> CLIENTS = List.of("jdk", "okhttp", "jakarta", "jakarta-partial", "jakarta-lambda",
      "jakarta-annotated", "jakarta-annotated-class");

  /** Every text the app sends that must never reach telemetry. */
  public static final List<String> PROMPT_TEXTS =
      List.of(RealtimeScenarios.INSTRUCTIONS.substring(0, 60), RealtimeScenarios.USER_TEXT);

  private RealtimeDemo() {}

  record Config(URI base, String apiKey, String project, List<String> clients, List<String> scenarios,
      long paceMillis, int stopAfter) {}

  public static void main(String[] args) {
    Config cfg;
    try {
      cfg = parse(args, System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      usage(System.err);
      System.exit(2);
      return;
    }
    run(cfg, System.out);
    System.exit(0);
  }

  static void run(Config cfg, PrintStream out) {
    AtomicInteger responses = new AtomicInteger();
    java.util.function.IntConsumer onResponseDone = n -> {
      int total = responses.incrementAndGet();
      if (cfg.stopAfter() > 0 && total == cfg.stopAfter()) {
        out.println("STOPPED responses=" + total);
        out.flush();
        try {
          Thread.sleep(Long.MAX_VALUE);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    };
    for (String name : cfg.clients()) {
      String callId = "rtc_" + Long.toHexString(new SecureRandom().nextLong() & Long.MAX_VALUE);
      RealtimeScenarios scenarios =
          new RealtimeScenarios(cfg.base(), cfg.apiKey(), cfg.project(), cfg.paceMillis(), onResponseDone, callId);
      try (RealtimeTransport transport = transport(name)) {
        for (String scenario : cfg.scenarios()) {
          String line;
          try {
            RealtimeScenarios.Outcome o = scenarios.run(transport, scenario);
            line = "status=" + o.status() + " sha256=" + o.sha256() + " length=" + o.messages()
                + " responses=" + o.responses();
          } catch (Exception e) {
            Throwable t = e;
            while (t.getCause() != null && (t instanceof java.util.concurrent.ExecutionException
                || t instanceof java.util.concurrent.CompletionException)) {
              t = t.getCause();
            }
            line = "status=EXC:" + t.getClass().getSimpleName() + " sha256=- length=-1 responses=0";
          }
          out.println("RESULT client=" + name + " scenario=" + scenario + " " + line);
          out.flush();
        }
      }
    }
  }

  static RealtimeTransport transport(String name) {
    return switch (name) {
      case "jdk" -> new JdkRealtime();
      case "okhttp" -> new OkHttpRealtime();
      case "jakarta" -> new JakartaRealtime(JakartaRealtime.Handlers.WHOLE);
      case "jakarta-partial" -> new JakartaRealtime(JakartaRealtime.Handlers.PARTIAL);
      case "jakarta-lambda" -> new JakartaRealtime(JakartaRealtime.Handlers.LAMBDA);
      case "jakarta-annotated" -> new AnnotatedJakartaRealtime(false);
      case "jakarta-annotated-class" -> new AnnotatedJakartaRealtime(true);
      default -> throw new IllegalArgumentException("unknown client " + name);
    };
  }

  static Config parse(String[] args, Map<String, String> env) {
    String base = null;
    String apiKey = env.get("OPENAI_API_KEY");
    String project = null;
    List<String> clients = CLIENTS;
    List<String> scenarios = RealtimeScenarios.ALL;
    long pace = 0;
    int stopAfter = 0;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(a + " needs a value");
      }
      String v = args[++i];
      switch (a) {
        case "--ws-url" -> base = v.endsWith("/") ? v.substring(0, v.length() - 1) : v;
        case "--api-key" -> apiKey = v;
        case "--project" -> project = v.isEmpty() ? null : v;
        case "--clients" -> clients = list(v, CLIENTS, "client");
        case "--scenarios" -> scenarios = v.equals("all") ? RealtimeScenarios.ALL : list(v, RealtimeScenarios.KNOWN, "scenario");
        case "--pace-ms" -> pace = number(a, v);
        case "--stop-after" -> stopAfter = (int) number(a, v);
        default -> throw new IllegalArgumentException("unknown option " + a);
      }
    }
    if (base == null || !(base.startsWith("ws://") || base.startsWith("wss://"))) {
      throw new IllegalArgumentException("--ws-url must be the simulator's WebSocket URL, e.g. ws://127.0.0.1:PORT");
    }
    if (apiKey == null || apiKey.isBlank()) {
      throw new IllegalArgumentException("an API key is required (--api-key or OPENAI_API_KEY)");
    }
    return new Config(URI.create(base), apiKey, project, clients, scenarios, pace, stopAfter);
  }

  private static long number(String option, String v) {
    try {
      long n = Long.parseLong(v);
      if (n < 0) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + " must be a whole number >= 0: " + v);
    }
  }

  private static List<String> list(String csv, List<String> known, String what) {
    List<String> out = new ArrayList<>();
    for (String s : csv.split(",")) {
      String t = s.trim();
      if (t.isEmpty()) {
        continue;
      }
      if (!known.contains(t)) {
        throw new IllegalArgumentException("unknown " + what + " '" + t + "'; known: " + String.join(",", known));
      }
      out.add(t);
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("no " + what + " given");
    }
    return List.copyOf(out);
  }

  private static void usage(PrintStream out) {
    out.println("usage: java -cp tokenledger-demo-app.jar " + RealtimeDemo.class.getName() + " --ws-url ws://127.0.0.1:PORT [options]");
    out.println("  --api-key KEY        API key (default: $OPENAI_API_KEY); never printed");
    out.println("  --clients LIST       from: " + String.join(",", CLIENTS) + " (default: all)");
    out.println("  --scenarios LIST     'all' (" + String.join(",", RealtimeScenarios.ALL) + ") or from: "
        + String.join(",", RealtimeScenarios.KNOWN));
    out.println("  --project ID         send the OpenAI-Project header");
    out.println("  --pace-ms N          real-time pacing: audio appended in real time, one delta per N ms (default 0: at once)");
    out.println("  --stop-after N       after the N-th response.done print STOPPED and wait to be killed");
  }
}
