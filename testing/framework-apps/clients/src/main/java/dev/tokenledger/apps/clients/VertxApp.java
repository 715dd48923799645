package dev.tokenledger.apps.clients;

import dev.tokenledger.apps.AppMain;
import dev.tokenledger.apps.Digest;
import dev.tokenledger.apps.Requests;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.util.concurrent.TimeUnit;

/**
 * The Vert.x web client (Netty underneath): a chat call whose body the web client buffers, and a chat
 * stream read through the core HTTP client buffer by buffer as it arrives.
 */
public final class VertxApp {

  public static void main(String[] args) throws Exception {
    String baseUrl = AppMain.env("OPENAI_BASE_URL");
    String authorization = "Bearer " + AppMain.env("OPENAI_API_KEY");
    Vertx vertx = Vertx.vertx();
    WebClient web = WebClient.create(vertx);
    HttpClient http = vertx.createHttpClient();
    int exit = new AppMain("vertx")
        .scenario("chat", results -> {
          String model = "gpt-4o-mini";
          HttpResponse<Buffer> response = await(web.postAbs(baseUrl + "/chat/completions")
              .putHeader("Authorization", authorization)
              .putHeader("Content-Type", "application/json")
              .sendBuffer(Buffer.buffer(Requests.chat(model, false))));
          results.raw(model, new Digest().update(response.body().getBytes()));
        })
        .scenario("chat-stream", results -> {
          String model = "gpt-4.1-mini";
          Digest digest = new Digest();
          RequestOptions options = new RequestOptions()
              .setMethod(HttpMethod.POST)
              .setAbsoluteURI(baseUrl + "/chat/completions")
              .putHeader("Authorization", authorization)
              .putHeader("Content-Type", "application/json");
          await(http.request(options)
              .compose(request -> request.send(Buffer.buffer(Requests.chat(model, true))))
              .compose((HttpClientResponse response) -> {
                response.handler(buffer -> digest.update(buffer.getBytes()));
                return response.end();
              }));
          results.raw(model, digest);
        })
        .run(args);
    await(vertx.close());
    System.exit(exit);
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(1, TimeUnit.MINUTES);
  }
}
