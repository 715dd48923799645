package dev.tokenledger.instrumentation.netty.v4_1;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContentDecompressor;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * A client written directly on Netty's HTTP codec (decompressor and aggregator behind it), one
 * channel reused for call after call until the server closes it. Runs on Netty 4.2 and, in the
 * build's {@code netty-4.1} test run, on Netty 4.1: the hook's bytecode is the same for both.
 */
class PlainNettyClientTest extends NettyClientContract {

  static EventLoopGroup group;
  static Channel channel;

  @BeforeAll
  static void startClient() {
    group = new NioEventLoopGroup(1);
  }

  @AfterAll
  static void stopClient() throws InterruptedException {
    if (channel != null) {
      channel.close().sync();
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
  }

  static Channel channel() throws InterruptedException {
    if (channel != null && channel.isActive()) {
      return channel;
    }
    URI base = URI.create(sim.baseUrl());
    channel = new Bootstrap()
        .group(group)
        .channel(NioSocketChannel.class)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline()
                .addLast("codec", new HttpClientCodec())
                .addLast("inflater", new HttpContentDecompressor())
                .addLast("aggregator", new HttpObjectAggregator(64 * 1024 * 1024))
                .addLast("app", new Application());
          }
        })
        .connect(base.getHost(), base.getPort())
        .sync()
        .channel();
    return channel;
  }

  /** The application's handler: one answer awaited at a time, on its own channel. */
  static final class Application extends SimpleChannelInboundHandler<FullHttpResponse> {
    volatile CompletableFuture<Answer> pending = new CompletableFuture<>();

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
      pending.complete(new Answer(response.status().code(), ByteBufUtil.getBytes(response.content()), null));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      pending.complete(new Answer(-1, null, cause));
      ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      pending.complete(new Answer(-1, null, new IOException("connection closed")));
    }
  }

  @Override
  Answer post(String path, String json, Map<String, String> headers) throws Exception {
    URI base = URI.create(sim.baseUrl());
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    FullHttpRequest request = new DefaultFullHttpRequest(
        HttpVersion.HTTP_1_1, HttpMethod.POST, base.getPath() + path, Unpooled.wrappedBuffer(body));
    request.headers().set(HttpHeaderNames.HOST, base.getHost() + ":" + base.getPort());
    request.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length);
    headers.forEach((name, value) -> request.headers().set(name, value));
    CompletableFuture<Answer> answer = new CompletableFuture<>();
    Channel ch = channel();
    ch.pipeline().get(Application.class).pending = answer;
    ch.writeAndFlush(request);
    return answer.get(60, TimeUnit.SECONDS);
  }
}
