package dev.tokenledger.instrumentation.netty.v4_1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.tokenledger.agent.TestTelemetry;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Where a Netty request goes, and which span it belongs to. */
class NettyRequestsTest {

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
    Context parent = NettyRequests.parent(headers);
    assertEquals(sc.getSpanId(), Span.fromContext(parent).getSpanContext().getSpanId());
    assertFalse(Span.fromContext(parent).getSpanContext().isRemote(),
        "the HTTP span is in this process: the call's span is its local child, not a local root");
    assertEquals("from-header", Baggage.fromContext(parent).getEntryValue("tokenledger.use_case"),
        "no current baggage: the header's");

    Context current = Context.root().with(Baggage.builder().put("tokenledger.use_case", "current").build());
    try (Scope ignored = current.makeCurrent()) {
      parent = NettyRequests.parent(headers);
      assertEquals(sc.getSpanId(), Span.fromContext(parent).getSpanContext().getSpanId());
      assertEquals("current", Baggage.fromContext(parent).getEntryValue("tokenledger.use_case"));
      assertSame(current, NettyRequests.parent(new DefaultHttpHeaders()), "no traceparent: the current context");
      assertSame(current, NettyRequests.parent(new DefaultHttpHeaders().set("traceparent", "garbage")));
    }
    http.end();
  }
}
