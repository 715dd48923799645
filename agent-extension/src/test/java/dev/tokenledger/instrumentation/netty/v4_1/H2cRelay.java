package dev.tokenledger.instrumentation.netty.v4_1;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * An HTTP/2 (cleartext, prior knowledge) front for the simulator, built on Netty's own server side
 * of the same stream codec: each stream's request is sent on to the simulator over HTTP/1.1 and its
 * whole answer (status, headers, body bytes as sent, gzip included) written back on the stream.
 */
final class H2cRelay implements AutoCloseable {

  private static final Set<String> HOP_BY_HOP =
      Set.of("connection", "keep-alive", "transfer-encoding", "content-length", "host", "upgrade");

  private final EventLoopGroup group = new NioEventLoopGroup(1);
  private final ExecutorService forwarding = Executors.newCachedThreadPool();
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final Channel server;
  private final String target;

  H2cRelay(String target) throws InterruptedException {
    this.target = target;
    this.server = new ServerBootstrap()
        .group(group)
        .channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel connection) {
            connection.pipeline().addLast(Http2FrameCodecBuilder.forServer().build());
            connection.pipeline().addLast(new Http2MultiplexHandler(new ChannelInitializer<Channel>() {
              @Override
              protected void initChannel(Channel stream) {
                stream.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(true));
                stream.pipeline().addLast(new HttpObjectAggregator(64 * 1024 * 1024));
                stream.pipeline().addLast(new Forward());
              }
            }));
          }
        })
        .bind("127.0.0.1", 0)
        .sync()
        .channel();
  }

  /** {@code http://127.0.0.1:PORT} */
  String origin() {
    return "http://127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort();
  }

  private final class Forward extends SimpleChannelInboundHandler<FullHttpRequest> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
      byte[] body = ByteBufUtil.getBytes(request.content());
      HttpRequest.Builder out = HttpRequest.newBuilder(URI.create(target + request.uri()))
          .method(request.method().name(), HttpRequest.BodyPublishers.ofByteArray(body));
      for (Map.Entry<String, String> header : request.headers()) {
        String name = header.getKey().toLowerCase(Locale.ROOT);
        if (!name.startsWith(":") && !HOP_BY_HOP.contains(name)) {
          out.header(header.getKey(), header.getValue());
        }
      }
      forwarding.execute(() -> {
        FullHttpResponse response;
        try {
          HttpResponse<byte[]> answer = http.send(out.build(), HttpResponse.BodyHandlers.ofByteArray());
          response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(answer.statusCode()),
              Unpooled.wrappedBuffer(answer.body()));
          for (Map.Entry<String, List<String>> header : answer.headers().map().entrySet()) {
            if (!HOP_BY_HOP.contains(header.getKey().toLowerCase(Locale.ROOT)) && !header.getKey().startsWith(":")) {
              response.headers().add(header.getKey().toLowerCase(Locale.ROOT), header.getValue());
            }
          }
          response.headers().set("content-length", answer.body().length);
        } catch (Exception e) {
          response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_GATEWAY);
        }
        ctx.writeAndFlush(response);
      });
    }
  }

  @Override
  public void close() throws InterruptedException {
    server.close().sync();
    group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).sync();
    forwarding.shutdownNow();
  }
}
