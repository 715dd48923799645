package dev.tokenledger.instrumentation.javahttpclient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.agent.CallProbe;
import dev.tokenledger.agent.OpenAiCall;
import dev.tokenledger.agent.TestTelemetry;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextKey;
import io.opentelemetry.context.Scope;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link RequestCopy}: the request the client sends in the application's place is the application's
 * in every property but its body publisher, whether the JDK's own copy makes it (Java 16+) or it is
 * copied by hand (Java 11 to 15); and {@link RequestBodies#scanned} sends the application's own
 * request where no copy can be made.
 */
@ExtendWith(TestTelemetry.Extension.class)
class RequestCopyTest {

  static final URI CHAT = URI.create("https://api.openai.com/v1/chat/completions?api-version=1");

  static List<HttpRequest> requests() {
    List<HttpRequest> requests = new ArrayList<>();
    requests.add(HttpRequest.newBuilder(CHAT).POST(BodyPublishers.ofString("{}")).build());
    requests.add(HttpRequest.newBuilder(CHAT)
        .header("Content-Type", "application/json")
        .header("authorization", "Bearer sk-x")
        .header("X-Repeated", "b")
        .header("x-repeated", "a")
        .header("OpenAI-Project", "proj_1")
        .timeout(Duration.ofMillis(1234))
        .expectContinue(true)
        .version(HttpClient.Version.HTTP_2)
        .method("PATCH", BodyPublishers.ofString("{}"))
        .build());
    requests.add(HttpRequest.newBuilder(CHAT).version(HttpClient.Version.HTTP_1_1).PUT(BodyPublishers.noBody()).build());
    requests.add(HttpRequest.newBuilder(CHAT).method("GET", BodyPublishers.ofString("{}")).build());
    return requests;
  }

  static void assertSameButTheBody(HttpRequest app, HttpRequest copy, BodyPublisher body) {
    String what = app.method() + " " + app.headers().map();
    assertNotSame(app, copy);
    assertEquals(app.method(), copy.method(), what);
    assertEquals(app.uri(), copy.uri(), what);
    assertEquals(app.headers(), copy.headers(), what);
    assertEquals(new ArrayList<>(app.headers().map().entrySet()), new ArrayList<>(copy.headers().map().entrySet()),
        what + ": names, values and order");
    assertEquals(app.timeout(), copy.timeout(), what);
    assertEquals(app.expectContinue(), copy.expectContinue(), what);
    assertEquals(app.version(), copy.version(), what);
    assertSame(body, copy.bodyPublisher().orElseThrow(), what);
  }

  @Test
  void theCopyIsTheRequestButForItsBody() throws Throwable {
    for (HttpRequest app : requests()) {
      BodyPublisher body = BodyPublishers.ofString("{\"model\":\"m\"}");
      assertSameButTheBody(app, RequestCopy.withPublisher(app, body), body);
    }
  }

  @Test
  void theCopyByHandIsTheJdksCopy() {
    for (HttpRequest app : requests()) {
      BodyPublisher body = BodyPublishers.ofString("{}");
      HttpRequest byHand = RequestCopy.handBuilder(app).method(app.method(), body).build();
      assertSameButTheBody(app, byHand, body);
      HttpRequest jdk = HttpRequest.newBuilder(app, (name, value) -> true).method(app.method(), body).build();
      assertSameButTheBody(jdk, byHand, body);
    }
  }

  static final ContextKey<String> MARK = ContextKey.named("mark");

  /** A request of the application's own class, noting the context its headers are read in. */
  static final class OwnRequest extends HttpRequest {
    final Map<String, List<String>> headers;
    final List<Context> readIn = new ArrayList<>();

    OwnRequest(Map<String, List<String>> headers) {
      this.headers = headers;
    }

    @Override
    public Optional<BodyPublisher> bodyPublisher() {
      return Optional.of(BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(CallProbe.speechRequest())));
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
      return URI.create("https://" + CallProbe.HOST + CallProbe.SPEECH_PATH);
    }

    @Override
    public Optional<HttpClient.Version> version() {
      return Optional.empty();
    }

    @Override
    public HttpHeaders headers() {
      readIn.add(Context.current());
      return HttpHeaders.of(headers, (n, v) -> true);
    }
  }

  @Test
  void headersAreCopiedOutsideTheCurrentContext() throws Throwable {
    // The agent's own HTTP client instrumentation adds the current trace context to headers(): read
    // in the application's context, the copy would carry that context as headers of its own.
    OwnRequest app = new OwnRequest(Map.of("Content-Type", List.of("application/json")));
    try (Scope ignored = Context.current().with(MARK, "application").makeCurrent()) {
      RequestCopy.withPublisher(app, BodyPublishers.noBody());
    }
    assertTrue(!app.readIn.isEmpty());
    for (Context context : app.readIn) {
      assertEquals(null, context.get(MARK));
    }
  }

  @Test
  void aRequestThatCannotBeCopiedIsSentAsItIs() {
    // Built by hand, a request may hold a header the builder refuses (the client drops it itself).
    OwnRequest app = new OwnRequest(Map.of("Connection", List.of("close"), "Content-Type", List.of("application/json")));
    OpenAiCall call = CallProbe.startSpeech(false);
    assertSame(app, RequestBodies.scanned(app, call));
    CallProbe.finishSpeech(call);
    assertEquals(null, CallProbe.requestModel());
  }

  @Test
  void requestsWithoutABodyToReadAreSentAsTheyAre() {
    OpenAiCall call = CallProbe.startSpeech(false);
    HttpRequest get = HttpRequest.newBuilder(CHAT).GET().build();
    assertSame(get, RequestBodies.scanned(get, call));
    HttpRequest empty = HttpRequest.newBuilder(CHAT).POST(BodyPublishers.noBody()).build();
    assertSame(empty, RequestBodies.scanned(empty, call));
    HttpRequest stream = HttpRequest.newBuilder(CHAT)
        .POST(BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(new byte[1]))).build();
    HttpRequest scanned = RequestBodies.scanned(stream, call);
    ScanningBodyPublisher ours = (ScanningBodyPublisher) scanned.bodyPublisher().orElseThrow();
    assertSame(stream.bodyPublisher().orElseThrow(), ours.delegate());
    call.end(false);

    // Sent again (as a response's request()): the application's publisher is read for the new call.
    OpenAiCall again = CallProbe.startSpeech(false);
    ScanningBodyPublisher resent = (ScanningBodyPublisher) RequestBodies.scanned(scanned, again).bodyPublisher().orElseThrow();
    assertSame(stream.bodyPublisher().orElseThrow(), resent.delegate(), "never wrapped twice");
    again.end(false);
  }
}
