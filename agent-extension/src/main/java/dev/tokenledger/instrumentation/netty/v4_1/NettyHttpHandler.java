package dev.tokenledger.instrumentation.netty.v4_1;

import dev.tokenledger.agent.OpenAiCall;
import dev.tokenledger.agent.OpenAiInstrumenter;
import dev.tokenledger.usage.RateLimitedLog;
import dev.tokenledger.usage.RequestInfo;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;

/**
 * The TokenLedger side of one Netty client channel. Outbound, each {@code HttpRequest} to an OpenAI
 * endpoint starts an {@link OpenAiCall} (with the client's HTTP span as parent, see
 * {@link NettyRequests#parent}) and its body is shown to the call's request scanner as it is written;
 * the write itself runs with the call's context current, so an HTTP span that starts further down the
 * pipeline becomes the call's child. Inbound, the response head, each body chunk and the end are shown
 * to the call of the oldest request still waiting (HTTP/1.1 answers in order; keep-alive and
 * pipelined requests queue up, informational {@code 1xx} answers are skipped). A channel that closes,
 * an exception from below, or a failed write ends the calls still open as failed.
 *
 * <p>Every message goes on unchanged, in the same order: buffers are read in place (reader index and
 * reference count untouched) before the next handler gets them, and nothing keeps them. Nothing is
 * thrown from here; anything unexpected stops the tracking of this channel, never its traffic. One
 * instance per channel, called on its event loop only.
 */
final class NettyHttpHandler extends ChannelDuplexHandler {

  /** More requests waiting for answers than any client pipelines: tracking stops beyond it. */
  static final int MAX_IN_FLIGHT = 64;

  /** One request, and its call when it is a tracked OpenAI call. */
  static final class Exchange {
    final OpenAiCall call;
    final String contentType;
    /** The request body was read up front (a small full request); nothing to scan as it is written. */
    final boolean bodyRead;
    RequestInfo.Scanner scanner;

    Exchange(OpenAiCall call, String contentType, boolean bodyRead) {
      this.call = call;
      this.contentType = contentType;
      this.bodyRead = bodyRead;
    }
  }

  /** Any request that is not a tracked call: it only keeps the answers in step. */
  private static final Exchange UNTRACKED = new Exchange(null, null, true);

  private final OpenAiInstrumenter instrumenter;
  /** Requests sent whose response has not ended, oldest first. */
  private final ArrayDeque<Exchange> inFlight = new ArrayDeque<Exchange>(4);
  /** The request whose body is being written; null between requests. */
  private Exchange writing;
  /** The exchange whose response body is being read; null between responses. */
  private Exchange reading;
  /** Inside an informational (1xx) answer, whose empty end is not the response's. */
  private boolean informational;
  /** Set when tracking this channel stopped; everything then passes untouched. */
  private boolean stopped;
  private byte[] scratch;

  NettyHttpHandler(OpenAiInstrumenter instrumenter) {
    this.instrumenter = instrumenter;
  }

  // ---- outbound ----

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
    OpenAiCall started = null;
    if (!stopped) {
      try {
        started = onWrite(ctx, msg, promise);
      } catch (Throwable t) {
        stop("netty", t);
      }
    }
    if (started == null) {
      ctx.write(msg, promise);
      return;
    }
    Scope scope = started.makeCurrent();
    try {
      ctx.write(msg, promise);
    } finally {
      scope.close();
    }
  }

  /** Returns the call a request starts, so that its write runs in the call's context. */
  private OpenAiCall onWrite(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof HttpRequest) {
      if (inFlight.size() >= MAX_IN_FLIGHT) {
        stop("netty", null);
        return null;
      }
      Exchange exchange = start(ctx, (HttpRequest) msg);
      inFlight.addLast(exchange);
      writing = msg instanceof LastHttpContent ? null : exchange;
      if (exchange.call == null) {
        return null;
      }
      if (msg instanceof HttpContent && !exchange.bodyRead) {
        scanRequestBody(exchange, ((HttpContent) msg).content());
      }
      if (!promise.isVoid()) {
        promise.addListener(new WriteFailure(exchange.call));
      }
      return exchange.call;
    }
    Exchange exchange = writing;
    if (exchange == null) {
      return null;
    }
    if (msg instanceof HttpContent) {
      if (!exchange.bodyRead) {
        scanRequestBody(exchange, ((HttpContent) msg).content());
      }
      if (msg instanceof LastHttpContent) {
        writing = null;
      }
    } else if (!exchange.bodyRead) {
      // Body chunks written past the HTTP objects: plain buffers (Reactor Netty over HTTP/1.1), or
      // HTTP/2 data frames, which the stream codec passes through (Reactor Netty over HTTP/2).
      if (msg instanceof ByteBuf) {
        scanRequestBody(exchange, (ByteBuf) msg);
      } else if (msg instanceof ByteBufHolder) {
        scanRequestBody(exchange, ((ByteBufHolder) msg).content());
      }
    }
    return null;
  }

  private Exchange start(ChannelHandlerContext ctx, HttpRequest request) {
    NettyRequests.Target target = NettyRequests.target(request, ctx.channel());
    if (target == null) {
      return UNTRACKED;
    }
    HttpHeaders headers = request.headers();
    String contentType = headers.get("Content-Type");
    byte[] body = null;
    if (request instanceof FullHttpRequest) {
      ByteBuf content = ((FullHttpRequest) request).content();
      int length = content.readableBytes();
      if (length > 0 && length <= RequestInfo.MAX_REQUEST_BYTES) {
        body = new byte[length];
        content.getBytes(content.readerIndex(), body);
      }
    }
    Context parent = NettyRequests.parent(headers);
    OpenAiCall call;
    Scope scope = parent == Context.current() ? null : parent.makeCurrent();
    try {
      call =
          instrumenter.startCall(
              request.method().name(),
              target.host,
              target.port,
              target.path,
              target.query,
              new NettyHeaders(headers),
              body,
              body == null ? 0 : body.length,
              contentType);
    } finally {
      if (scope != null) {
        scope.close();
      }
    }
    return call == null ? UNTRACKED : new Exchange(call, contentType, body != null);
  }

  private void scanRequestBody(Exchange exchange, ByteBuf content) {
    if (content.readableBytes() == 0) {
      return;
    }
    if (exchange.scanner == null) {
      exchange.scanner = exchange.call.scanRequestBody(exchange.contentType);
    }
    ByteBufs.show(content, exchange.scanner, scratch());
  }

  /** Ends a call whose request could not be written. */
  private static final class WriteFailure implements ChannelFutureListener {
    private final OpenAiCall call;

    WriteFailure(OpenAiCall call) {
      this.call = call;
    }

    @Override
    public void operationComplete(ChannelFuture future) {
      Throwable cause = future.cause();
      if (cause != null) {
        call.endWithError(cause);
      }
    }
  }

  // ---- inbound ----

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    if (!stopped) {
      try {
        onRead(msg);
      } catch (Throwable t) {
        stop("netty", t);
      }
    }
    ctx.fireChannelRead(msg);
  }

  private void onRead(Object msg) {
    if (msg instanceof HttpResponse) {
      onResponse((HttpResponse) msg);
    }
    if (msg instanceof HttpContent) {
      onContent((HttpContent) msg);
    }
  }

  private void onResponse(HttpResponse response) {
    int status = response.status().code();
    if (status >= 100 && status < 200) {
      // 100 Continue and other interim answers: the response proper follows. (101 switches the
      // channel to another protocol: nothing of HTTP/1.1 follows on it.)
      informational = true;
      if (status == 101) {
        switchedProtocols();
      }
      return;
    }
    informational = false;
    Exchange exchange = inFlight.peekFirst();
    reading = exchange;
    if (exchange == null || exchange.call == null) {
      return;
    }
    DecoderResult result = response.decoderResult();
    if (result.isFailure()) {
      exchange.call.endWithError(result.cause());
    } else {
      exchange.call.onResponse(status, new NettyHeaders(response.headers()));
    }
  }

  private void onContent(HttpContent content) {
    if (informational) {
      if (content instanceof LastHttpContent) {
        informational = false;
      }
      return;
    }
    Exchange exchange = reading;
    if (exchange == null) {
      return;
    }
    OpenAiCall call = exchange.call;
    if (call != null) {
      DecoderResult result = content.decoderResult();
      if (result.isFailure()) {
        call.endWithError(result.cause());
      } else {
        ByteBufs.show(content.content(), call, scratch());
      }
    }
    if (content instanceof LastHttpContent) {
      if (call != null) {
        call.end(true); // nothing when a failure ended it already
      }
      if (inFlight.peekFirst() == exchange) {
        inFlight.pollFirst();
      }
      reading = null;
    }
  }

  /** A 101 answer to a request that was not ours to follow: its call (if any) cannot be read on. */
  private void switchedProtocols() {
    Exchange exchange = inFlight.pollFirst();
    if (exchange != null && exchange.call != null) {
      exchange.call.end(false);
    }
    reading = null;
  }

  // ---- the channel's end ----

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    endAll(null);
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
    endAll(cause);
    ctx.fireExceptionCaught(cause);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) throws Exception {
    endAll(null);
  }

  /** Ends every open call as failed by {@code cause}, or by the channel's closing when null. Never throws. */
  private void endAll(Throwable cause) {
    try {
      for (Exchange exchange; (exchange = inFlight.pollFirst()) != null; ) {
        if (exchange.call != null) {
          if (cause == null) {
            cause = new ClosedChannelException();
          }
          exchange.call.endWithError(cause);
        }
      }
      writing = null;
      reading = null;
      informational = false;
    } catch (Throwable t) {
      RateLimitedLog.warn("netty", "TokenLedger could not end Netty calls: " + t);
    }
  }

  /** Stops tracking this channel: open calls end unread, later traffic passes untouched. */
  private void stop(String category, Throwable why) {
    stopped = true;
    RateLimitedLog.warn(category, "TokenLedger stopped reading a Netty HTTP channel: "
        + (why != null ? why : "more than " + MAX_IN_FLIGHT + " requests waiting for answers"));
    try {
      for (Exchange exchange; (exchange = inFlight.pollFirst()) != null; ) {
        if (exchange.call != null) {
          exchange.call.end(false);
        }
      }
    } catch (Throwable t) {
      // the calls' own methods do not throw; nothing else is left to do here
    }
    writing = null;
    reading = null;
  }

  private byte[] scratch() {
    byte[] s = scratch;
    if (s == null) {
      s = scratch = new byte[ByteBufs.SCRATCH_BYTES];
    }
    return s;
  }
}
