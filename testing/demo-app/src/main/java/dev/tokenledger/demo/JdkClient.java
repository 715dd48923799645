package dev.tokenledger.demo;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Flow;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * {@code java.net.http.HttpClient}. Scenarios are spread over {@code send} and {@code sendAsync},
 * over the byte-array, input-stream and lines body handlers, and over request bodies in memory, from
 * a stream and from a {@code Flow.Publisher} (as Spring's {@code JdkClientHttpRequestFactory} sends
 * them), because an agent reads each of those paths separately.
 */
final class JdkClient implements DemoClient {

  /** JSON scenarios sent with sendAsync (the rest use send). */
  private static final Set<String> ASYNC =
      Set.of("responses", "embeddings", "chat-image", "moderations", "error-500", "unknown-fields");

  /** SSE scenarios read with BodyHandlers.ofLines (the rest: sendAsync + ofInputStream). */
  private static final Set<String> LINES = Set.of("chat-stream-usage", "responses-stream", "slow-stream");

  /** Request bodies sent from a Flow.Publisher in small buffers: with their length, and chunked. */
  private static final Set<String> PUBLISHED = Set.of("chat", "completions", "speech", "chat-audio", "azure-chat");
  private static final Set<String> PUBLISHED_CHUNKED = Set.of("chat-stream-usage", "responses-stream", "malformed");

  /** Request bodies read from an InputStream. */
  private static final Set<String> STREAMED = Set.of("embeddings", "chat-image", "moderations", "transcription");

  private final DemoApp.Config cfg;
  private final HttpClient http;

  JdkClient(DemoApp.Config cfg) {
    this.cfg = cfg;
    // HTTP/1.1: the default (HTTP/2) would try an h2c upgrade on plain-http URLs.
    this.http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10))
        .build();
  }

  @Override
  public String name() {
    return "jdk";
  }

  @Override
  public Result run(String scenario) throws Exception {
    Scenarios.Call c = Scenarios.call(scenario, cfg);
    HttpRequest.Builder b = HttpRequest.newBuilder(c.uri()).timeout(cfg.timeout());
    for (Map.Entry<String, String> h : c.headers().entrySet()) {
      b.header(h.getKey(), h.getValue());
    }
    boolean gzip = c.headers().containsKey("X-Sim-Gzip");
    if (gzip) {
      // java.net.http never decompresses by itself: an app that wants gzip asks and decodes.
      b.header("Accept-Encoding", "gzip");
    }
    if (c.form() != null) {
      String boundary = "----demo" + UUID.randomUUID();
      b.header("Content-Type", "multipart/form-data; boundary=" + boundary);
      b.POST(body(scenario, multipart(c.form(), boundary)));
    } else if (c.json() != null) {
      b.POST(body(scenario, c.json()));
    } else {
      b.GET();
    }
    HttpRequest req = b.build();

    switch (c.kind()) {
      case SSE -> {
        if (LINES.contains(scenario)) {
          HttpResponse<Stream<String>> r = http.send(req, HttpResponse.BodyHandlers.ofLines());
          // ofLines hands over lines without their LF; the bytes are those lines each followed by
          // LF, which is how SSE servers (and the simulator) end lines.
          Bodies.Digest d = new Bodies.Digest();
          Bodies.SseConsumer sse = new Bodies.SseConsumer();
          try (Stream<String> lines = r.body()) {
            lines.forEach(line -> {
              byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
              d.update(bytes, 0, bytes.length);
              sse.accept(line);
            });
          }
          return Result.of(r.statusCode(), d);
        }
        HttpResponse<InputStream> r =
            http.sendAsync(req, HttpResponse.BodyHandlers.ofInputStream()).join();
        try (InputStream in = r.body()) {
          return Result.of(r.statusCode(), Bodies.readLines(in, new Bodies.SseConsumer()));
        }
      }
      case STREAM -> {
        HttpResponse<InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = r.body()) {
          return Result.of(r.statusCode(), Bodies.drain(in));
        }
      }
      default -> {
        if (gzip) {
          HttpResponse<InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
          boolean encoded = r.headers().firstValue("Content-Encoding").orElse("").contains("gzip");
          try (InputStream in = encoded ? new GZIPInputStream(r.body()) : r.body()) {
            return Result.of(r.statusCode(), in.readAllBytes());
          }
        }
        HttpResponse<byte[]> r = ASYNC.contains(scenario)
            ? http.sendAsync(req, HttpResponse.BodyHandlers.ofByteArray()).join()
            : http.send(req, HttpResponse.BodyHandlers.ofByteArray());
        return Result.of(r.statusCode(), r.body());
      }
    }
  }

  static HttpRequest.BodyPublisher body(String scenario, byte[] bytes) {
    if (PUBLISHED.contains(scenario)) {
      return HttpRequest.BodyPublishers.fromPublisher(new SmallBuffers(bytes, 512), bytes.length);
    }
    if (PUBLISHED_CHUNKED.contains(scenario)) {
      return HttpRequest.BodyPublishers.fromPublisher(new SmallBuffers(bytes, 100));
    }
    if (STREAMED.contains(scenario)) {
      return HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes));
    }
    return HttpRequest.BodyPublishers.ofByteArray(bytes);
  }

  /** A body published in buffers of {@code size} bytes, each when asked for. */
  static final class SmallBuffers implements Flow.Publisher<ByteBuffer> {
    private final byte[] bytes;
    private final int size;

    SmallBuffers(byte[] bytes, int size) {
      this.bytes = bytes;
      this.size = size;
    }

    @Override
    public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
      subscriber.onSubscribe(new Flow.Subscription() {
        private long demand;
        private int at;
        private boolean delivering;
        private boolean done;

        @Override
        public synchronized void request(long n) {
          demand = demand + n < 0 ? Long.MAX_VALUE : demand + n;
          if (delivering) {
            return; // the loop below delivers it
          }
          delivering = true;
          while (!done && demand > 0 && at < bytes.length) {
            int length = Math.min(size, bytes.length - at);
            demand--;
            ByteBuffer chunk = ByteBuffer.wrap(bytes, at, length);
            at += length;
            subscriber.onNext(chunk);
          }
          if (!done && at == bytes.length) {
            done = true;
            subscriber.onComplete();
          }
          delivering = false;
        }

        @Override
        public synchronized void cancel() {
          done = true;
        }
      });
    }
  }

  /** A multipart/form-data body written by hand, as apps without a multipart helper do. */
  static byte[] multipart(Scenarios.Form form, String boundary) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Map.Entry<String, String> f : form.fields().entrySet()) {
      out.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + f.getKey()
          + "\"\r\n\r\n" + f.getValue() + "\r\n").getBytes(StandardCharsets.UTF_8));
    }
    out.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + form.fileField()
        + "\"; filename=\"" + form.fileName() + "\"\r\nContent-Type: " + form.fileType()
        + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    out.write(form.file());
    out.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    return out.toByteArray();
  }
}
