package dev.tokenledger.instrumentation.netty.v4_1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.agent.TestTelemetry;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.api.baggage.propagation.W3CBaggagePropagator;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.extension.trace.propagation.B3Propagator;
import io.opentelemetry.extension.trace.propagation.JaegerPropagator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Where a Netty request goes, and which span it belongs to. */
class NettyRequestsTest {

  /** The agent's default propagators. */
  static final TextMapPropagator W3C =
      TextMapPropagator.composite(W3CTraceContextPropagator.getInstance(), W3CBaggagePropagator.getInstance());

  @BeforeAll
  static void installAdvice() {
    PipelineAdvice.install(); // before the first buffer, so that every test class's leaks are seen
  }

  static NettyRequests.Target target(String uri, String host) {
    HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, uri);
    if (host != null) {
      request.headers().set("Host", host);
    }
    EmbeddedChannel channel = new EmbeddedChannel();
    try {
      return NettyRequests.target(request, channel);
    } finally {
      channel.finishAndReleaseAll();
    }
  }

  @Test
  void theTargetComesFromTheHostHeaderOrAnAbsoluteUri() {
    NettyRequests.Target t = target("/v1/chat/completions?api-version=1#frag", "api.openai.com:8443");
    assertEquals("api.openai.com", t.host);
    assertEquals(8443, t.port);
    assertEquals("/v1/chat/completions", t.path);
    assertEquals("api-version=1", t.query);

    t = target("https://res.openai.azure.com:443/openai/deployments/d/chat/completions?x=1", "proxy.local");
    assertEquals("res.openai.azure.com", t.host);
    assertEquals(443, t.port);
    assertEquals("/openai/deployments/d/chat/completions", t.path);
    assertEquals("x=1", t.query);

    t = target("/v1/embeddings", "[::1]:9000");
    assertEquals("::1", t.host);
    assertEquals(9000, t.port);
    assertNull(t.query);

    t = target("/v1/embeddings", "api.openai.com");
    assertEquals(-1, t.port, "no port named and none connected to (an in-memory channel)");
    assertNull(target("/v1/embeddings", null), "no host at all");
  }

  @Test
  void theParentIsTheSpanInTraceparentWithTheCurrentBaggage() {
    Span http = TestTelemetry.SDK.getTracer("test").spanBuilder("POST").startSpan();
    SpanContext sc = http.getSpanContext();
    HttpHeaders headers = new DefaultHttpHeaders()
        .set("traceparent", "00-" + sc.getTraceId() + "-" + sc.getSpanId() + "-01")
        .set("baggage", "tokenledger.use_case=from-header");
    Context parent = NettyRequests.parent(headers, W3C);
    assertEquals(sc.getSpanId(), Span.fromContext(parent).getSpanContext().getSpanId());
    assertFalse(Span.fromContext(parent).getSpanContext().isRemote(),
        "the HTTP span is in this process: the call's span is its local child, not a local root");
    assertEquals("from-header", Baggage.fromContext(parent).getEntryValue("tokenledger.use_case"),
        "no current baggage: the header's");

    Context current = Context.root().with(Baggage.builder().put("tokenledger.use_case", "current").build());
    try (Scope ignored = current.makeCurrent()) {
      parent = NettyRequests.parent(headers, W3C);
      assertEquals(sc.getSpanId(), Span.fromContext(parent).getSpanContext().getSpanId());
      assertEquals("current", Baggage.fromContext(parent).getEntryValue("tokenledger.use_case"));
      assertSame(current, NettyRequests.parent(new DefaultHttpHeaders(), W3C), "no traceparent: the current context");
      assertSame(current, NettyRequests.parent(new DefaultHttpHeaders().set("traceparent", "garbage"), W3C));
    }
    http.end();
  }

  @Test
  void theParentIsReadWithTheConfiguredPropagators() {
    Span http = TestTelemetry.SDK.getTracer("test").spanBuilder("POST").startSpan();
    SpanContext sc = http.getSpanContext();
    Context withSpan = Context.root().with(http);

    HttpHeaders b3Single = new DefaultHttpHeaders();
    B3Propagator.injectingSingleHeader().inject(withSpan, b3Single, HttpHeaders::set);
    assertTrue(b3Single.contains("b3") && !b3Single.contains("traceparent"));
    Context parent = NettyRequests.parent(b3Single, B3Propagator.injectingSingleHeader());
    assertEquals(sc.getSpanId(), Span.fromContext(parent).getSpanContext().getSpanId());
    assertEquals(sc.getTraceId(), Span.fromContext(parent).getSpanContext().getTraceId());
    assertFalse(Span.fromContext(parent).getSpanContext().isRemote(), "a local parent, whatever the header");
    assertSame(Context.current(), NettyRequests.parent(b3Single, W3C), "not read by propagators not configured");

    // otel.propagators=tracecontext,baggage,b3multi,jaeger: whichever header the client wrote.
    TextMapPropagator composite = TextMapPropagator.composite(
        W3CTraceContextPropagator.getInstance(), W3CBaggagePropagator.getInstance(),
        B3Propagator.injectingMultiHeaders(), JaegerPropagator.getInstance());
    HttpHeaders b3Multi = new DefaultHttpHeaders().set("baggage", "tokenledger.use_case=from-header");
    B3Propagator.injectingMultiHeaders().inject(withSpan, b3Multi, HttpHeaders::set);
    parent = NettyRequests.parent(b3Multi, composite);
    assertEquals(sc.getSpanId(), Span.fromContext(parent).getSpanContext().getSpanId());
    assertFalse(Span.fromContext(parent).getSpanContext().isRemote());
    assertEquals("from-header", Baggage.fromContext(parent).getEntryValue("tokenledger.use_case"),
        "no current baggage: the one the configured propagators read");
    HttpHeaders jaeger = new DefaultHttpHeaders();
    JaegerPropagator.getInstance().inject(withSpan, jaeger, HttpHeaders::set);
    assertEquals(sc.getSpanId(), Span.fromContext(NettyRequests.parent(jaeger, composite)).getSpanContext().getSpanId());

    Context current = Context.root().with(Baggage.builder().put("tokenledger.use_case", "current").build());
    try (Scope ignored = current.makeCurrent()) {
      parent = NettyRequests.parent(b3Multi, composite);
      assertEquals(sc.getSpanId(), Span.fromContext(parent).getSpanContext().getSpanId());
      assertEquals("current", Baggage.fromContext(parent).getEntryValue("tokenledger.use_case"), "the current baggage wins");
      try (Scope inside = withSpan.makeCurrent()) {
        assertSame(Context.current(), NettyRequests.parent(b3Multi, composite), "the header names the current span");
      }
      assertSame(current, NettyRequests.parent(b3Multi, TextMapPropagator.noop()), "otel.propagators=none");
    }
    http.end();
  }
}
