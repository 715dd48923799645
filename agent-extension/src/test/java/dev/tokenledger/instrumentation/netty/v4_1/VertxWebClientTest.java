package dev.tokenledger.instrumentation.netty.v4_1;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The Vert.x 5 web client (Quarkus' REST clients build on Vert.x too): one keep-alive connection. */
class VertxWebClientTest extends NettyClientContract {

  static Vertx vertx;
  static WebClient client;

  @BeforeAll
  static void startClient() {
    vertx = Vertx.vertx();
    client = WebClient.create(
        vertx,
        new WebClientOptions().setKeepAlive(true).setDecompressionSupported(true),
        new PoolOptions().setHttp1MaxSize(1));
  }

  @AfterAll
  static void stopClient() throws Exception {
    client.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Override
  Answer post(String path, String json, Map<String, String> headers) throws Exception {
    HttpRequest<Buffer> request = client.postAbs(sim.baseUrl() + path);
    headers.forEach(request::putHeader);
    try {
      HttpResponse<Buffer> response = request.sendBuffer(Buffer.buffer(json))
          .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      Buffer body = response.body();
      return new Answer(response.statusCode(), body == null ? new byte[0] : body.getBytes(), null);
    } catch (ExecutionException e) {
      return new Answer(-1, null, e.getCause());
    }
  }
}
