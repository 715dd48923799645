package dev.tokenledger.apps.clients;

import dev.tokenledger.apps.AppMain;
import dev.tokenledger.apps.Digest;
import dev.tokenledger.apps.Requests;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.apache.hc.client5.http.async.methods.AbstractBinResponseConsumer;
import org.apache.hc.client5.http.async.methods.SimpleHttpRequest;
import org.apache.hc.client5.http.async.methods.SimpleHttpResponse;
import org.apache.hc.client5.http.async.methods.SimpleRequestBuilder;
import org.apache.hc.client5.http.async.methods.SimpleRequestProducer;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.HttpResponse;

/**
 * Apache HttpClient 5 async: a chat call with the simple (buffering) consumer, and a chat stream with a
 * streaming consumer that sees each piece of the body as it arrives.
 */
public final class ApacheAsyncApp {

  public static void main(String[] args) throws Exception {
    String baseUrl = AppMain.env("OPENAI_BASE_URL");
    String authorization = "Bearer " + AppMain.env("OPENAI_API_KEY");
    try (CloseableHttpAsyncClient client = HttpAsyncClients.createDefault()) {
      client.start();
      int exit = new AppMain("apache-async")
          .scenario("chat", results -> {
            String model = "gpt-4o-mini";
            SimpleHttpResponse response =
                client.execute(request(baseUrl + "/chat/completions", authorization, Requests.chat(model, false)), null)
                    .get(1, TimeUnit.MINUTES);
            results.raw(model, new Digest().update(response.getBodyBytes()));
          })
          .scenario("chat-stream", results -> {
            String model = "gpt-4.1-mini";
            SimpleHttpRequest request = request(baseUrl + "/chat/completions", authorization, Requests.chat(model, true));
            Digest digest = client.execute(SimpleRequestProducer.create(request), new DigestingConsumer(), null)
                .get(1, TimeUnit.MINUTES);
            results.raw(model, digest);
          })
          .run(args);
      System.exit(exit);
    }
  }

  private static SimpleHttpRequest request(String url, String authorization, String json) {
    return SimpleRequestBuilder.post(url)
        .setHeader("Authorization", authorization)
        .setBody(json, ContentType.APPLICATION_JSON)
        .build();
  }

  /** Digests the body piece by piece as the client hands it over. */
  private static final class DigestingConsumer extends AbstractBinResponseConsumer<Digest> {
    private final Digest digest = new Digest();

    @Override
    protected void start(HttpResponse response, ContentType contentType) {
      if (response.getCode() != 200) {
        throw new IllegalStateException("HTTP " + response.getCode());
      }
    }

    @Override
    protected int capacityIncrement() {
      return 4096;
    }

    @Override
    protected void data(ByteBuffer src, boolean endOfStream) {
      digest.update(src);
      src.position(src.limit());
    }

    @Override
    protected Digest buildResult() {
      return digest;
    }

    @Override
    public void releaseResources() {}
  }
}
