package dev.tokenledger.demo;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.hc.client5.http.async.methods.AbstractBinResponseConsumer;
import org.apache.hc.client5.http.async.methods.SimpleHttpRequest;
import org.apache.hc.client5.http.async.methods.SimpleHttpResponse;
import org.apache.hc.client5.http.async.methods.SimpleRequestBuilder;
import org.apache.hc.client5.http.async.methods.SimpleRequestProducer;
import org.apache.hc.client5.http.entity.mime.MultipartEntityBuilder;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.HttpResponse;

/**
 * Apache HttpClient 5 async: whole bodies as {@code SimpleHttpRequest}s through the returned future,
 * streams through a streaming consumer whose end the app hears of by its callback, the two styles
 * apps use. The default client (5.6+) asks for gzip and decodes it by itself.
 */
final class ApacheAsyncClient implements DemoClient {

  private final DemoApp.Config cfg;
  private final CloseableHttpAsyncClient http = HttpAsyncClients.createDefault();

  ApacheAsyncClient(DemoApp.Config cfg) {
    this.cfg = cfg;
    http.start();
  }

  @Override
  public String name() {
    return "apache-async";
  }

  @Override
  public Result run(String scenario) throws Exception {
    Scenarios.Call c = Scenarios.call(scenario, cfg);
    SimpleRequestBuilder builder = SimpleRequestBuilder.create(c.method()).setUri(c.uri());
    for (Map.Entry<String, String> h : c.headers().entrySet()) {
      if (!h.getKey().equalsIgnoreCase("Content-Type")) {
        builder.setHeader(h.getKey(), h.getValue());
      }
    }
    if (c.form() != null) {
      MultipartEntityBuilder mb = MultipartEntityBuilder.create();
      c.form().fields().forEach((k, v) -> mb.addTextBody(k, v, ContentType.TEXT_PLAIN));
      mb.addBinaryBody(c.form().fileField(), c.form().file(), ContentType.create(c.form().fileType()),
          c.form().fileName());
      HttpEntity form = mb.build();
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      form.writeTo(bytes);
      builder.setBody(bytes.toByteArray(), ContentType.parse(form.getContentType()));
    } else if (c.json() != null) {
      builder.setBody(c.json(), ContentType.APPLICATION_JSON);
    }
    SimpleHttpRequest request = builder.build();
    long timeout = cfg.timeout().toMillis();

    if (c.kind() == Scenarios.Kind.JSON) {
      SimpleHttpResponse response = http.execute(request, null).get(timeout, TimeUnit.MILLISECONDS);
      byte[] body = response.getBodyBytes();
      return Result.of(response.getCode(), body == null ? new byte[0] : body);
    }
    DigestingConsumer consumer = new DigestingConsumer();
    CompletableFuture<Integer> done = new CompletableFuture<>();
    http.execute(SimpleRequestProducer.create(request), consumer, new FutureCallback<Integer>() {
      @Override
      public void completed(Integer status) {
        done.complete(status);
      }

      @Override
      public void failed(Exception ex) {
        done.completeExceptionally(ex);
      }

      @Override
      public void cancelled() {
        done.cancel(false);
      }
    });
    int status = done.get(timeout, TimeUnit.MILLISECONDS);
    return Result.of(status, consumer.digest);
  }

  /** Hashes each buffer as it arrives, the way a streaming app reads it. */
  static final class DigestingConsumer extends AbstractBinResponseConsumer<Integer> {
    final Bodies.Digest digest = new Bodies.Digest();
    private int status;

    @Override
    protected void start(HttpResponse response, ContentType contentType) {
      status = response.getCode();
    }

    @Override
    protected int capacityIncrement() {
      return 64 * 1024;
    }

    @Override
    protected void data(ByteBuffer src, boolean endOfStream) {
      byte[] chunk = new byte[src.remaining()];
      src.get(chunk);
      digest.update(chunk, 0, chunk.length);
    }

    @Override
    protected Integer buildResult() {
      return status;
    }

    @Override
    public void releaseResources() {}
  }

  @Override
  public void close() {
    try {
      http.close();
    } catch (Exception ignored) {
      // closing at exit
    }
  }
}
