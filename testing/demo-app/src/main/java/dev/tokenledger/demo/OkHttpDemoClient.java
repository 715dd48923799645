package dev.tokenledger.demo;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.MediaType;
import okhttp3.MultipartBody;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * OkHttp 5: blocking {@code execute()} for most scenarios and asynchronous {@code enqueue} for a few,
 * the two paths an agent must see. OkHttp asks for gzip and decodes it by itself.
 */
final class OkHttpDemoClient implements DemoClient {

  /** Scenarios sent with enqueue and read inside the callback, as asynchronous apps do. */
  private static final Set<String> ENQUEUE =
      Set.of("responses", "embeddings", "chat-stream-no-usage", "error-429", "speech");

  private static final MediaType JSON = MediaType.get("application/json");

  private final DemoApp.Config cfg;
  private final OkHttpClient http;

  OkHttpDemoClient(DemoApp.Config cfg) {
    this.cfg = cfg;
    long t = cfg.timeout().toMillis();
    this.http = new OkHttpClient.Builder()
        .callTimeout(t, TimeUnit.MILLISECONDS)
        .readTimeout(t, TimeUnit.MILLISECONDS)
        .build();
  }

  @Override
  public String name() {
    return "okhttp";
  }

  @Override
  public Result run(String scenario) throws Exception {
    return run(scenario, Scenarios.call(scenario, cfg));
  }

  /** Also used by the openai-java client for what the SDK cannot express. */
  Result run(String scenario, Scenarios.Call c) throws Exception {
    Request.Builder b = new Request.Builder().url(c.uri().toString());
    for (Map.Entry<String, String> h : c.headers().entrySet()) {
      if (!h.getKey().equalsIgnoreCase("Content-Type")) {
        b.header(h.getKey(), h.getValue());
      }
    }
    if (c.form() != null) {
      MultipartBody.Builder mb = new MultipartBody.Builder().setType(MultipartBody.FORM);
      c.form().fields().forEach(mb::addFormDataPart);
      mb.addFormDataPart(c.form().fileField(), c.form().fileName(),
          RequestBody.create(c.form().file(), MediaType.get(c.form().fileType())));
      b.post(mb.build());
    } else if (c.json() != null) {
      b.post(RequestBody.create(c.json(), JSON));
    } else {
      b.get();
    }
    Call call = http.newCall(b.build());
    if (!ENQUEUE.contains(scenario)) {
      try (Response r = call.execute()) {
        return read(r, c.kind());
      }
    }
    CompletableFuture<Result> done = new CompletableFuture<>();
    call.enqueue(new Callback() {
      @Override
      public void onFailure(Call call, IOException e) {
        done.completeExceptionally(e);
      }

      @Override
      public void onResponse(Call call, Response response) {
        try (Response r = response) {
          done.complete(read(r, c.kind()));
        } catch (IOException | RuntimeException e) {
          done.completeExceptionally(e);
        }
      }
    });
    return done.get(cfg.timeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
  }

  private static Result read(Response r, Scenarios.Kind kind) throws IOException {
    ResponseBody body = r.body();
    switch (kind) {
      case SSE -> {
        try (InputStream in = body.byteStream()) {
          return Result.of(r.code(), Bodies.readLines(in, new Bodies.SseConsumer()));
        }
      }
      case STREAM -> {
        try (InputStream in = body.byteStream()) {
          return Result.of(r.code(), Bodies.drain(in));
        }
      }
      default -> {
        return Result.of(r.code(), body.bytes());
      }
    }
  }

  @Override
  public void close() {
    // OkHttp's dispatcher threads are not daemons: stop them so the JVM can exit promptly.
    http.dispatcher().executorService().shutdown();
    http.connectionPool().evictAll();
  }
}
