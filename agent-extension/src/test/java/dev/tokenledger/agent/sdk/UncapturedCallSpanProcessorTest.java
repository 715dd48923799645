package dev.tokenledger.agent.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.tokenledger.agent.CallProbe;
import dev.tokenledger.agent.OpenAiCall;
import dev.tokenledger.agent.OpenAiInstrumenter;
import dev.tokenledger.agent.RealtimeConnection;
import dev.tokenledger.agent.TokenLedgerConfig;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.logs.export.SimpleLogRecordProcessor;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryLogRecordExporter;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTP client spans of other instrumentations, as the agent's SDK shows them to the processor,
 * against an SDK of its own whose TokenLedger spans come from a real {@link OpenAiInstrumenter}: a
 * call no TokenLedger span is related to becomes exactly one {@code missing} record; a call one is
 * related to, in either direction, none; and nothing else is a candidate.
 */
class UncapturedCallSpanProcessorTest {

  static final String REACTOR_NETTY = "io.opentelemetry.reactor-netty-1.0";
  static final String CHAT_URL = "https://api.openai.com/v1/chat/completions";
  static final String CHAT_RESPONSE =
      "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"gpt-4o-2024-08-06\","
          + "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":5,\"total_tokens\":17}}";

  static final AttributeKey<String> SOURCE = AttributeKey.stringKey("tokenledger.usage.source");
  static final AttributeKey<String> DIAGNOSTIC = AttributeKey.stringKey("tokenledger.usage.diagnostic");
  static final AttributeKey<String> STATUS = AttributeKey.stringKey("tokenledger.status");
  static final AttributeKey<String> API = AttributeKey.stringKey("tokenledger.api");

  final InMemoryLogRecordExporter logs = InMemoryLogRecordExporter.create();
  final InMemorySpanExporter spans = InMemorySpanExporter.create();
  final InMemoryMetricReader metrics = InMemoryMetricReader.createDelta();
  OpenAiInstrumenter instrumenter;
  final UncapturedCallSpanProcessor processor = processor(UncapturedCallSpanProcessor.MAX_OPEN_SPANS);
  final OpenTelemetrySdk sdk = sdk(processor);

  {
    instrumenter = OpenAiInstrumenter.create(sdk);
  }

  UncapturedCallSpanProcessor processor(int maxOpenSpans) {
    return new UncapturedCallSpanProcessor(
        TokenLedgerConfig.fromEnvironment().hosts(), () -> instrumenter, maxOpenSpans);
  }

  OpenTelemetrySdk sdk(UncapturedCallSpanProcessor watcher) {
    return OpenTelemetrySdk.builder()
        .setTracerProvider(
            SdkTracerProvider.builder()
                .addSpanProcessor(watcher)
                .addSpanProcessor(SimpleSpanProcessor.create(spans))
                .build())
        .setLoggerProvider(
            SdkLoggerProvider.builder().addLogRecordProcessor(SimpleLogRecordProcessor.create(logs)).build())
        .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(metrics).build())
        .build();
  }

  @AfterEach
  void nothingIsLeftOpen() {
    assertEquals(0, processor.openSpans(), "spans still followed after every span ended");
    assertEquals(0, processor.unpairedSiblings(), "spans still waiting for a sibling after every span ended");
    sdk.close();
  }

  // ---- uncovered calls ----

  @Test
  void aCallNoTransportReadIsOneMissingRecordNamingTheInstrumentation() {
    Span http = httpSpan(REACTOR_NETTY, "POST", CHAT_URL, Context.root());
    http.setAttribute("http.response.status_code", 200L);
    http.end();

    LogRecordData record = onlyRecord();
    Attributes a = record.getAttributes();
    assertEquals("tokenledger.usage", record.getEventName());
    assertEquals("missing", a.get(SOURCE));
    assertEquals("uncaptured transport: reactor-netty-1.0", a.get(DIAGNOSTIC));
    assertEquals("completed", a.get(STATUS));
    assertEquals("chat.completions", a.get(API));
    assertEquals("chat", a.get(AttributeKey.stringKey("gen_ai.operation.name")));
    assertEquals("openai", a.get(AttributeKey.stringKey("gen_ai.provider.name")));
    assertEquals("api.openai.com", a.get(AttributeKey.stringKey("server.address")));
    assertEquals(443L, a.get(AttributeKey.longKey("server.port")));
    assertEquals(200L, a.get(AttributeKey.longKey("http.response.status_code")));
    assertEquals(0L, a.get(AttributeKey.longKey("tokenledger.usage.input_tokens")));
    assertEquals(0L, a.get(AttributeKey.longKey("tokenledger.usage.output_tokens")));
    // The record links to the HTTP span that saw the call.
    assertEquals(http.getSpanContext(), record.getSpanContext());
    assertEquals(Map.of("chat.completions/completed/missing", 1L), requests());
    // Recording it started no span: only the client's own was exported.
    assertEquals(List.of(http.getSpanContext()), spans.getFinishedSpanItems().stream().map(SpanData::getSpanContext).toList());
  }

  @Test
  void anAzureDeploymentCallNamesTheDeploymentAsItsModel() {
    Span http =
        httpSpan(
            "io.opentelemetry.vertx-http-client-4.0", "POST",
            "https://contoso.openai.azure.com/openai/deployments/embed-prod/embeddings?api-version=2024-10-21",
            Context.root());
    http.setAttribute("http.response.status_code", 200L);
    http.end();

    Attributes a = onlyRecord().getAttributes();
    assertEquals("uncaptured transport: vertx-http-client-4.0", a.get(DIAGNOSTIC));
    assertEquals("embeddings", a.get(API));
    assertEquals("azure.ai.openai", a.get(AttributeKey.stringKey("gen_ai.provider.name")));
    assertEquals("embed-prod", a.get(AttributeKey.stringKey("gen_ai.request.model")));
    assertEquals("embed-prod", a.get(AttributeKey.stringKey("tokenledger.azure.deployment")));
    assertEquals("2024-10-21", a.get(AttributeKey.stringKey("tokenledger.azure.api_version")));
  }

  @Test
  void anErrorResponseIsCountedWithoutALedgerRowAsTheTransportsCountIt() {
    Span http = httpSpan(REACTOR_NETTY, "POST", CHAT_URL, Context.root());
    http.setAttribute("http.response.status_code", 429L);
    http.setAttribute("error.type", "429");
    http.end();

    assertEquals(List.of(), logs.getFinishedLogRecordItems());
    assertEquals(Map.of("chat.completions/error/none", 1L), requests());
  }

  @Test
  void aFailureBeforeAnyResponseIsACountedFailedRequest() {
    Span http = httpSpan(REACTOR_NETTY, "POST", CHAT_URL, Context.root());
    http.setAttribute("error.type", "java.net.ConnectException");
    http.end();

    assertEquals(List.of(), logs.getFinishedLogRecordItems());
    assertEquals(Map.of("chat.completions/error/none", 1L), requests());
  }

  @Test
  void anAcceptedRealtimeHandshakeIsOneMissingRecordOfTheRealtimeApi() {
    Span http =
        httpSpan(REACTOR_NETTY, "GET", "wss://api.openai.com/v1/realtime?model=gpt-realtime", Context.root());
    http.setAttribute("http.response.status_code", 101L);
    http.end();

    Attributes a = onlyRecord().getAttributes();
    assertEquals("missing", a.get(SOURCE));
    assertEquals("realtime", a.get(API));
    assertEquals("uncaptured transport: reactor-netty-1.0", a.get(DIAGNOSTIC));
    assertEquals("gpt-realtime", a.get(AttributeKey.stringKey("gen_ai.request.model")));
    Collection<MetricData> collected = metrics.collectAllMetrics();
    assertEquals(Map.of("realtime/completed/missing", 1L), requests(collected));
    assertEquals(1L, sum(collected, "tokenledger.realtime.connections"));
  }

  @Test
  void aRefusedRealtimeHandshakeRecordsNothing() {
    Span http = httpSpan(REACTOR_NETTY, "GET", "wss://api.openai.com/v1/realtime?model=gpt-realtime", Context.root());
    http.setAttribute("http.response.status_code", 401L);
    http.end();

    assertEquals(List.of(), logs.getFinishedLogRecordItems());
    assertEquals(Map.of(), requests());
  }

  @Test
  void nestedHttpSpansOfOneCallAreOneRecordNamingTheInnermost() {
    Span outer = httpSpan("azure-core", "POST", CHAT_URL, Context.root());
    Span inner = httpSpan(REACTOR_NETTY, "POST", CHAT_URL, Context.root().with(outer));
    inner.setAttribute("http.response.status_code", 200L);
    inner.end();
    outer.setAttribute("http.response.status_code", 200L);
    outer.end();

    Attributes a = onlyRecord().getAttributes();
    assertEquals("uncaptured transport: reactor-netty-1.0", a.get(DIAGNOSTIC));
    assertEquals(outer.getSpanContext(), logs.getFinishedLogRecordItems().get(0).getSpanContext());
  }

  @Test
  void aTokenLedgerSpanStartedAfterTheCallEndedDoesNotCoverIt() {
    Span http = httpSpan(REACTOR_NETTY, "POST", CHAT_URL, Context.root());
    http.setAttribute("http.response.status_code", 200L);
    http.end();
    Span late = sdk.getTracer("tokenledger").spanBuilder("chat").setParent(Context.root().with(http)).startSpan();
    late.end();

    assertEquals("missing", onlyRecord().getAttributes().get(SOURCE));
  }

  // ---- covered calls ----

  @Test
  void aCallInsideATokenLedgerCallIsNotRecordedAgain() {
    OpenAiCall call = startChat();
    try (Scope ignored = call.makeCurrent()) {
      // The client's own work under the call: an internal span, then its HTTP span.
      Span work = sdk.getTracer("io.opentelemetry.spring-webflux-5.3").spanBuilder("work").startSpan();
      Span http = httpSpan("io.opentelemetry.okhttp-3.0", "POST", CHAT_URL, Context.current().with(work));
      http.setAttribute("http.response.status_code", 200L);
      http.end();
      work.end();
    }
    answer(call);

    LogRecordData record = onlyRecord();
    assertEquals("reported", record.getAttributes().get(SOURCE));
  }

  @Test
  void aCallWhoseHookStartsATokenLedgerSpanBeneathItIsNotRecordedAgain() {
    Span http = httpSpan(REACTOR_NETTY, "POST", CHAT_URL, Context.root());
    // The pipeline below the client: a connect span, and under it the hook's call.
    Span connect = sdk.getTracer("io.opentelemetry.netty-4.1").spanBuilder("CONNECT").setParent(Context.root().with(http))
        .startSpan();
    OpenAiCall call;
    try (Scope ignored = Context.root().with(connect).makeCurrent()) {
      call = startChat();
    }
    connect.end();
    answer(call);
    http.setAttribute("http.response.status_code", 200L);
    http.end();

    assertEquals("reported", onlyRecord().getAttributes().get(SOURCE));
  }

  @Test
  void aHookWhoseParentCameFromTheTraceparentHeaderAsARemoteContextStillCoversTheCall() {
    Span http = httpSpan(REACTOR_NETTY, "POST", CHAT_URL, Context.root());
    SpanContext sc = http.getSpanContext();
    // What a propagator's extract gives for the header the HTTP span wrote: the same ids, remote.
    Context fromHeader = Context.root().with(Span.wrap(
        SpanContext.createFromRemoteParent(sc.getTraceId(), sc.getSpanId(), sc.getTraceFlags(), sc.getTraceState())));
    OpenAiCall call;
    try (Scope ignored = fromHeader.makeCurrent()) {
      call = startChat();
    }
    answer(call);
    http.setAttribute("http.response.status_code", 200L);
    http.end();

    assertEquals("reported", onlyRecord().getAttributes().get(SOURCE));
  }

  @Test
  void aRealtimeHandshakeWhoseConnectionWasReadIsNotRecordedAgain() {
    Span http = httpSpan(REACTOR_NETTY, "GET", "wss://api.openai.com/v1/realtime?model=gpt-realtime", Context.root());
    try (Scope ignored = Context.root().with(http).makeCurrent()) {
      RealtimeConnection connection =
          instrumenter.startConnection(URI.create("wss://api.openai.com/v1/realtime?model=gpt-realtime"), null);
      assertNotNull(connection);
      connection.onClosed(1000);
    }
    http.setAttribute("http.response.status_code", 101L);
    http.end();

    assertEquals(List.of(), logs.getFinishedLogRecordItems());
  }

  // ---- siblings: the client's HTTP span and the call's span started from one parent ----

  @Test
  void anHttpSpanStartedBesideTheCallAfterItIsNotRecordedAgain() {
    Span request = serverSpan();
    OpenAiCall call;
    Span http;
    try (Scope ignored = Context.root().with(request).makeCurrent()) {
      call = startChat();
      http = httpSpan(REACTOR_NETTY, "POST", CHAT_URL, Context.current());
    }
    endWithStatus(http);
    answer(call);
    request.end();

    assertEquals("reported", onlyRecord().getAttributes().get(SOURCE));
    assertEquals(Map.of("chat.completions/completed/reported", 1L), requests());
  }

  @Test
  void anHttpSpanStartedBesideTheCallBeforeItIsNotRecordedAgain() {
    Span request = serverSpan();
    Span http = httpSpan(REACTOR_NETTY, "POST", CHAT_URL, Context.root().with(request));
    OpenAiCall call;
    try (Scope ignored = Context.root().with(request).makeCurrent()) {
      call = startChat();
    }
    answer(call);
    endWithStatus(http);
    request.end();

    assertEquals("reported", onlyRecord().getAttributes().get(SOURCE));
    assertEquals(Map.of("chat.completions/completed/reported", 1L), requests());
  }

  @Test
  void siblingsToAnotherServerOrAfterTheCallEndedAreCallsOfTheirOwn() {
    Span request = serverSpan();
    Context beside = Context.root().with(request);
    OpenAiCall call;
    try (Scope ignored = beside.makeCurrent()) {
      call = startChat();
    }
    endWithStatus(httpSpan(REACTOR_NETTY, "POST", "https://api.openai.com:8443/v1/chat/completions", beside));
    endWithStatus(httpSpan(REACTOR_NETTY, "POST", "https://contoso.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-10-21", beside));
    answer(call);
    endWithStatus(httpSpan(REACTOR_NETTY, "POST", CHAT_URL, beside));
    request.end();

    assertEquals(Map.of("chat.completions/completed/reported", 1L, "chat.completions/completed/missing", 3L), requests());
  }

  @Test
  void oneCallPairsWithOneSiblingSoTwoCallsSideBySideStayTwo() {
    Span request = serverSpan();
    Context beside = Context.root().with(request);
    Span read = httpSpan(REACTOR_NETTY, "POST", CHAT_URL, beside);
    Span unread = httpSpan(REACTOR_NETTY, "POST", CHAT_URL, beside);
    OpenAiCall call;
    try (Scope ignored = beside.makeCurrent()) {
      call = startChat();
    }
    answer(call);
    endWithStatus(read);
    endWithStatus(unread);
    request.end();

    assertEquals(Map.of("chat.completions/completed/reported", 1L, "chat.completions/completed/missing", 1L), requests());
  }

  @Test
  void aCallWithItsOwnHttpSpanBeneathItCoversNoSibling() {
    Span request = serverSpan();
    Context beside = Context.root().with(request);
    OpenAiCall call;
    try (Scope ignored = beside.makeCurrent()) {
      call = startChat();
    }
    try (Scope ignored = call.makeCurrent()) {
      endWithStatus(httpSpan("io.opentelemetry.okhttp-3.0", "POST", CHAT_URL, Context.current()));
    }
    // Another client's call to the same server from the same parent, not read.
    Span other = httpSpan(REACTOR_NETTY, "POST", CHAT_URL, beside);
    answer(call);
    endWithStatus(other);
    request.end();

    assertEquals(Map.of("chat.completions/completed/reported", 1L, "chat.completions/completed/missing", 1L), requests());
  }

  // ---- not candidates ----

  @Test
  void otherHostsReadsAndServerSpansAreNotCandidates() {
    endWithStatus(httpSpan(REACTOR_NETTY, "POST", "https://example.com/v1/chat/completions", Context.root()));
    endWithStatus(httpSpan(REACTOR_NETTY, "GET", "https://api.openai.com/v1/models", Context.root()));
    endWithStatus(httpSpan(REACTOR_NETTY, "GET", "https://api.openai.com/v1/responses/resp_1", Context.root()));
    endWithStatus(httpSpan(REACTOR_NETTY, "POST", "https://api.openai.com/v1/realtime?model=gpt-realtime", Context.root()));
    Span server =
        sdk.getTracer("io.opentelemetry.tomcat-10.0").spanBuilder("POST /v1/chat/completions")
            .setSpanKind(SpanKind.SERVER)
            .setAttribute("http.request.method", "POST")
            .setAttribute("server.address", "api.openai.com")
            .setAttribute("url.full", CHAT_URL)
            .startSpan();
    endWithStatus(server);
    Span noHttp = sdk.getTracer("io.opentelemetry.grpc-1.6").spanBuilder("call").setSpanKind(SpanKind.CLIENT)
        .setAttribute("server.address", "api.openai.com").startSpan();
    endWithStatus(noHttp);

    assertEquals(List.of(), logs.getFinishedLogRecordItems());
    assertEquals(Map.of(), requests());
  }

  // ---- the warning and the bounds ----

  @Test
  void eachInstrumentationIsWarnedAboutOnceAtFirstSight() {
    List<String> warnings = new ArrayList<>();
    Handler handler = new Handler() {
      @Override
      public void publish(LogRecord record) {
        warnings.add(record.getMessage());
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    Logger logger = Logger.getLogger("dev.tokenledger");
    logger.addHandler(handler);
    try {
      for (int i = 0; i < 3; i++) {
        endWithStatus(httpSpan("io.opentelemetry.first-client-1.0", "POST", CHAT_URL, Context.root()));
      }
      endWithStatus(httpSpan("io.opentelemetry.second-client-2.0", "POST", CHAT_URL, Context.root()));
      endWithStatus(httpSpan("io.opentelemetry.first-client-1.0", "POST", CHAT_URL, Context.root()));
    } finally {
      logger.removeHandler(handler);
    }

    assertEquals(5, logs.getFinishedLogRecordItems().size());
    assertEquals(1, warnings.stream().filter(w -> w.contains("first-client-1.0")).count(), warnings::toString);
    assertEquals(1, warnings.stream().filter(w -> w.contains("second-client-2.0")).count(), warnings::toString);
  }

  @Test
  void theSpansFollowedAreBoundedAndForgottenAtTheirEnd() {
    UncapturedCallSpanProcessor small = processor(100);
    // Its records go through the instrumenter of this class's SDK.
    try (OpenTelemetrySdk bounded =
        OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(small).build()).build()) {
      List<Span> open = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        open.add(bounded.getTracer("tokenledger").spanBuilder("chat").startSpan());
        open.add(httpSpan(bounded, REACTOR_NETTY, "POST", CHAT_URL, Context.root()));
      }
      assertEquals(100, small.openSpans());
      assertEquals(1900, small.notFollowed());
      // Spans of the application that are not calls cost nothing to keep.
      for (int i = 0; i < 1000; i++) {
        bounded.getTracer("io.opentelemetry.spring-webmvc-6.0").spanBuilder("work").startSpan().end();
      }
      assertEquals(100, small.openSpans());
      open.forEach(Span::end);
      assertEquals(0, small.openSpans());
      // The candidates that were followed (every other span of the first hundred) were recorded.
      assertEquals(50, logs.getFinishedLogRecordItems().size());
    }
  }

  @Test
  void urlsAreSplitIntoRawPathAndQuery() {
    assertEquals("/v1/realtime", UncapturedCallSpanProcessor.pathOf("wss://h:443/v1/realtime?model=x#f"));
    assertEquals("model=x", UncapturedCallSpanProcessor.queryOf("wss://h:443/v1/realtime?model=x#f"));
    assertEquals("/", UncapturedCallSpanProcessor.pathOf("https://h?x=1"));
    assertEquals("x=1", UncapturedCallSpanProcessor.queryOf("https://h?x=1"));
    assertEquals("/openai/deployments/a%2Fb/chat/completions",
        UncapturedCallSpanProcessor.pathOf("https://h/openai/deployments/a%2Fb/chat/completions"));
    assertNull(UncapturedCallSpanProcessor.queryOf("https://h/v1/embeddings#a?b"));
    assertEquals("/v1/embeddings", UncapturedCallSpanProcessor.pathOf("/v1/embeddings"));
  }

  // ---- helpers ----

  /** A span of the application's, the parent the call and the client's span may share. */
  Span serverSpan() {
    return sdk.getTracer("io.opentelemetry.tomcat-10.0").spanBuilder("POST /ask").setSpanKind(SpanKind.SERVER).startSpan();
  }

  Span httpSpan(String scope, String method, String url, Context parent) {
    return httpSpan(sdk, scope, method, url, parent);
  }

  static Span httpSpan(OpenTelemetrySdk sdk, String scope, String method, String url, Context parent) {
    URI uri = URI.create(url);
    long port = uri.getPort() > 0 ? uri.getPort() : 443;
    return sdk.getTracer(scope)
        .spanBuilder(method)
        .setSpanKind(SpanKind.CLIENT)
        .setParent(parent)
        .setAttribute("http.request.method", method)
        .setAttribute("server.address", uri.getHost())
        .setAttribute("server.port", port)
        .setAttribute("url.full", url)
        .startSpan();
  }

  static void endWithStatus(Span span) {
    span.setAttribute("http.response.status_code", 200L);
    span.end();
  }

  OpenAiCall startChat() {
    byte[] body = "{\"model\":\"gpt-4o\",\"messages\":[]}".getBytes(StandardCharsets.UTF_8);
    OpenAiCall call =
        instrumenter.startCall(
            "POST", "api.openai.com", 443, "/v1/chat/completions", null, null, body, body.length,
            "application/json");
    assertNotNull(call);
    return call;
  }

  static void answer(OpenAiCall call) {
    call.onResponse(200, CallProbe.headers("Content-Type", "application/json"));
    byte[] response = CHAT_RESPONSE.getBytes(StandardCharsets.UTF_8);
    call.onBytes(response, 0, response.length);
    call.end(true);
  }

  LogRecordData onlyRecord() {
    List<LogRecordData> records = logs.getFinishedLogRecordItems();
    assertEquals(1, records.size(), records::toString);
    return records.get(0);
  }

  /** {@code tokenledger.requests} since the last collection, as {@code api/status/source → count}. */
  Map<String, Long> requests() {
    return requests(metrics.collectAllMetrics());
  }

  static Map<String, Long> requests(Collection<MetricData> collected) {
    Map<String, Long> sums = new HashMap<>();
    for (LongPointData p : points(collected, "tokenledger.requests")) {
      Attributes a = p.getAttributes();
      sums.merge(a.get(API) + "/" + a.get(STATUS) + "/" + a.get(SOURCE), p.getValue(), Long::sum);
    }
    return sums;
  }

  static long sum(Collection<MetricData> collected, String name) {
    return points(collected, name).stream().mapToLong(LongPointData::getValue).sum();
  }

  static List<LongPointData> points(Collection<MetricData> collected, String name) {
    List<LongPointData> points = new ArrayList<>();
    for (MetricData metric : collected) {
      if (metric.getName().equals(name)) {
        points.addAll(metric.getLongSumData().getPoints());
      }
    }
    return points;
  }
}
