package dev.tokenledger.instrumentation.javahttpclient;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.tokenledger.agent.CallProbe;
import dev.tokenledger.agent.TestTelemetry;
import dev.tokenledger.usage.RequestInfo;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests whose bodies are not in memory (as Spring's {@code JdkClientHttpRequestFactory}, Spring
 * AI and other frameworks send them), sent by a real {@code java.net.http} client to a local server,
 * once as the application sends them and once through the advice ({@link JavaHttpClientCalls} in
 * the advice's place): the server receives the same method, path, headers and bytes both times, the
 * record names the requested model and counts the input, and a failing body fails the application's
 * send exactly as it does without us. The client reaches the server as its HTTP proxy, so the
 * requests keep OpenAI's host name.
 */
@ExtendWith(TestTelemetry.Extension.class)
class SentRequestBodiesTest {

  /** What the server received. */
  record Received(String method, String uri, Map<String, List<String>> headers, byte[] body) {}

  static HttpServer server;
  static final LinkedBlockingQueue<Received> RECEIVED = new LinkedBlockingQueue<>();
  static final AtomicInteger REDIRECTS = new AtomicInteger();
  static HttpClient client;
  static ExecutorService threads;

  @BeforeAll
  static void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", SentRequestBodiesTest::answer);
    threads = Executors.newCachedThreadPool();
    server.setExecutor(threads);
    server.start();
    client = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .proxy(ProxySelector.of(server.getAddress()))
        .followRedirects(HttpClient.Redirect.NORMAL)
        .build();
  }

  @AfterAll
  static void stop() {
    server.stop(0);
    threads.shutdownNow();
  }

  static void answer(HttpExchange exchange) throws IOException {
    byte[] body;
    try (InputStream in = exchange.getRequestBody()) {
      body = in.readAllBytes();
    } catch (IOException e) {
      body = null; // the client gave up on its body
    }
    Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    headers.putAll(exchange.getRequestHeaders());
    RECEIVED.add(new Received(exchange.getRequestMethod(), exchange.getRequestURI().toString(), headers, body));
    if ("redirect".equals(exchange.getRequestURI().getQuery()) && REDIRECTS.getAndDecrement() > 0) {
      // 307: the client sends the same method and body again, to the new location
      exchange.getResponseHeaders().add("Location", "http://" + CallProbe.HOST + CallProbe.SPEECH_PATH);
      exchange.sendResponseHeaders(307, -1);
      exchange.close();
      return;
    }
    byte[] audio = new byte[3000];
    exchange.getResponseHeaders().add("Content-Type", "audio/mpeg");
    exchange.getResponseHeaders().add("x-request-id", "req_sent");
    exchange.sendResponseHeaders(200, audio.length);
    exchange.getResponseBody().write(audio);
    exchange.close();
  }

  static final String INPUT = CallProbe.speechInput(2000);
  static final byte[] BODY = CallProbe.speechRequest(INPUT);
  static final long CHARACTERS = INPUT.codePointCount(0, INPUT.length());
  static final URI SPEECH = URI.create("http://" + CallProbe.HOST + CallProbe.SPEECH_PATH);

  static HttpRequest.Builder speech(URI uri) {
    return HttpRequest.newBuilder(uri)
        .header("Authorization", CallProbe.API_KEY)
        .header("Content-Type", "application/json")
        .header("X-Repeated", "one")
        .header("X-Repeated", "two")
        .timeout(Duration.ofSeconds(20));
  }

  /** Sends as the application does, without us. */
  static HttpResponse<byte[]> plain(HttpRequest request) throws Exception {
    return client.send(request, HttpResponse.BodyHandlers.ofByteArray());
  }

  /** Sends as under the agent: the advice's enter, the send with what it returned, the advice's exit. */
  static HttpResponse<byte[]> traced(HttpRequest request, boolean async) throws Exception {
    Object[] state = JavaHttpClientCalls.onSend(request, HttpResponse.BodyHandlers.ofByteArray());
    @SuppressWarnings("unchecked")
    HttpResponse.BodyHandler<byte[]> handler = (HttpResponse.BodyHandler<byte[]>) state[1];
    HttpRequest sent = (HttpRequest) state[0];
    if (async) {
      java.util.concurrent.CompletableFuture<HttpResponse<byte[]>> future = client.sendAsync(sent, handler);
      JavaHttpClientCalls.onSendAsyncReturned(state, future, null);
      return future.get(20, TimeUnit.SECONDS);
    }
    try {
      HttpResponse<byte[]> response = client.send(sent, handler);
      JavaHttpClientCalls.onSendReturned(state, null);
      return response;
    } catch (Exception e) {
      JavaHttpClientCalls.onSendReturned(state, e);
      throw e;
    }
  }

  /**
   * The call ends on the client's thread as the body completes, a moment after send returns; its
   * span ends last.
   */
  static void awaitRecord() throws InterruptedException {
    for (int i = 0; i < 500 && CallProbe.spans().isEmpty(); i++) {
      Thread.sleep(10);
    }
  }

  static Received received() throws InterruptedException {
    Received r = RECEIVED.poll(20, TimeUnit.SECONDS);
    assertNotNull(r, "the server received nothing");
    return r;
  }

  /**
   * Sends a request built with a body from {@code body} (a fresh publisher each time) without us and
   * through the advice, and checks that the server got the same request both times and that the
   * record is exact.
   */
  Received assertSentAsItIsAndRead(String what, HttpRequest.Builder builder, Supplier<BodyPublisher> body, boolean async)
      throws Exception {
    TestTelemetry.clear();
    RECEIVED.clear();
    HttpResponse<byte[]> expected = plain(builder.copy().POST(body.get()).build());
    Received app = received();
    // The baseline, without us: on a loaded machine the JDK's own server now and then loses the body
    // of an expect-continue request it has answered with 100 (the read fails). Only the baseline is
    // sent again; the send through the advice below must succeed the first time.
    for (int attempt = 1; app.body() == null && attempt < 3; attempt++) {
      expected = plain(builder.copy().POST(body.get()).build());
      app = received();
    }
    assertArrayEquals(BODY, app.body(), what + ": the body as the application sends it");

    HttpRequest request = builder.copy().POST(body.get()).build();
    HttpResponse<byte[]> response = traced(request, async);
    Received ours = received();
    assertEquals(app.method(), ours.method(), what);
    assertEquals(app.uri(), ours.uri(), what);
    assertEquals(app.headers(), ours.headers(), what + ": the same headers");
    assertArrayEquals(app.body(), ours.body(), what + ": the same bytes");
    assertEquals(expected.statusCode(), response.statusCode());
    assertArrayEquals(expected.body(), response.body(), what + ": the same response");
    // The response's request is the client's own copy of what was sent: the same but for the publisher.
    HttpRequest echoed = response.request();
    HttpRequest expectedEcho = expected.request();
    assertEquals(expectedEcho.method(), echoed.method(), what);
    assertEquals(expectedEcho.uri(), echoed.uri(), what);
    assertEquals(expectedEcho.headers(), echoed.headers(), what);
    assertEquals(expectedEcho.timeout(), echoed.timeout(), what);
    assertEquals(expectedEcho.expectContinue(), echoed.expectContinue(), what);
    assertEquals(expectedEcho.version(), echoed.version(), what);

    awaitRecord();
    assertEquals("completed", CallProbe.endStatus(), what);
    assertEquals(CallProbe.SPEECH_MODEL, CallProbe.requestModel(), what + ": the requested model");
    assertEquals(CHARACTERS, CallProbe.inputCharacters(), what + ": every input character, once");
    return ours;
  }

  @Test
  void streamsFilesAndCustomPublishersAreReadAsTheyAreSent(@TempDir Path dir) throws Exception {
    Path file = Files.write(dir.resolve("speech.json"), BODY);
    HttpRequest.Builder builder = speech(SPEECH);
    assertSentAsItIsAndRead("ofInputStream", builder, () -> BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(BODY)), false);
    assertSentAsItIsAndRead("ofFile", builder, () -> file(file), false);
    assertSentAsItIsAndRead("fromPublisher with a length", builder,
        () -> BodyPublishers.fromPublisher(new SmallBuffers(BODY, 7, false), BODY.length), false);
    assertSentAsItIsAndRead("fromPublisher, chunked", builder,
        () -> BodyPublishers.fromPublisher(new SmallBuffers(BODY, 7, true)), false);
    assertSentAsItIsAndRead("a custom BodyPublisher in 1-byte buffers", builder,
        () -> new SmallBuffers(BODY, 1, true), false);
    assertSentAsItIsAndRead("ofByteArrays", builder,
        () -> BodyPublishers.ofByteArrays(List.of(Arrays.copyOf(BODY, 10), Arrays.copyOfRange(BODY, 10, BODY.length))), false);
    int a = BODY.length / 3;
    int b = 2 * BODY.length / 3;
    assertSentAsItIsAndRead("concatenated", builder,
        () -> BodyPublishers.concat(
            BodyPublishers.ofByteArray(BODY, 0, a),
            BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(BODY, a, b - a)),
            BodyPublishers.fromPublisher(new SmallBuffers(Arrays.copyOfRange(BODY, b, BODY.length), 5, false))),
        false);
    assertSentAsItIsAndRead("sendAsync", builder,
        () -> BodyPublishers.fromPublisher(new SmallBuffers(BODY, 13, true), BODY.length), true);
  }

  @Test
  void everyRequestPropertyIsKept() throws Exception {
    HttpRequest.Builder builder = speech(SPEECH).expectContinue(true).version(HttpClient.Version.HTTP_1_1);
    Received sent = assertSentAsItIsAndRead("expect-continue", builder,
        () -> BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(BODY)), false);
    assertEquals("100-continue", sent.headers().get("Expect").get(0).toLowerCase(java.util.Locale.ROOT));
    assertEquals(List.of("one", "two"), sent.headers().get("X-Repeated"));
  }

  @Test
  void aLargeInMemoryBodyIsReadAsItIsSent() throws Exception {
    String input = CallProbe.speechInput(RequestInfo.MAX_REQUEST_BYTES);
    byte[] body = CallProbe.speechRequest(input);
    assertTrue(body.length > RequestInfo.MAX_REQUEST_BYTES, "too large to copy up front");
    RECEIVED.clear();
    HttpResponse<byte[]> response = traced(speech(SPEECH).POST(BodyPublishers.ofByteArray(body)).build(), false);
    assertEquals(200, response.statusCode());
    assertArrayEquals(body, received().body());
    awaitRecord();
    assertEquals(CallProbe.SPEECH_MODEL, CallProbe.requestModel());
    assertEquals((long) input.codePointCount(0, input.length()), CallProbe.inputCharacters());
  }

  @Test
  void aRedirectSendsTheBodyAgainAndItIsReadOnce() throws Exception {
    REDIRECTS.set(1);
    RECEIVED.clear();
    AtomicInteger opened = new AtomicInteger();
    HttpRequest request = speech(URI.create("http://" + CallProbe.HOST + CallProbe.SPEECH_PATH + "?redirect"))
        .POST(BodyPublishers.ofInputStream(() -> {
          opened.incrementAndGet();
          return new ByteArrayInputStream(BODY);
        }))
        .build();
    HttpResponse<byte[]> response = traced(request, false);
    assertEquals(200, response.statusCode());
    assertArrayEquals(BODY, received().body(), "first send");
    assertArrayEquals(BODY, received().body(), "sent again after the redirect");
    assertEquals(2, opened.get());
    awaitRecord();
    assertEquals(CHARACTERS, CallProbe.inputCharacters(), "the characters of one body");
  }

  @Test
  void aResponsesRequestSentAgainIsReadAgain() throws Exception {
    RECEIVED.clear();
    HttpResponse<byte[]> first = traced(speech(SPEECH)
        .POST(BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(BODY))).build(), false);
    awaitRecord();
    TestTelemetry.clear();
    HttpResponse<byte[]> again = traced(first.request(), false);
    assertEquals(200, again.statusCode());
    assertArrayEquals(received().body(), received().body(), "the same body both times");
    awaitRecord();
    assertEquals(CallProbe.SPEECH_MODEL, CallProbe.requestModel());
    assertEquals(CHARACTERS, CallProbe.inputCharacters());
  }

  @Test
  void aFailingBodyFailsTheSendAsItWouldWithoutUs() throws Exception {
    List<Supplier<BodyPublisher>> failing = List.of(
        () -> BodyPublishers.fromPublisher(new SmallBuffers(BODY, 100, false).failingAfter(3, new IOException("source gone"))),
        () -> BodyPublishers.ofInputStream(() -> new FailingStream(BODY, 500)),
        () -> BodyPublishers.ofInputStream(() -> {
          throw new IllegalStateException("no stream today");
        }));
    for (Supplier<BodyPublisher> body : failing) {
      TestTelemetry.clear();
      Throwable expected = sendFailure(speech(SPEECH).POST(body.get()).build(), false);
      Throwable actual = sendFailure(speech(SPEECH).POST(body.get()).build(), true);
      assertNotNull(expected, "the application's send fails");
      assertNotSame(expected, actual);
      assertEquals(describe(expected), describe(actual), "the same failure reaches the application");
      awaitRecord();
      assertEquals(describe(expected).split(" <- ")[0].split(": ")[0], CallProbe.errorType(), "the call failed with it");
      RECEIVED.clear();
    }
  }

  @Test
  void theFailureObjectItselfReachesTheApplication() throws Exception {
    IOException failure = new IOException("source gone");
    Throwable thrown = sendFailure(speech(SPEECH)
        .POST(BodyPublishers.fromPublisher(new SmallBuffers(BODY, 100, false).failingAfter(2, failure))).build(), true);
    boolean found = false;
    for (Throwable t = thrown; t != null; t = t.getCause()) {
      found |= t == failure;
    }
    assertTrue(found, "the publisher's own exception is in what the application catches: " + describe(thrown));
  }

  static Throwable sendFailure(HttpRequest request, boolean traced) {
    try {
      if (traced) {
        traced(request, false);
      } else {
        plain(request);
      }
      return null;
    } catch (Throwable t) {
      return t;
    }
  }

  /** A failure's classes and messages, cause by cause. */
  static String describe(Throwable t) {
    StringBuilder out = new StringBuilder();
    for (; t != null; t = t.getCause()) {
      out.append(out.length() == 0 ? "" : " <- ").append(t.getClass().getName()).append(": ").append(t.getMessage());
    }
    return out.toString();
  }

  static BodyPublisher file(Path path) {
    try {
      return BodyPublishers.ofFile(path);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A publisher as frameworks write them: delivers the body in buffers of {@code size} bytes on its
   * own thread, never more than asked for, optionally failing after some buffers.
   */
  static final class SmallBuffers implements BodyPublisher {
    final byte[] body;
    final int size;
    final boolean unknownLength;
    int failAfter = -1;
    Throwable failure;

    SmallBuffers(byte[] body, int size, boolean unknownLength) {
      this.body = body;
      this.size = size;
      this.unknownLength = unknownLength;
    }

    SmallBuffers failingAfter(int buffers, Throwable failure) {
      this.failAfter = buffers;
      this.failure = failure;
      return this;
    }

    @Override
    public long contentLength() {
      return unknownLength ? -1 : body.length;
    }

    @Override
    public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
      ExecutorService thread = Executors.newSingleThreadExecutor();
      subscriber.onSubscribe(new Flow.Subscription() {
        int at;
        int sent;
        boolean done;

        @Override
        public void request(long n) {
          thread.execute(() -> {
            for (long i = 0; i < n && !done; i++) {
              if (sent == failAfter) {
                done = true;
                subscriber.onError(failure);
              } else if (at < body.length) {
                int length = Math.min(size, body.length - at);
                subscriber.onNext(ByteBuffer.wrap(body, at, length).slice());
                at += length;
                sent++;
              }
              if (!done && at == body.length) {
                done = true;
                subscriber.onComplete();
              }
            }
            if (done) {
              thread.shutdown();
            }
          });
        }

        @Override
        public void cancel() {
          thread.execute(() -> {
            done = true;
            thread.shutdown();
          });
        }
      });
    }
  }

  /** A stream that fails after {@code goodBytes} bytes. */
  static final class FailingStream extends InputStream {
    final InputStream in;
    int left;

    FailingStream(byte[] body, int goodBytes) {
      this.in = new ByteArrayInputStream(body);
      this.left = goodBytes;
    }

    @Override
    public int read() throws IOException {
      if (left-- <= 0) {
        throw new IOException("disk gone");
      }
      return in.read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left <= 0) {
        throw new IOException("disk gone");
      }
      int n = in.read(b, off, Math.min(len, left));
      left -= n;
      return n;
    }
  }
}
