package io.opentelemetry.javaagent.testing;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;

/**
 * Stands in for the upstream agent's Netty client handler (its package is how the TokenLedger
 * pipeline hook recognises those): it starts its HTTP span from the context current when a request
 * passes, which this one records.
 */
public final class UpstreamClientHandlerStandIn extends ChannelDuplexHandler {

  public volatile SpanContext currentAtWrite;

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof HttpRequest) {
      currentAtWrite = Span.current().getSpanContext();
    }
    ctx.write(msg, promise);
  }
}
