package dev.tokenledger.instrumentation.netty.v4_1;

import dev.tokenledger.agent.OpenAiCall;
import dev.tokenledger.agent.OpenAiInstrumenter;
import dev.tokenledger.agent.RealtimeConnection;
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
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.net.ProtocolException;
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
 * <p>A WebSocket upgrade of a request to a Realtime endpoint starts a {@link RealtimeConnection}
 * instead; once the {@code 101} is in (or the first frame, when a handler in front of this one kept
 * the {@code 101} to itself), the text of each inbound text or continuation frame is shown to it, read
 * in place ({@link Utf8Text}); close frames either way, the channel's end or a failure end it.
 *
 * <p>Every message goes on unchanged, in the same order: buffers are read in place (reader index and
 * reference count untouched) before the next handler gets them, and nothing keeps them. Nothing is
 * thrown from here; anything unexpected stops the tracking of this channel, never its traffic. One
 * instance per channel, called on its event loop only.
 */
final class NettyHttpHandler extends ChannelDuplexHandler {

  /** More requests waiting for answers than any client pipelines: tracking stops beyond it. */
  static final int MAX_IN_FLIGHT = 64;

  /**
   * One request, and its call when it is a tracked OpenAI call, or its connection when it is the
   * WebSocket upgrade of a Realtime connection.
   */
  static final class Exchange {
    final OpenAiCall call;
    final RealtimeConnection connection;
    final String contentType;
    /** The request body was read up front (a small full request); nothing to scan as it is written. */
    final boolean bodyRead;
    RequestInfo.Scanner scanner;

    Exchange(OpenAiCall call, RealtimeConnection connection, String contentType, boolean bodyRead) {
      this.call = call;
      this.connection = connection;
      this.contentType = contentType;
      this.bodyRead = bodyRead;
    }
  }

  /** Any request that is not a tracked call: it only keeps the answers in step. */
  private static final Exchange UNTRACKED = new Exchange(null, null, null, true);

  /** RSV1 on a message's first frame: the message is compressed (permessage-deflate). */
  private static final int RSV1 = 0x4;

  private final OpenAiInstrumenter instrumenter;
  /** The configured propagators: they read the client's HTTP span back from a request's headers. */
  private final TextMapPropagator propagator;
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

  /** The Realtime connection this channel carries since its upgrade; null before and for any other. */
  private RealtimeConnection realtime;
  /** Inside a fragmented message: text, binary, or compressed (unreadable) text. */
  private boolean textMessage;
  private boolean binaryMessage;
  private boolean compressedMessage;
  /** The text of the current message's frames; made at the first text frame. */
  private Utf8Frames textFrames;

  NettyHttpHandler(OpenAiInstrumenter instrumenter, TextMapPropagator propagator) {
    this.instrumenter = instrumenter;
    this.propagator = propagator;
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
    if (msg instanceof WebSocketFrame) {
      if (realtime != null && msg instanceof CloseWebSocketFrame) {
        // The application closes: responses still open end here, as the server sees it.
        realtime.onClosed(((CloseWebSocketFrame) msg).statusCode());
      }
      return null;
    }
    if (msg instanceof HttpRequest) {
      if (inFlight.size() >= MAX_IN_FLIGHT) {
        stop("netty", null);
        return null;
      }
      Exchange exchange = start(ctx, (HttpRequest) msg);
      inFlight.addLast(exchange);
      writing = msg instanceof LastHttpContent ? null : exchange;
      if ((exchange.call != null || exchange.connection != null) && !promise.isVoid()) {
        promise.addListener(new WriteFailure(exchange));
      }
      if (exchange.call == null) {
        return null;
      }
      if (msg instanceof HttpContent && !exchange.bodyRead) {
        scanRequestBody(exchange, ((HttpContent) msg).content());
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
    if (isWebSocketUpgrade(headers)) {
      return startConnection(target, headers);
    }
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
    Context parent = NettyRequests.parent(headers, propagator);
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
    return call == null ? UNTRACKED : new Exchange(call, null, contentType, body != null);
  }

  private static boolean isWebSocketUpgrade(HttpHeaders headers) {
    String upgrade = headers.get("Upgrade");
    return upgrade != null && upgrade.toLowerCase(java.util.Locale.ROOT).contains("websocket");
  }

  private Exchange startConnection(NettyRequests.Target target, HttpHeaders headers) {
    Context parent = NettyRequests.parent(headers, propagator);
    RealtimeConnection connection;
    Scope scope = parent == Context.current() ? null : parent.makeCurrent();
    try {
      connection =
          instrumenter.startConnection(target.host, target.port, target.path, target.query, new NettyHeaders(headers));
    } finally {
      if (scope != null) {
        scope.close();
      }
    }
    return connection == null ? UNTRACKED : new Exchange(null, connection, null, true);
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

  /**
   * Ends a call (or a connection) whose request could not be written, and takes its request out of
   * those waiting for answers: the channel may stay open (an encoder that refused the message), and
   * the next answer on it belongs to the next request. Runs on the event loop, as the promise's
   * listeners do.
   */
  private final class WriteFailure implements ChannelFutureListener {
    private final Exchange exchange;

    WriteFailure(Exchange exchange) {
      this.exchange = exchange;
    }

    @Override
    public void operationComplete(ChannelFuture future) {
      Throwable cause = future.cause();
      if (cause == null) {
        return;
      }
      try {
        inFlight.remove(exchange);
        if (writing == exchange) {
          writing = null;
        }
        if (reading == exchange) {
          reading = null;
        }
      } finally {
        if (exchange.call != null) {
          exchange.call.endWithError(cause);
        }
        if (exchange.connection != null) {
          exchange.connection.onFailure(cause);
        }
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
    if (msg instanceof WebSocketFrame) {
      onFrame((WebSocketFrame) msg);
      return;
    }
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
        switchedProtocols(response);
      }
      return;
    }
    informational = false;
    Exchange exchange = inFlight.peekFirst();
    reading = exchange;
    if (exchange != null && exchange.connection != null) {
      exchange.connection.onFailure(new ProtocolException("WebSocket handshake answered with HTTP " + status));
    }
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

  /**
   * A 101 answer: a Realtime connection opens; any other request's call cannot be read on (the channel
   * speaks another protocol from here).
   */
  private void switchedProtocols(HttpResponse response) {
    Exchange exchange = inFlight.pollFirst();
    reading = null;
    if (exchange == null) {
      return;
    }
    if (exchange.connection != null) {
      open(exchange.connection, new NettyHeaders(response.headers()));
    } else if (exchange.call != null) {
      exchange.call.end(false);
    }
  }

  private void open(RealtimeConnection connection, NettyHeaders responseHeaders) {
    realtime = connection;
    connection.onOpen(responseHeaders);
  }

  // ---- WebSocket frames ----

  private void onFrame(WebSocketFrame frame) {
    RealtimeConnection connection = realtime;
    if (connection == null) {
      // A handler in front of this one answered the handshake itself: the first frame opens.
      Exchange head = inFlight.peekFirst();
      if (head == null || head.connection == null) {
        return;
      }
      inFlight.pollFirst();
      open(head.connection, null);
      connection = head.connection;
    }
    boolean last = frame.isFinalFragment();
    if (frame instanceof TextWebSocketFrame) {
      textMessage = !last;
      binaryMessage = false;
      compressedMessage = (frame.rsv() & RSV1) != 0;
      showText(connection, frame, true, last);
    } else if (frame instanceof ContinuationWebSocketFrame) {
      if (textMessage) {
        textMessage = !last;
        showText(connection, frame, false, last);
      } else if (binaryMessage) {
        binaryMessage = !last;
        connection.onBinary(last);
      }
    } else if (frame instanceof BinaryWebSocketFrame) {
      textMessage = false;
      binaryMessage = !last;
      connection.onBinary(last);
    } else if (frame instanceof CloseWebSocketFrame) {
      connection.onClosed(((CloseWebSocketFrame) frame).statusCode());
    }
  }

  private void showText(RealtimeConnection connection, WebSocketFrame frame, boolean first, boolean last) {
    if (compressedMessage) {
      // Only the client's own decompressor, were it in front of this handler, could read it.
      if (last) {
        RateLimitedLog.warn("netty-websocket", "TokenLedger cannot read compressed (permessage-deflate) Realtime"
            + " messages on this Netty client; their usage is recorded as missing");
        connection.onBinary(true);
      }
      return;
    }
    Utf8Frames frames = textFrames;
    if (frames == null) {
      frames = textFrames = new Utf8Frames();
    }
    connection.onText(frames.next(frame.content(), first, last), last);
  }

  // ---- the channel's end ----

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    endAll(null);
    endRealtime(null);
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
    endAll(cause);
    endRealtime(cause);
    ctx.fireExceptionCaught(cause);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) throws Exception {
    endAll(null);
    endRealtime(null);
  }

  /** The Realtime connection's channel failed or closed without a close frame (if one came, nothing). */
  private void endRealtime(Throwable cause) {
    RealtimeConnection connection = realtime;
    if (connection != null) {
      realtime = null;
      connection.onFailure(cause != null ? cause : new ClosedChannelException());
    }
  }

  /** Ends every open call as failed by {@code cause}, or by the channel's closing when null. Never throws. */
  private void endAll(Throwable cause) {
    try {
      for (Exchange exchange; (exchange = inFlight.pollFirst()) != null; ) {
        if (exchange.call != null || exchange.connection != null) {
          if (cause == null) {
            cause = new ClosedChannelException();
          }
          if (exchange.call != null) {
            exchange.call.endWithError(cause);
          } else {
            exchange.connection.onFailure(cause);
          }
        }
      }
      writing = null;
      reading = null;
      informational = false;
    } catch (Throwable t) {
      RateLimitedLog.warn("netty", "TokenLedger could not end Netty calls: " + t);
    }
  }

  /**
   * Stops tracking this channel: open calls end unread, Realtime connections (open, or still waiting
   * for their handshake's answer) end as failed, later traffic passes untouched.
   */
  private void stop(String category, Throwable why) {
    stopped = true;
    RateLimitedLog.warn(category, "TokenLedger stopped reading a Netty HTTP channel: "
        + (why != null ? why : "more than " + MAX_IN_FLIGHT + " requests waiting for answers"));
    Throwable cause = why != null ? why : new IllegalStateException("tracking stopped");
    try {
      for (Exchange exchange; (exchange = inFlight.pollFirst()) != null; ) {
        if (exchange.call != null) {
          exchange.call.end(false);
        }
        if (exchange.connection != null) {
          exchange.connection.onFailure(cause);
        }
      }
      endRealtime(cause);
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
