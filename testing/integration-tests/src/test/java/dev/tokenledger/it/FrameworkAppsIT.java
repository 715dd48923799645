package dev.tokenledger.it;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.tokenledger.apps.Requests;
import dev.tokenledger.simulator.GroundTruth;
import dev.tokenledger.simulator.OpenAiSimulator;
import dev.tokenledger.simulator.RealtimeConnectionTruth;
import dev.tokenledger.simulator.TestCertificate;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Real frameworks and clients as applications ({@code testing/framework-apps}), each in a child JVM under
 * the real upstream agent with the extension, calling the simulator as their users would (Azure over
 * HTTPS), on the Java running the build and again on Java 25.
 *
 * <p>Per framework and scenario: one ledger event per response the simulator sent, every field equal
 * to its ground truth; the application received the same bytes (a body read as bytes is the body the
 * simulator sent; what a framework hands over is the same as in a run of the app without the agent);
 * and the GenAI span sits where the README says beside the HTTP client span, in one trace. Per app: the
 * token counters add up, no record without a response, nothing secret exported, no instrumentation
 * error, no Netty buffer leak. And no call unseen: with the hook of its transport switched off, each
 * call still leaves exactly one {@code missing} record that names the uncaptured transport.
 *
 * <p>Each app runs once per runtime, all its scenarios in one JVM (and once more without the agent when
 * it reports parsed results); the tests of its scenarios read that run.
 */
class FrameworkAppsIT extends AgentTestBase {

  static final String API_KEY = HttpUsageIT.API_KEY;
  static final Path FRAMEWORK_APPS = Paths.get(System.getProperty("tokenledger.it.frameworkApps", "../framework-apps"));
  static final String TARGET = System.getProperty("tokenledger.it.target", "target");

  /** Where TokenLedger's GenAI span sits beside the HTTP client span of the same call (README, "Frameworks"). */
  enum Spans {
    /** TokenLedger's hook is the outermost instrumented layer: the HTTP span is the GenAI span's child. */
    GENAI_ABOVE_HTTP,
    /** The library opens its HTTP span above TokenLedger's hook: the GenAI span is that span's child. */
    HTTP_ABOVE_GENAI,
    /** A WebSocket connection span with one child span per response. */
    REALTIME
  }

  record App(String name, String module, String mainClass, Spans spans, boolean netty, List<String> scenarios) {
    @Override
    public String toString() {
      return name;
    }

    /**
     * The span relation of one scenario. The Spring AI 1 starter streams through Spring's
     * {@code WebClient} on the JDK client: the upstream agent's WebClient span opens above the JDK
     * client, where TokenLedger's hook is, while its blocking calls go through {@code RestClient},
     * which has no span of its own above the hook.
     */
    Spans spans(String scenario) {
      return this.name.equals("Spring AI 1 (starter)") && scenario.startsWith("stream") ? Spans.HTTP_ABOVE_GENAI : spans;
    }
  }

  static final String SPRING_AI_1 = "dev.tokenledger.apps.springai.SpringAi1App";
  static final App SPRING_AI_1_STARTER = new App("Spring AI 1 (starter)", "spring-ai-1", SPRING_AI_1,
      Spans.GENAI_ABOVE_HTTP, false, List.of("call", "stream", "stream-no-usage"));
  static final App SPRING_AI_1_WEBFLUX = new App("Spring AI 1 with WebFlux", "spring-ai-1-webflux", SPRING_AI_1,
      Spans.HTTP_ABOVE_GENAI, true, List.of("call", "stream", "stream-no-usage"));
  static final App SPRING_AI_2 = new App("Spring AI 2", "spring-ai-2", "dev.tokenledger.apps.springai2.SpringAi2App",
      Spans.GENAI_ABOVE_HTTP, false, List.of("call", "stream"));
  static final App LANGCHAIN4J = new App("LangChain4j", "clients", "dev.tokenledger.apps.clients.LangChain4jApp",
      Spans.GENAI_ABOVE_HTTP, false, List.of("chat", "streaming", "embeddings"));
  static final App AZURE = new App("Azure OpenAI SDK (Netty)", "azure-openai",
      "dev.tokenledger.apps.azure.AzureOpenAiApp", Spans.HTTP_ABOVE_GENAI, true,
      List.of("chat", "chat-stream", "embeddings"));
  static final App WEBCLIENT = new App("Spring WebClient", "spring-ai-1-webflux",
      "dev.tokenledger.apps.webflux.WebClientApp", Spans.HTTP_ABOVE_GENAI, true,
      List.of("chat", "chat-stream", "responses-stream"));
  static final App VERTX = new App("Vert.x web client", "clients", "dev.tokenledger.apps.clients.VertxApp",
      Spans.HTTP_ABOVE_GENAI, true, List.of("chat", "chat-stream"));
  static final App HTTP_URL_CONNECTION = new App("HttpURLConnection", "clients",
      "dev.tokenledger.apps.clients.HttpUrlConnectionApp", Spans.GENAI_ABOVE_HTTP, false,
      List.of("chat", "chat-stream", "responses-fixed-length"));
  static final App APACHE_ASYNC = new App("Apache HttpClient 5 async", "clients",
      "dev.tokenledger.apps.clients.ApacheAsyncApp", Spans.GENAI_ABOVE_HTTP, false, List.of("chat", "chat-stream"));
  static final App APACHE_4 = new App("Apache HttpClient 4", "clients", "dev.tokenledger.apps.clients.Apache4App",
      Spans.GENAI_ABOVE_HTTP, false, List.of("chat", "chat-stream"));
  static final App OPENAI_JAVA = new App("openai-java", "clients", "dev.tokenledger.apps.clients.OpenAiJavaApp",
      Spans.GENAI_ABOVE_HTTP, false, List.of("async", "stream", "async-stream"));
  static final App REALTIME_REACTOR_NETTY = new App("Realtime over Reactor Netty", "spring-ai-1-webflux",
      "dev.tokenledger.apps.webflux.ReactorNettyRealtimeApp", Spans.REALTIME, true, List.of("conversation"));

  static final List<App> APPS = List.of(SPRING_AI_1_STARTER, SPRING_AI_1_WEBFLUX, SPRING_AI_2, LANGCHAIN4J, AZURE,
      WEBCLIENT, VERTX, HTTP_URL_CONNECTION, APACHE_ASYNC, APACHE_4, OPENAI_JAVA, REALTIME_REACTOR_NETTY);

  /** The runtimes every app runs on. */
  enum JavaRuntime {
    BUILD,
    JAVA_25;

    AgentRun.Jvm jvm() {
      return this == BUILD ? AgentRun.Jvm.current() : AgentRun.Jvm.java25();
    }

    @Override
    public String toString() {
      return this == BUILD ? AgentRun.Jvm.current().name() : "Java 25";
    }
  }

  /** One app's run under the agent on one runtime, kept for the tests of its scenarios. */
  record AppRun(
      AgentRun.Result run,
      List<String> withoutAgent,
      List<GroundTruth> truth,
      List<RealtimeConnectionTruth> connections,
      Exported exported) {

    List<String> lines(String scenario) {
      return run.resultLines().stream().filter(l -> scenario.equals(field(l, "scenario"))).toList();
    }

    String output() {
      return "stdout:\n" + run.stdout() + "\nstderr:\n" + run.stderr();
    }
  }

  private static final Map<String, AppRun> RUNS = new HashMap<>();
  static TestCertificate certificate;

  @BeforeAll
  static void serveHttps() throws IOException {
    certificate = TestCertificate.create(Files.createTempDirectory("framework-apps-tls"));
    simulator.serveHttps(certificate.serverContext());
  }

  /**
   * {@code -Dtokenledger.it.frameworks=Java 25: Vert.x,LangChain4j} runs only the runtime/app pairs whose
   * name ("Java 25: Vert.x web client") contains one of the given parts; by default, all.
   */
  private static boolean selected(JavaRuntime runtime, App app) {
    String only = System.getProperty("tokenledger.it.frameworks", "");
    if (only.isBlank()) {
      return true;
    }
    String name = runtime + ": " + app.name();
    return Stream.of(only.split(",")).anyMatch(part -> name.contains(part.strip()));
  }

  static Stream<Arguments> scenarios() {
    List<Arguments> out = new ArrayList<>();
    for (JavaRuntime runtime : JavaRuntime.values()) {
      for (App app : APPS) {
        for (String scenario : app.scenarios()) {
          if (selected(runtime, app)) {
            out.add(Arguments.of(runtime, app, scenario));
          }
        }
      }
    }
    return out.stream();
  }

  static Stream<Arguments> apps() {
    return Stream.of(JavaRuntime.values())
        .flatMap(r -> APPS.stream().filter(a -> selected(r, a)).map(a -> Arguments.of(r, a)));
  }

  @ParameterizedTest(name = "{0}: {1}, {2}")
  @MethodSource("scenarios")
  void eachResponseIsRecordedOnceExactlyAndTheAppSeesTheSameBytes(JavaRuntime runtime, App app, String scenario)
      throws Exception {
    AppRun r = run(runtime, app);
    List<String> lines = r.lines(scenario);
    assertFalse(lines.isEmpty(), () -> "no RESULT for " + scenario + ":\n" + r.output());
    for (String line : lines) {
      assertEquals("ok", field(line, "status"), () -> "the call failed in the app: " + line + "\n" + r.output());
    }
    if (app.spans() == Spans.REALTIME) {
      List<GroundTruth> truth = r.truth().stream().filter(GroundTruth::realtime).toList();
      assertFalse(truth.isEmpty(), "the simulator sent no Realtime response");
      assertAll(
          () -> RealtimeUsageIT.assertLedgerEqualsGroundTruth(truth, r.exported(), false),
          () -> RealtimeUsageIT.assertApplicationReceivedWhatWasSent(lines, r.connections()),
          () -> RealtimeUsageIT.assertSpans(truth, r.connections(), r.exported()));
      return;
    }
    Set<String> models = lines.stream().map(l -> field(l, "model")).collect(Collectors.toSet());
    List<GroundTruth> truth =
        r.truth().stream().filter(t -> !t.realtime() && models.contains(t.requestModel())).toList();
    assertEquals(lines.size(), truth.size(), () -> "one response per call: the app made " + lines.size()
        + " calls with " + models + ", the simulator answered " + truth.size());
    List<GroundTruth> billable = truth.stream().filter(t -> !t.usageSource().equals("none")).toList();
    Set<String> requestIds = billable.stream().map(GroundTruth::requestId).collect(Collectors.toSet());
    List<LogRecord> events = usageEvents(r.exported()).stream()
        .filter(e -> requestIds.contains(String.valueOf(Otlp.attributes(e.getAttributesList()).get("openai.request.id"))))
        .toList();
    assertAll(
        () -> HttpUsageIT.assertLedgerEqualsGroundTruth(billable, events, null),
        () -> assertApplicationReceivedTheSameBytes(r, scenario, lines, truth),
        () -> assertSpanParentage(app.spans(scenario), billable, r.exported()));
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("apps")
  void countersAddUpAndNothingElseIsRecorded(JavaRuntime runtime, App app) throws Exception {
    AppRun r = run(runtime, app);
    assertEquals(0, r.run().exitCode(), r::output);
    List<GroundTruth> billable = r.truth().stream().filter(t -> !t.usageSource().equals("none")).toList();
    assertAll(
        () -> HttpUsageIT.assertTokenCountersAddUp(billable, r.exported()),
        () -> assertEquals(r.truth().size(), Otlp.sumPoints(r.exported().metrics(), "tokenledger.requests").stream()
                .mapToLong(p -> p.getValue().longValue()).sum(),
            "tokenledger.requests: one per response the simulator sent"),
        () -> assertEveryRecordHasAResponse(r),
        () -> assertNoSecretsExported(r.exported()),
        () -> RealtimeUsageIT.assertNoInstrumentationErrors(r.run().stderr()),
        () -> assertFalse((r.run().stdout() + r.run().stderr()).contains("LEAK:"),
            () -> "Netty reported a buffer leak:\n" + r.output()));
  }

  /**
   * No call is ever unseen: with its transport's TokenLedger hook switched off, a call to an OpenAI host
   * is still recorded, once, as {@code missing} with a diagnostic that names the transport. A
   * {@code tokenledger.it.frameworks} selection may hold none of the apps this runs for.
   */
  @ParameterizedTest(name = "{0}: {1} with {2} switched off", allowZeroInvocations = true)
  @MethodSource("uncaptured")
  void aCallNoHookReadStillLeavesOneMissingRecord(JavaRuntime runtime, App app, String hook) throws Exception {
    AgentRun.Result run = runUnderAgent(runtime.jvm(), app, List.of("-Dotel.instrumentation." + hook + ".enabled=false"));
    assertEquals(0, run.exitCode(), () -> run.stdout() + run.stderr());
    assertTrue(run.resultLines().stream().allMatch(l -> "ok".equals(field(l, "status"))), () -> run.stdout() + run.stderr());
    List<GroundTruth> truth = simulator.groundTruth();
    List<Map<String, Object>> events =
        usageEvents(receiver).stream().map(e -> Otlp.attributes(e.getAttributesList())).toList();
    assertEquals(app.scenarios().size(), truth.size(), "one response per scenario");
    assertEquals(truth.size(), events.size(), () -> "one record per call the hook did not read; got " + events);
    for (Map<String, Object> event : events) {
      assertEquals("missing", event.get("tokenledger.usage.source"), () -> "recorded as " + event);
      assertTrue(String.valueOf(event.get("tokenledger.usage.diagnostic")).startsWith("uncaptured transport:"),
          () -> "the diagnostic names the transport that carried the call: " + event);
      for (String field : HttpUsageIT.TOKEN_FIELDS) {
        assertEquals(0L, Otlp.tokenField(event, field),
            () -> "no tokens on a call nobody read: " + event);
      }
    }
    double counted = Otlp.sumPoints(receiver.metrics(), "tokenledger.requests").stream()
        .filter(p -> "missing".equals(p.getKey().get("tokenledger.usage.source")))
        .mapToDouble(Map.Entry::getValue).sum();
    assertEquals(truth.size(), (long) counted, "counted in tokenledger.requests as missing");
  }

  static Stream<Arguments> uncaptured() {
    return Stream.of(JavaRuntime.values()).flatMap(r -> Stream.of(
            Arguments.of(r, WEBCLIENT, "tokenledger-netty"),
            Arguments.of(r, OPENAI_JAVA, "tokenledger-okhttp")))
        .filter(a -> selected((JavaRuntime) a.get()[0], (App) a.get()[1]));
  }

  // ------------------------------------------------------------------ running the apps

  private static AppRun run(JavaRuntime runtime, App app) throws Exception {
    String key = runtime + " " + app.name();
    AppRun kept = RUNS.get(key);
    if (kept != null) {
      return kept;
    }
    AgentRun.Jvm jvm = runtime.jvm();
    simulator.reset();
    receiver.reset();
    AgentRun.Result withAgent = runUnderAgent(jvm, app, List.of());
    if (app.spans() == Spans.REALTIME) {
      simulator.awaitRealtimeIdle(1, Duration.ofSeconds(10));
    }
    List<GroundTruth> truth = simulator.groundTruth();
    List<RealtimeConnectionTruth> connections = simulator.realtimeConnections();
    Exported exported = Exported.Snapshot.of(receiver);
    List<String> withoutAgent = List.of();
    if (withAgent.resultLines().stream().anyMatch(l -> "parsed".equals(field(l, "bytes")))) {
      // The same calls after a reset get the same answers (ids and timestamps aside): what the framework
      // hands over must be the same with and without the agent.
      simulator.reset();
      AgentRun.Result plain = AgentRun.runApp(jvm, AgentRun.Agent.NONE, receiver.endpoint(), jvmArgs(app),
          environment(), classpath(app.module()), app.mainClass(), "--scenarios", String.join(",", app.scenarios()));
      withoutAgent = plain.resultLines();
    }
    simulator.reset();
    receiver.reset();
    AppRun r = new AppRun(withAgent, withoutAgent, truth, connections, exported);
    RUNS.put(key, r);
    return r;
  }

  private static AgentRun.Result runUnderAgent(AgentRun.Jvm jvm, App app, List<String> moreJvmArgs) throws Exception {
    List<String> args = new ArrayList<>(jvmArgs(app));
    args.add("-Dotel.service.name=tokenledger-framework-app");
    args.addAll(moreJvmArgs);
    return AgentRun.runApp(jvm, AgentRun.Agent.UPSTREAM_WITH_EXTENSION, receiver.endpoint(), args, environment(),
        classpath(app.module()), app.mainClass(), "--scenarios", String.join(",", app.scenarios()));
  }

  private static List<String> jvmArgs(App app) {
    List<String> args = new ArrayList<>(certificate.trustStoreJvmArgs());
    // These JVMs live for seconds: the quick compiler alone halves the CPU time the agent's start takes.
    args.add("-XX:TieredStopAtLevel=1");
    // Azure reaches the simulator as https://localhost (its certificate's name).
    args.add("-Dotel.instrumentation.tokenledger.hosts=127.0.0.1,localhost");
    if (app.netty()) {
      args.add("-Dio.netty.leakDetection.level=paranoid");
    }
    return args;
  }

  private static Map<String, String> environment() {
    return Map.of(
        "OPENAI_BASE_URL", simulator.baseUrl(),
        "OPENAI_API_KEY", API_KEY,
        "AZURE_OPENAI_ENDPOINT", simulator.httpsEndpoint(),
        "OPENAI_REALTIME_URL", simulator.realtimeUri());
  }

  /** The module's classes and the runtime class path its build wrote. */
  static String classpath(String module) throws IOException {
    Path dir = FRAMEWORK_APPS.resolve(module).resolve(TARGET);
    Path written = dir.resolve("app-classpath.txt");
    if (!Files.exists(written)) {
      throw new IllegalStateException(written + " is missing: build testing/framework-apps first (mvn verify from the top)");
    }
    return dir.resolve("classes") + java.io.File.pathSeparator + Files.readString(written, StandardCharsets.UTF_8).strip();
  }

  // ------------------------------------------------------------------ checks

  /**
   * Bodies read as bytes are, call by call, the bodies the simulator sent; what a framework handed over
   * is what the same app got without the agent.
   */
  private static void assertApplicationReceivedTheSameBytes(
      AppRun r, String scenario, List<String> lines, List<GroundTruth> truth) {
    List<String> raw = lines.stream().filter(l -> "raw".equals(field(l, "bytes"))).toList();
    List<String> parsed = lines.stream().filter(l -> "parsed".equals(field(l, "bytes"))).toList();
    if (!raw.isEmpty()) {
      List<String> received = raw.stream().map(l -> field(l, "sha256") + "/" + field(l, "length")).sorted().toList();
      List<String> sent = truth.stream().map(t -> t.bodySha256() + "/" + t.bodyLength()).sorted().toList();
      assertEquals(sent, received, "the bodies the app read are the bodies the simulator sent (sha256/length)");
    }
    if (!parsed.isEmpty()) {
      List<String> withoutAgent = r.withoutAgent().stream().filter(l -> scenario.equals(field(l, "scenario"))).toList();
      assertEquals(withoutAgent, parsed, "what the framework handed the app is the same without the agent");
    }
  }

  /** Each call's GenAI span and its HTTP client span, in one trace, the one the parent of the other as expected. */
  private static void assertSpanParentage(Spans expected, List<GroundTruth> billable, Exported exported) {
    List<Span> spans = exported.spans();
    Map<ByteString, Span> byId = spans.stream().collect(Collectors.toMap(Span::getSpanId, s -> s, (a, b) -> a));
    List<String> problems = new ArrayList<>();
    for (GroundTruth t : billable) {
      Span genAi = spans.stream()
          .filter(s -> s.getKind() == Span.SpanKind.SPAN_KIND_CLIENT)
          .filter(s -> {
            Map<String, Object> a = Otlp.attributes(s.getAttributesList());
            return a.containsKey("tokenledger.api") && t.requestId().equals(a.get("openai.request.id"));
          })
          .findFirst().orElse(null);
      if (genAi == null) {
        problems.add("no GenAI span for " + t.api() + " " + t.requestModel() + " " + t.requestId());
        continue;
      }
      Span parent = byId.get(genAi.getParentSpanId());
      List<Span> httpChildren = spans.stream()
          .filter(s -> isHttpClientSpan(s) && s.getParentSpanId().equals(genAi.getSpanId()))
          .toList();
      String where = "GenAI span '" + genAi.getName() + "' of " + t.requestModel() + ": parent "
          + (parent == null ? "none" : "'" + parent.getName() + "'" + (isHttpClientSpan(parent) ? " (HTTP client)" : ""))
          + ", HTTP client children " + httpChildren.stream().map(Span::getName).toList();
      boolean sameTrace = (parent == null || parent.getTraceId().equals(genAi.getTraceId()))
          && httpChildren.stream().allMatch(s -> s.getTraceId().equals(genAi.getTraceId()));
      if (!sameTrace) {
        problems.add("not one trace: " + where);
      }
      switch (expected) {
        case GENAI_ABOVE_HTTP -> {
          if (httpChildren.isEmpty() || (parent != null && isHttpClientSpan(parent))) {
            problems.add("expected the HTTP client span under the GenAI span: " + where);
          }
        }
        case HTTP_ABOVE_GENAI -> {
          if (parent == null || !isHttpClientSpan(parent)) {
            problems.add("expected the GenAI span under the HTTP client span: " + where);
          }
        }
        case REALTIME -> throw new IllegalArgumentException("Realtime spans are checked by RealtimeUsageIT.assertSpans");
      }
    }
    assertTrue(problems.isEmpty(), () -> String.join("\n", problems));
  }

  /** A CLIENT span with an HTTP method (current or older conventions' name) that is not TokenLedger's. */
  private static boolean isHttpClientSpan(Span span) {
    Map<String, Object> a = Otlp.attributes(span.getAttributesList());
    return span.getKind() == Span.SpanKind.SPAN_KIND_CLIENT
        && (a.containsKey("http.request.method") || a.containsKey("http.method"))
        && !a.containsKey("tokenledger.api");
  }

  /** Every ledger event is for a response the simulator sent (HTTP by request id, Realtime by response id). */
  private static void assertEveryRecordHasAResponse(AppRun r) {
    Set<String> requestIds = r.truth().stream().map(GroundTruth::requestId).filter(Objects::nonNull).collect(Collectors.toSet());
    Set<String> responseIds =
        r.truth().stream().map(GroundTruth::responseId).filter(Objects::nonNull).collect(Collectors.toSet());
    List<Map<String, Object>> strays = new ArrayList<>();
    for (LogRecord event : usageEvents(r.exported())) {
      Map<String, Object> a = Otlp.attributes(event.getAttributesList());
      boolean known = String.valueOf(a.get("tokenledger.api")).startsWith("realtime")
          ? responseIds.contains(String.valueOf(a.get("gen_ai.response.id")))
          : requestIds.contains(String.valueOf(a.get("openai.request.id")));
      if (!known) {
        strays.add(a);
      }
    }
    assertTrue(strays.isEmpty(), () -> "records for no response the simulator sent: " + strays);
  }

  private static void assertNoSecretsExported(Exported exported) {
    String text = new String(exported.rawBytes(), StandardCharsets.ISO_8859_1);
    assertFalse(text.contains(API_KEY), "the API key was exported");
    assertFalse(text.contains(API_KEY.substring(8, 30)), "part of the API key was exported");
    assertFalse(text.contains(OpenAiSimulator.COMPLETION_MARKER), "completion text was exported");
    assertFalse(text.contains(OpenAiSimulator.TRANSCRIPT_MARKER), "transcript text was exported");
    assertFalse(text.contains(Requests.PROMPT), "the prompt was exported");
    assertFalse(text.contains(Requests.REALTIME_TEXT), "the Realtime user text was exported");
  }

  private static List<LogRecord> usageEvents(Exported exported) {
    return exported.logs().stream().filter(Otlp::isUsageEvent).toList();
  }

  static String field(String line, String name) {
    return RealtimeUsageIT.field(line, name);
  }
}
