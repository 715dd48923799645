package dev.tokenledger.instrumentation.netty.v4_1;

import dev.tokenledger.agent.OpenAiInstrumenter;
import dev.tokenledger.usage.RateLimitedLog;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ServerChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.util.Iterator;
import java.util.Map;

/**
 * Where the {@link NettyHttpHandler} goes: right behind the handler that turns a client's bytes into
 * HTTP objects — {@code HttpClientCodec}, a lone {@code HttpResponseDecoder} (clients that add the
 * encoder and decoder separately), or {@code Http2StreamFrameToHttpObjectCodec} on an HTTP/2 stream
 * channel (Reactor Netty's h2 and h2c) — so it sees every request and response as the client's own
 * handlers do, one handler per channel.
 *
 * <p>Behind the upstream agent's Netty handlers, when they sit at the same place: outbound messages
 * pass ours first, so the upstream HTTP span that a plain Netty client gets starts inside the GenAI
 * call and becomes its child. A decompressor the client adds later directly behind the codec ends up
 * in front of ours; one added at the end of the pipeline behind it: either way the response head and
 * the bytes agree on the encoding, and {@code gzip}/{@code deflate} bodies are decoded by the reader.
 */
public final class NettyPipelines {

  /** The handler's name in the pipeline. */
  public static final String HANDLER_NAME = "tokenledger.http";

  private static final String HTTP2_STREAM_CODEC = "io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec";
  private static final String UPSTREAM_PREFIX = "io.opentelemetry.";

  /** What the pipeline advice calls after any handler was added. Never throws. */
  public static void onHandlerAdded(ChannelPipeline pipeline, ChannelHandler handler) {
    try {
      if (isClientHttpCodec(handler)) {
        install(pipeline, handler, NettySingletons.instrumenter(), NettySingletons.propagator());
      }
    } catch (Throwable t) {
      RateLimitedLog.warn("netty", "TokenLedger could not watch a Netty HTTP client: " + t);
    }
  }

  static boolean isClientHttpCodec(ChannelHandler handler) {
    return handler instanceof HttpClientCodec
        || handler instanceof HttpResponseDecoder
        || (handler != null && handler.getClass().getName().equals(HTTP2_STREAM_CODEC));
  }

  /**
   * Puts a handler behind {@code codec} unless the pipeline has one already; returns the pipeline's
   * handler, or null when the channel is not a client's (the HTTP/2 codec also serves servers) or the
   * codec has left the pipeline again.
   */
  static NettyHttpHandler install(
      ChannelPipeline pipeline, ChannelHandler codec, OpenAiInstrumenter instrumenter, TextMapPropagator propagator) {
    ChannelHandler existing = pipeline.get(HANDLER_NAME);
    if (existing instanceof NettyHttpHandler) {
      return (NettyHttpHandler) existing;
    }
    if (existing != null || isServerSide(pipeline.channel())) {
      return null;
    }
    ChannelHandlerContext codecContext = pipeline.context(codec);
    if (codecContext == null) {
      return null;
    }
    NettyHttpHandler handler = new NettyHttpHandler(instrumenter, propagator);
    try {
      pipeline.addAfter(behindUpstreamHandlers(pipeline, codecContext.name()), HANDLER_NAME, handler);
    } catch (IllegalArgumentException | java.util.NoSuchElementException e) {
      return null; // the pipeline changed under us (names are checked again inside addAfter)
    }
    return handler;
  }

  /** The name of the last handler in the run of upstream agent handlers right behind {@code name}. */
  private static String behindUpstreamHandlers(ChannelPipeline pipeline, String name) {
    String last = name;
    boolean found = false;
    for (Iterator<Map.Entry<String, ChannelHandler>> it = pipeline.iterator(); it.hasNext(); ) {
      Map.Entry<String, ChannelHandler> entry = it.next();
      if (!found) {
        found = entry.getKey().equals(name);
        continue;
      }
      if (!entry.getValue().getClass().getName().startsWith(UPSTREAM_PREFIX)) {
        break;
      }
      last = entry.getKey();
    }
    return last;
  }

  /**
   * A channel a server accepted (or an HTTP/2 stream of one): its parent, or its connection's parent,
   * is a server channel.
   */
  private static boolean isServerSide(Channel channel) {
    for (Channel c = channel == null ? null : channel.parent(); c != null; c = c.parent()) {
      if (c instanceof ServerChannel) {
        return true;
      }
    }
    return false;
  }

  private NettyPipelines() {}
}
