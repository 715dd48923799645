package dev.tokenledger.instrumentation.netty.v4_1;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.asynchttpclient.AsyncHttpClient;
import org.asynchttpclient.BoundRequestBuilder;
import org.asynchttpclient.Dsl;
import org.asynchttpclient.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** AsyncHttpClient 3: one keep-alive connection per host, gzip enforced and undone by the client, no retries. */
class AsyncHttpClientTest extends NettyClientContract {

  static AsyncHttpClient client;

  @BeforeAll
  static void startClient() {
    client = Dsl.asyncHttpClient(Dsl.config()
        .setKeepAlive(true)
        // One request, one answer: the client's own retries of a dropped connection would send a request twice.
        .setMaxRequestRetry(0)
        .setMaxConnectionsPerHost(1)
        .setCompressionEnforced(true)
        .setEnableAutomaticDecompression(true)
        .setRequestTimeout(Duration.ofSeconds(60)));
  }

  @AfterAll
  static void stopClient() throws Exception {
    client.close();
  }

  @Override
  Answer post(String path, String json, Map<String, String> headers) throws Exception {
    BoundRequestBuilder request = client.preparePost(sim.baseUrl() + path).setBody(json);
    headers.forEach(request::setHeader);
    try {
      Response response = request.execute().get(60, TimeUnit.SECONDS);
      return new Answer(response.getStatusCode(), response.getResponseBodyAsBytes(), null);
    } catch (ExecutionException e) {
      return new Answer(-1, null, e.getCause());
    }
  }
}
