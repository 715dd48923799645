package dev.tokenledger.instrumentation.netty.v4_1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.agent.SimulatorLedger;
import dev.tokenledger.agent.TestTelemetry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContentDecompressor;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.extension.trace.propagation.B3Propagator;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.javaagent.testing.UpstreamClientHandlerStandIn;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Where the pipeline advice puts the handler, and how the handler pairs answers with requests, on
 * Netty's own in-memory channel (whose pipeline the advice instruments like any other).
 */
class NettyPipelinesTest {

  static final String CHAT_BODY =
      "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"gpt-4o-2024-08-06\",\"choices\":[],"
          + "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":5,\"total_tokens\":17}}";

  @BeforeAll
  static void installAdvice() {
    PipelineAdvice.install();
  }

  @BeforeEach
  void clear() {
    TestTelemetry.clear();
  }

  @AfterEach
  void noBufferLeaked() throws InterruptedException {
    NettyLeaks.assertNoLeaks();
  }

  static List<String> names(EmbeddedChannel channel) {
    return channel.pipeline().names().stream().filter(n -> !n.startsWith("DefaultChannelPipeline$")).collect(Collectors.toList());
  }

  @Test
  void oneHandlerGoesRightBehindAClientCodecHoweverItIsAdded() {
    EmbeddedChannel channel = new EmbeddedChannel();
    channel.pipeline().addLast("app", new ChannelOutboundHandlerAdapter());
    channel.pipeline().addBefore("app", "codec", new HttpClientCodec());
    assertEquals(List.of("codec", NettyPipelines.HANDLER_NAME, "app"), names(channel));
    channel.pipeline().replace("codec", "codec2", new HttpClientCodec());
    channel.pipeline().addAfter("codec2", "inflater", new HttpContentDecompressor());
    assertEquals(List.of("codec2", "inflater", NettyPipelines.HANDLER_NAME, "app"), names(channel));
    channel.finishAndReleaseAll();

    EmbeddedChannel separate = new EmbeddedChannel();
    separate.pipeline().addLast("encoder", new HttpRequestEncoder());
    separate.pipeline().addLast("decoder", new HttpResponseDecoder());
    assertEquals(List.of("encoder", "decoder", NettyPipelines.HANDLER_NAME), names(separate));
    separate.finishAndReleaseAll();
  }

  @Test
  void theUpstreamAgentsHttpSpanStartsInsideTheCall() {
    UpstreamClientHandlerStandIn upstream = new UpstreamClientHandlerStandIn();
    EmbeddedChannel channel = new EmbeddedChannel();
    channel.pipeline().addLast(upstream.getClass().getName(), upstream);
    channel.pipeline().addBefore(upstream.getClass().getName(), "codec", new HttpClientCodec());
    assertEquals(List.of("codec", upstream.getClass().getName(), NettyPipelines.HANDLER_NAME), names(channel));

    exchange(channel, chatRequest("api.openai.com"), response(200, "req_upstream", CHAT_BODY));
    SpanData call = TestTelemetry.SPANS.getFinishedSpanItems().get(0);
    assertEquals(call.getSpanContext(), upstream.currentAtWrite, "the call's span is current as the request passes");
    channel.finishAndReleaseAll();
  }

  @Test
  void keepAliveAnswersPairWithTheirRequestsAndInterimAnswersAreSkipped() {
    EmbeddedChannel channel = new EmbeddedChannel(new HttpClientCodec());
    FullHttpRequest elsewhere = chatRequest("example.com");
    channel.writeOutbound(chatRequest("api.openai.com"), elsewhere, chatRequest("api.openai.com"));
    releaseAll(channel.outboundMessages());
    channel.writeInbound(Unpooled.copiedBuffer(
        "HTTP/1.1 100 Continue\r\n\r\n"
            + response(200, "req_first", CHAT_BODY)
            + response(200, "req_elsewhere", CHAT_BODY)
            + response(200, "req_third", CHAT_BODY.replace("12", "13")),
        StandardCharsets.UTF_8));
    releaseAll(channel.inboundMessages());
    List<String> ids = SimulatorLedger.rows().stream().map(r -> r.getAttributes().get(SimulatorLedger.REQUEST_ID)).collect(Collectors.toList());
    assertEquals(List.of("req_first", "req_third"), ids);
    assertEquals(13L, SimulatorLedger.rows().get(1).getAttributes().get(AttributeKey.longKey("tokenledger.usage.input_tokens")));
    channel.finishAndReleaseAll();
  }

  @Test
  void aRequestThatCannotBeWrittenEndsItsCallAsFailed() {
    EmbeddedChannel channel = new EmbeddedChannel();
    channel.pipeline().addLast("network", new ChannelOutboundHandlerAdapter() {
      @Override
      public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        ReferenceCountUtil.release(msg);
        promise.setFailure(new IOException("the network is gone"));
      }
    });
    channel.pipeline().addLast("codec", new HttpClientCodec());
    channel.writeOneOutbound(chatRequest("api.openai.com"));
    channel.flushOutbound();
    SpanData call = TestTelemetry.SPANS.getFinishedSpanItems().get(0);
    assertEquals("java.io.IOException", call.getAttributes().get(AttributeKey.stringKey("error.type")));
    assertTrue(SimulatorLedger.rows().isEmpty(), "no response, no ledger row");
    channel.finishAndReleaseAll();
  }

  @Test
  void theClientsHttpSpanIsTheParentWhicheverPropagatorsAreConfigured() {
    // otel.propagators=tracecontext,b3: a client's upstream instrumentation wrote only the b3 header.
    TextMapPropagator configured =
        TextMapPropagator.composite(W3CTraceContextPropagator.getInstance(), B3Propagator.injectingSingleHeader());
    EmbeddedChannel channel = new EmbeddedChannel();
    channel.pipeline().addLast(NettyPipelines.HANDLER_NAME, new NettyHttpHandler(NettySingletons.instrumenter(), configured));
    channel.pipeline().addBefore(NettyPipelines.HANDLER_NAME, "codec", new HttpClientCodec());
    assertEquals(List.of("codec", NettyPipelines.HANDLER_NAME), names(channel));

    Span http = TestTelemetry.SDK.getTracer("test").spanBuilder("POST").startSpan();
    FullHttpRequest request = chatRequest("api.openai.com");
    B3Propagator.injectingSingleHeader().inject(Context.root().with(http), request.headers(), HttpHeaders::set);
    exchange(channel, request, response(200, "req_b3", CHAT_BODY));
    http.end();
    SpanData genAi = TestTelemetry.SPANS.getFinishedSpanItems().stream()
        .filter(span -> span.getName().startsWith("chat")).findFirst().orElseThrow();
    assertEquals(http.getSpanContext().getTraceId(), genAi.getTraceId());
    assertEquals(http.getSpanContext().getSpanId(), genAi.getParentSpanId(), "the GenAI span is the HTTP span's child");
    assertEquals(List.of("req_b3"), SimulatorLedger.rows().stream()
        .map(r -> r.getAttributes().get(SimulatorLedger.REQUEST_ID)).collect(Collectors.toList()));
    channel.finishAndReleaseAll();
  }

  @Test
  void aRealtimeHandshakeWaitingForItsAnswerEndsWhenTrackingStops() {
    EmbeddedChannel channel = new EmbeddedChannel(new HttpClientCodec());
    FullHttpRequest upgrade = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/v1/realtime?model=gpt-realtime");
    upgrade.headers().set("Host", "api.openai.com").set("Upgrade", "websocket").set("Connection", "Upgrade")
        .set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==").set("Sec-WebSocket-Version", "13")
        .set("Authorization", NettyClientContract.KEY);
    channel.writeOutbound(upgrade);
    releaseAll(channel.outboundMessages());
    assertTrue(TestTelemetry.SPANS.getFinishedSpanItems().isEmpty(), "the handshake waits for its answer");
    // More requests waiting for answers than tracked: tracking of the channel stops.
    for (int i = 0; i < NettyHttpHandler.MAX_IN_FLIGHT; i++) {
      channel.writeOutbound(chatRequest("api.openai.com"));
      releaseAll(channel.outboundMessages());
    }
    List<SpanData> connections = TestTelemetry.SPANS.getFinishedSpanItems().stream()
        .filter(span -> span.getName().startsWith("realtime")).collect(Collectors.toList());
    assertEquals(1, connections.size(), "the connection's span ended");
    assertEquals(StatusCode.ERROR, connections.get(0).getStatus().getStatusCode());
    channel.finishAndReleaseAll();
  }

  @Test
  void aRequestThatCannotBeEncodedLeavesLaterAnswersToLaterRequests() {
    boolean[] refuse = {true};
    EmbeddedChannel channel = new EmbeddedChannel();
    channel.pipeline().addLast("network", new ChannelOutboundHandlerAdapter() {
      @Override
      public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!refuse[0]) {
          ctx.write(msg, promise);
          return;
        }
        ReferenceCountUtil.release(msg);
        promise.setFailure(new EncoderException("refused"));
      }
    });
    channel.pipeline().addLast("codec", new HttpClientCodec());
    channel.writeOneOutbound(chatRequest("api.openai.com"));
    channel.flushOutbound();
    assertTrue(channel.isOpen(), "a refused message leaves the keep-alive channel open");
    refuse[0] = false;
    exchange(channel, chatRequest("api.openai.com"), response(200, "req_second", CHAT_BODY));

    List<SpanData> calls = TestTelemetry.SPANS.getFinishedSpanItems();
    assertEquals(2, calls.size(), () -> "both calls ended: " + calls);
    assertEquals(EncoderException.class.getName(), calls.get(0).getAttributes().get(AttributeKey.stringKey("error.type")));
    assertEquals(1, SimulatorLedger.rows().size(), () -> "one row, the answered call's: " + SimulatorLedger.rows());
    assertEquals("req_second", SimulatorLedger.rows().get(0).getAttributes().get(SimulatorLedger.REQUEST_ID));
    assertNull(SimulatorLedger.rows().get(0).getAttributes().get(SimulatorLedger.DIAGNOSTIC));
    channel.finishAndReleaseAll();
  }

  @Test
  void aResponseCutByTheChannelClosingIsMissing() {
    EmbeddedChannel channel = new EmbeddedChannel(new HttpClientCodec());
    channel.writeOutbound(chatRequest("api.openai.com"));
    releaseAll(channel.outboundMessages());
    String whole = response(200, "req_cut", CHAT_BODY);
    channel.writeInbound(Unpooled.copiedBuffer(whole.substring(0, whole.length() - 40), StandardCharsets.UTF_8));
    releaseAll(channel.inboundMessages());
    assertTrue(SimulatorLedger.rows().isEmpty(), "not ended while the body goes on");
    channel.close();
    releaseAll(channel.inboundMessages());
    assertEquals(1, SimulatorLedger.rows().size());
    assertEquals("missing", SimulatorLedger.rows().get(0).getAttributes().get(SimulatorLedger.SOURCE));
    assertEquals("req_cut", SimulatorLedger.rows().get(0).getAttributes().get(SimulatorLedger.REQUEST_ID));
    channel.finishAndReleaseAll();
  }

  @Test
  void theApplicationReadsEveryBufferAsItWasAndReleasesItAlone() {
    EmbeddedChannel channel = new EmbeddedChannel(new HttpClientCodec());
    channel.writeOutbound(chatRequest("api.openai.com"));
    releaseAll(channel.outboundMessages());
    channel.writeInbound(Unpooled.copiedBuffer(response(200, "req_bytes", CHAT_BODY), StandardCharsets.UTF_8));
    StringBuilder body = new StringBuilder();
    for (Object message; (message = channel.readInbound()) != null; ) {
      if (message instanceof io.netty.handler.codec.http.HttpContent content) {
        ByteBuf buf = content.content();
        assertEquals(0, buf.readerIndex(), "the reader index is where the decoder left it");
        body.append(buf.toString(StandardCharsets.UTF_8));
      }
      assertTrue(!(message instanceof HttpObject) || ReferenceCountUtil.refCnt(message) <= 1, "one reference, the application's");
      ReferenceCountUtil.release(message);
    }
    assertEquals(CHAT_BODY, body.toString());
    assertEquals(1, SimulatorLedger.rows().size());
    assertNull(SimulatorLedger.rows().get(0).getAttributes().get(SimulatorLedger.DIAGNOSTIC));
    channel.finishAndReleaseAll();
  }

  @Test
  void theLeakDetectorTheseTestsRelyOnReportsALeak() throws InterruptedException {
    NettyLeaks.collect();
    leakOneBuffer();
    assertTrue(!NettyLeaks.collect().isEmpty(), "a buffer dropped without release is reported");
  }

  private static void leakOneBuffer() {
    io.netty.buffer.PooledByteBufAllocator.DEFAULT.directBuffer(64).writeByte(1);
  }

  static FullHttpRequest chatRequest(String host) {
    byte[] body = "{\"model\":\"gpt-4o\",\"messages\":[]}".getBytes(StandardCharsets.UTF_8);
    FullHttpRequest request = new DefaultFullHttpRequest(
        HttpVersion.HTTP_1_1, HttpMethod.POST, "/v1/chat/completions", Unpooled.wrappedBuffer(body));
    request.headers().set("Host", host).set("Content-Type", "application/json").set("Content-Length", body.length)
        .set("Authorization", NettyClientContract.KEY);
    return request;
  }

  static String response(int status, String requestId, String body) {
    return "HTTP/1.1 " + status + " OK\r\nContent-Type: application/json\r\nx-request-id: " + requestId
        + "\r\nContent-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body;
  }

  static void exchange(EmbeddedChannel channel, FullHttpRequest request, String response) {
    channel.writeOutbound(request);
    releaseAll(channel.outboundMessages());
    channel.writeInbound(Unpooled.copiedBuffer(response, StandardCharsets.UTF_8));
    releaseAll(channel.inboundMessages());
  }

  static void releaseAll(java.util.Queue<Object> messages) {
    for (Object m; (m = messages.poll()) != null; ) {
      ReferenceCountUtil.release(m);
    }
  }
}
