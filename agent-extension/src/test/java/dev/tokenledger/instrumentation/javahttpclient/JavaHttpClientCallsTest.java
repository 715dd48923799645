package dev.tokenledger.instrumentation.javahttpclient;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.agent.CallProbe;
import dev.tokenledger.agent.OpenAiCall;
import dev.tokenledger.agent.TestTelemetry;
import dev.tokenledger.instrumentation.javahttpclient.Flows.Shape;
import dev.tokenledger.instrumentation.javahttpclient.Flows.Upstream;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodySubscriber;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link JavaHttpClientCalls}, the advice of {@code HttpClientImpl.send/sendAsync} as plain code: an
 * OpenAI request gets a call (its in-memory body read up front) and the application's handler is
 * wrapped once; the call's context is current for the send only; a send that fails before a
 * response ends the call as a failed request; nothing of ours ever throws into the send.
 */
@ExtendWith(TestTelemetry.Extension.class)
class JavaHttpClientCallsTest {

  static HttpRequest speechRequest() {
    return HttpRequest.newBuilder(URI.create("https://" + CallProbe.HOST + CallProbe.SPEECH_PATH))
        .header("Authorization", CallProbe.API_KEY)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(CallProbe.speechRequest()))
        .build();
  }

  @Test
  void anOpenAiSendGetsACallAndAWrappedHandlerWithinItsContext() throws Exception {
    HttpResponse.BodyHandler<byte[]> app = HttpResponse.BodyHandlers.ofByteArray();
    Object[] state = JavaHttpClientCalls.onSend(speechRequest(), app);
    assertTrue(state[1] instanceof TeeBodyHandler);
    assertTrue(JavaHttpClientCalls.CallScope.of(state) != null);
    SpanContext during = Span.current().getSpanContext();
    assertTrue(during.isValid(), "the send runs in the call's context");
    JavaHttpClientCalls.onSendReturned(state, null);
    assertFalse(Span.current().getSpanContext().isValid(), "and only the send");
    assertTrue(CallProbe.spans().isEmpty(), "a returned send leaves the call to its body");

    @SuppressWarnings("unchecked")
    HttpResponse.BodyHandler<byte[]> handler = (HttpResponse.BodyHandler<byte[]>) state[1];
    BodySubscriber<byte[]> subscriber = handler.apply(Flows.responseInfo(200, "Content-Type", "audio/mpeg"));
    new Upstream(Flows.items(new byte[5000], Shape.HEAP, new int[] {1000}, 1), true).subscribe(subscriber);
    assertEquals(5000, subscriber.getBody().toCompletableFuture().get(10, TimeUnit.SECONDS).length);

    assertEquals("completed", CallProbe.endStatus());
    assertEquals(during, CallProbe.span().getSpanContext());
    assertEquals(CallProbe.SPEECH_MODEL, CallProbe.requestModel(), "the in-memory body was read up front");
    assertEquals((long) CallProbe.SPEECH_INPUT.length(), CallProbe.inputCharacters());
  }

  @Test
  void aBodyNotCopiedUpFrontIsSentThroughAScanningPublisher() {
    HttpRequest inMemory = speechRequest();
    Object[] state = JavaHttpClientCalls.onSend(inMemory, HttpResponse.BodyHandlers.ofString());
    assertSame(inMemory, state[0], "an in-memory body was read up front: the request is the application's");
    JavaHttpClientCalls.onSendReturned(state, null);

    HttpRequest streamed = HttpRequest.newBuilder(URI.create("https://" + CallProbe.HOST + CallProbe.SPEECH_PATH))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(CallProbe.speechRequest())))
        .build();
    Object[] scanned = JavaHttpClientCalls.onSend(streamed, HttpResponse.BodyHandlers.ofString());
    HttpRequest sent = (HttpRequest) scanned[0];
    assertTrue(sent.bodyPublisher().get() instanceof ScanningBodyPublisher);
    assertEquals(streamed.headers(), sent.headers());
    Object[] inner = JavaHttpClientCalls.onSend(sent, (HttpResponse.BodyHandler<?>) scanned[1]);
    assertSame(sent, inner[0], "a nested overload passes the request on as it is");
    JavaHttpClientCalls.onSendReturned(scanned, null);

    HttpRequest other = HttpRequest.newBuilder(URI.create("https://example.com/v1/audio/speech"))
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(new byte[1]))).build();
    assertSame(other, JavaHttpClientCalls.onSend(other, HttpResponse.BodyHandlers.ofString())[0]);
  }

  @Test
  void aSendFailingBeforeAResponseIsAFailedRequest() {
    Object[] state = JavaHttpClientCalls.onSend(speechRequest(), HttpResponse.BodyHandlers.ofString());
    IOException refused = new java.net.ConnectException("Connection refused");
    JavaHttpClientCalls.onSendReturned(state, refused);
    assertFalse(Span.current().getSpanContext().isValid());
    assertEquals(Map.of("error/none", 1L), CallProbe.requests());
    assertEquals(java.net.ConnectException.class.getName(), CallProbe.errorType());
    assertTrue(CallProbe.rows().isEmpty());
  }

  @Test
  void aSendFailingMidBodyKeepsTheBodysRecord() throws Exception {
    Object[] state = JavaHttpClientCalls.onSend(speechRequest(), HttpResponse.BodyHandlers.ofByteArray());
    @SuppressWarnings("unchecked")
    BodySubscriber<byte[]> subscriber =
        ((HttpResponse.BodyHandler<byte[]>) state[1]).apply(Flows.responseInfo(200, "Content-Type", "audio/mpeg"));
    IOException eof = new IOException("EOF reached while reading");
    new Upstream(Flows.items(new byte[5000], Shape.HEAP, new int[] {1000}, 1), false).failingWith(eof).subscribe(subscriber);
    JavaHttpClientCalls.onSendReturned(state, eof);
    assertEquals("truncated", CallProbe.endStatus());
    assertEquals(Map.of("truncated/counted", 1L), CallProbe.requests());
  }

  @Test
  void anAsyncSendEndsTheCallWhenItsFutureFails() {
    Object[] state = JavaHttpClientCalls.onSend(speechRequest(), HttpResponse.BodyHandlers.ofString());
    CompletableFuture<HttpResponse<String>> future = new CompletableFuture<>();
    JavaHttpClientCalls.onSendAsyncReturned(state, future, null);
    assertFalse(Span.current().getSpanContext().isValid(), "the context ends with sendAsync's return");
    assertTrue(CallProbe.spans().isEmpty());
    future.completeExceptionally(new HttpTimeoutException("request timed out"));
    assertEquals(HttpTimeoutException.class.getName(), CallProbe.errorType());
    assertEquals(Map.of("error/none", 1L), CallProbe.requests());
  }

  /** A loopback address nothing listens on: a real client's connection there is refused at once. */
  static URI refusedUri() throws IOException {
    int port;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    return URI.create("http://127.0.0.1:" + port + CallProbe.SPEECH_PATH);
  }

  @Test
  void aRealSendThatIsRefusedIsAFailedRequestOfItsExceptionsType() throws Exception {
    Object[] state = JavaHttpClientCalls.onSend(speechRequest(), HttpResponse.BodyHandlers.ofString());
    Throwable thrown = null;
    try {
      HttpClient.newHttpClient().send(HttpRequest.newBuilder(refusedUri()).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      thrown = e;
    }
    assertNotNull(thrown);
    JavaHttpClientCalls.onSendReturned(state, thrown);
    assertEquals(java.net.ConnectException.class.getName(), CallProbe.errorType());
    assertEquals(Map.of("error/none", 1L), CallProbe.requests());
  }

  @Test
  void aRealAsyncSendThatIsRefusedIsAFailedRequestOfTheCausesType() throws Exception {
    Object[] state = JavaHttpClientCalls.onSend(speechRequest(), HttpResponse.BodyHandlers.ofString());
    CompletableFuture<HttpResponse<String>> future = HttpClient.newHttpClient()
        .sendAsync(HttpRequest.newBuilder(refusedUri()).build(), HttpResponse.BodyHandlers.ofString());
    JavaHttpClientCalls.onSendAsyncReturned(state, future, null);
    try {
      future.get(10, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException expected) {
      // refused
    }
    for (int i = 0; i < 100 && CallProbe.spans().isEmpty(); i++) {
      Thread.sleep(20); // the future's callbacks run on the client's thread
    }
    assertEquals(java.net.ConnectException.class.getName(), CallProbe.errorType());
  }

  @Test
  void anAsyncSendThatSucceedsLeavesTheCallToItsBody() {
    Object[] state = JavaHttpClientCalls.onSend(speechRequest(), HttpResponse.BodyHandlers.ofString());
    CompletableFuture<HttpResponse<String>> future = new CompletableFuture<>();
    JavaHttpClientCalls.onSendAsyncReturned(state, future, null);
    future.complete(null);
    assertTrue(CallProbe.spans().isEmpty());
    JavaHttpClientCalls.CallScope.of(state).call.end(false);
    assertEquals(1, CallProbe.spans().size());
  }

  @Test
  void anAsyncSendThatThrowsAtOnceIsAFailedRequest() {
    Object[] state = JavaHttpClientCalls.onSend(speechRequest(), HttpResponse.BodyHandlers.ofString());
    JavaHttpClientCalls.onSendAsyncReturned(state, null, new IllegalArgumentException("bad header"));
    assertEquals(IllegalArgumentException.class.getName(), CallProbe.errorType());
    assertFalse(Span.current().getSpanContext().isValid());
  }

  @Test
  void theHandlerIsWrappedOnceAcrossNestedSends() {
    Object[] outer = JavaHttpClientCalls.onSend(speechRequest(), HttpResponse.BodyHandlers.ofString());
    HttpResponse.BodyHandler<?> wrapped = (HttpResponse.BodyHandler<?>) outer[1];
    Object[] inner = JavaHttpClientCalls.onSend(speechRequest(), wrapped);
    assertSame(wrapped, inner[1]);
    assertNull(inner[2]);
    assertNull(JavaHttpClientCalls.CallScope.of(inner));
    JavaHttpClientCalls.onSendReturned(inner, new IOException("inner"));
    JavaHttpClientCalls.onSendReturned(outer, new IOException("outer"));
    assertEquals(1, CallProbe.spans().size(), "one call");
    assertFalse(Span.current().getSpanContext().isValid());
  }

  @Test
  void otherRequestsAndNullHandlersPassUntouched() {
    HttpResponse.BodyHandler<String> app = HttpResponse.BodyHandlers.ofString();
    HttpRequest other = HttpRequest.newBuilder(URI.create("https://example.com/v1/chat/completions"))
        .POST(HttpRequest.BodyPublishers.ofString("{}")).build();
    Object[] state = JavaHttpClientCalls.onSend(other, app);
    assertSame(app, state[1]);
    assertNull(JavaHttpClientCalls.CallScope.of(state));
    assertDoesNotThrow(() -> JavaHttpClientCalls.onSendReturned(state, new IOException("x")));

    HttpRequest models = HttpRequest.newBuilder(URI.create("https://" + CallProbe.HOST + "/v1/models")).build();
    assertSame(app, JavaHttpClientCalls.onSend(models, app)[1]);
    assertNull(JavaHttpClientCalls.onSend(speechRequest(), null)[1]);
    assertDoesNotThrow(() -> JavaHttpClientCalls.onSendReturned(null, null));
    assertDoesNotThrow(() -> JavaHttpClientCalls.onSendAsyncReturned(null, null, null));
    assertTrue(CallProbe.spans().isEmpty());
  }

  @Test
  void aRequestWeCannotReadIsSentAsItIs() {
    HttpRequest unreadable = new HttpRequest() {
      @Override
      public Optional<BodyPublisher> bodyPublisher() {
        throw new IllegalStateException("no publisher for you");
      }

      @Override
      public String method() {
        return "POST";
      }

      @Override
      public Optional<Duration> timeout() {
        return Optional.empty();
      }

      @Override
      public boolean expectContinue() {
        return false;
      }

      @Override
      public URI uri() {
        return URI.create("https://" + CallProbe.HOST + "/v1/chat/completions");
      }

      @Override
      public Optional<HttpClient.Version> version() {
        return Optional.empty();
      }

      @Override
      public HttpHeaders headers() {
        return HttpHeaders.of(Map.of(), (n, v) -> true);
      }
    };
    HttpResponse.BodyHandler<String> app = HttpResponse.BodyHandlers.ofString();
    Object[] state = assertDoesNotThrow(() -> JavaHttpClientCalls.onSend(unreadable, app));
    assertSame(app, state[1]);
    assertNull(JavaHttpClientCalls.CallScope.of(state));
    assertNotNull(state);
  }
}
