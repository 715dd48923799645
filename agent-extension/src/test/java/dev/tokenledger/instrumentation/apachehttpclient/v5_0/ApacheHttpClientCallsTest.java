package dev.tokenledger.instrumentation.apachehttpclient.v5_0;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.agent.CallProbe;
import dev.tokenledger.agent.TestInputStream;
import dev.tokenledger.agent.TestTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.impl.classic.CloseableHttpResponse;
import org.apache.hc.core5.http.ClassicHttpRequest;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.io.entity.EntityTemplate;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.http.io.entity.InputStreamEntity;
import org.apache.hc.core5.http.message.BasicClassicHttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link ApacheHttpClientCalls}, the advice of the classic client as plain code, driven as the client
 * drives it: {@code enter} at execute, the client writing the request entity, {@code onResponse} at
 * doExecute's exit, the application reading the response entity, {@code exit}. Small repeatable
 * entities are copied up front and left in place; streamed and large ones are scanned as the client
 * writes them and put back afterwards; only the outermost entry makes a call.
 */
@ExtendWith(TestTelemetry.Extension.class)
class ApacheHttpClientCallsTest {

  static final ContentType JSON = ContentType.APPLICATION_JSON;
  static final HttpHost OPENAI = new HttpHost("https", CallProbe.HOST, 443);

  static HttpPost speech(HttpEntity entity) {
    HttpPost post = new HttpPost("https://" + CallProbe.HOST + CallProbe.SPEECH_PATH);
    post.setHeader("Authorization", CallProbe.API_KEY);
    post.setEntity(entity);
    return post;
  }

  /** What the connection does with the request entity. */
  static byte[] send(ClassicHttpRequest request) throws IOException {
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    request.getEntity().writeTo(wire);
    return wire.toByteArray();
  }

  static CloseableHttpResponse response(int status, HttpEntity entity) {
    BasicClassicHttpResponse response = new BasicClassicHttpResponse(status);
    response.setHeader("X-Request-Id", "req_apache");
    response.setHeader("Content-Type", entity == null ? "audio/mpeg" : entity.getContentType());
    response.setEntity(entity);
    return CloseableHttpResponse.adapt(response);
  }

  static HttpEntity audio(int length) {
    return new InputStreamEntity(new TestInputStream(new byte[length], 4096), length, ContentType.create("audio/mpeg"));
  }

  @Test
  void aSmallRepeatableEntityIsCopiedUpFrontAndLeftInPlace() throws IOException {
    ByteArrayEntity body = new ByteArrayEntity(CallProbe.speechRequest(), JSON);
    HttpPost post = speech(body);
    ApacheHttpClientCalls.Started state = ApacheHttpClientCalls.enter(OPENAI, post);
    assertNotNull(state);
    SpanContext during = Span.current().getSpanContext();
    assertTrue(during.isValid(), "the execution runs in the call's context");
    assertSame(body, post.getEntity());
    assertArrayEquals(CallProbe.speechRequest(), send(post));

    CloseableHttpResponse response = response(200, audio(9000));
    ApacheHttpClientCalls.onResponse(post, response);
    assertTrue(response.getEntity() instanceof TeeEntity);
    assertEquals(9000, EntityUtils.toByteArray(response.getEntity()).length);
    ApacheHttpClientCalls.exit(state, null);
    assertFalse(Span.current().getSpanContext().isValid());

    assertEquals("completed", CallProbe.endStatus());
    assertEquals(during, CallProbe.span().getSpanContext());
    assertEquals(CallProbe.SPEECH_MODEL, CallProbe.requestModel());
    Attributes row = CallProbe.rows().get(0).getAttributes();
    assertEquals("req_apache", row.get(AttributeKey.stringKey("openai.request.id")));
    assertEquals("sk-proj…aB3d", row.get(AttributeKey.stringKey("tokenledger.api_key.fingerprint")));
  }

  @Test
  void aStreamedEntityIsWrittenOnceScannedAndPutBack() throws IOException {
    byte[] request = CallProbe.speechRequest(CallProbe.speechInput(20_000));
    TestInputStream content = new TestInputStream(request, 1000);
    InputStreamEntity body = new InputStreamEntity(content, -1, JSON);
    HttpPost post = speech(body);
    ApacheHttpClientCalls.Started state = ApacheHttpClientCalls.enter(OPENAI, post);
    assertTrue(post.getEntity() instanceof ScanningRequestEntity);
    assertEquals(0, content.position(), "nothing read up front");
    assertArrayEquals(request, send(post));

    CloseableHttpResponse response = response(200, audio(100));
    ApacheHttpClientCalls.onResponse(post, response);
    EntityUtils.consume(response.getEntity());
    ApacheHttpClientCalls.exit(state, null);
    assertSame(body, post.getEntity(), "the application's entity is back");
    assertEquals(20_000L, CallProbe.inputCharacters());
    assertEquals(CallProbe.SPEECH_MODEL, CallProbe.requestModel());
  }

  @Test
  void aLargeRepeatableEntityIsScannedInsteadOfCopied() throws IOException {
    byte[] request = CallProbe.speechRequest(CallProbe.speechInput(700_000));
    assertTrue(request.length > 1024 * 1024);
    int[] writes = {0};
    EntityTemplate body = new EntityTemplate(request.length, JSON, null, out -> {
      writes[0]++;
      out.write(request);
    });
    assertTrue(body.isRepeatable());
    HttpPost post = speech(body);
    ApacheHttpClientCalls.Started state = ApacheHttpClientCalls.enter(OPENAI, post);
    assertArrayEquals(request, send(post));
    assertEquals(1, writes[0], "written by the connection only");
    CloseableHttpResponse response = response(200, audio(10));
    ApacheHttpClientCalls.onResponse(post, response);
    EntityUtils.toByteArray(response.getEntity());
    ApacheHttpClientCalls.exit(state, null);
    assertSame(body, post.getEntity());
    assertEquals(700_000L, CallProbe.inputCharacters());
  }

  @Test
  void onlyTheOutermostEntryMakesACall() throws IOException {
    HttpPost post = speech(new ByteArrayEntity(CallProbe.speechRequest(), JSON));
    ApacheHttpClientCalls.Started outer = ApacheHttpClientCalls.enter(OPENAI, post);
    ApacheHttpClientCalls.Started inner = ApacheHttpClientCalls.enter(null, post);
    assertNotNull(outer);
    assertNull(inner);
    CloseableHttpResponse response = response(200, audio(100));
    ApacheHttpClientCalls.onResponse(post, response);
    ApacheHttpClientCalls.exit(inner, null);
    EntityUtils.toByteArray(response.getEntity());
    ApacheHttpClientCalls.exit(outer, null);
    assertEquals(1, CallProbe.spans().size());

    TestTelemetry.clear();
    ApacheHttpClientCalls.Started next = ApacheHttpClientCalls.enter(OPENAI, speech(new ByteArrayEntity(CallProbe.speechRequest(), JSON)));
    assertNotNull(next, "the thread is free again after the exit");
    ApacheHttpClientCalls.exit(next, new IOException("x"));
  }

  @Test
  void aCallMadeFromAResponseHandlerIsACallOfItsOwn() throws IOException {
    HttpPost first = speech(new ByteArrayEntity(CallProbe.speechRequest(), JSON));
    ApacheHttpClientCalls.Started outer = ApacheHttpClientCalls.enter(OPENAI, first);
    SpanContext outerSpan = Span.current().getSpanContext();
    CloseableHttpResponse firstResponse = response(200, audio(100));
    ApacheHttpClientCalls.onResponse(first, firstResponse);

    // The response handler, still inside the first execute, executes another request.
    HttpPost second = speech(new ByteArrayEntity(CallProbe.speechRequest(), JSON));
    ApacheHttpClientCalls.Started inner = ApacheHttpClientCalls.enter(null, second);
    assertNotNull(inner, "another request on the same thread is a call of its own");
    assertNull(ApacheHttpClientCalls.enter(OPENAI, second), "its own overloads still make one call");
    CloseableHttpResponse secondResponse = response(200, audio(200));
    ApacheHttpClientCalls.onResponse(second, secondResponse);
    assertTrue(secondResponse.getEntity() instanceof TeeEntity);
    assertEquals(200, EntityUtils.toByteArray(secondResponse.getEntity()).length);
    ApacheHttpClientCalls.exit(inner, null);
    assertEquals(outerSpan, Span.current().getSpanContext(), "back in the first call's context");

    // A request to another host from the handler is left alone, and not taken for the first call's.
    HttpPost other = new HttpPost("https://example.com/v1/audio/speech");
    assertNull(ApacheHttpClientCalls.enter(new HttpHost("https", "example.com", 443), other));
    CloseableHttpResponse otherResponse = response(200, audio(10));
    HttpEntity otherEntity = otherResponse.getEntity();
    ApacheHttpClientCalls.onResponse(other, otherResponse);
    assertSame(otherEntity, otherResponse.getEntity());

    assertEquals(100, EntityUtils.toByteArray(firstResponse.getEntity()).length);
    ApacheHttpClientCalls.exit(outer, null);
    assertFalse(Span.current().getSpanContext().isValid());

    assertEquals(2, CallProbe.rows().size());
    assertEquals(2, CallProbe.spans().size());
    SpanData nested = CallProbe.spans().stream()
        .filter(s -> !s.getSpanContext().equals(outerSpan)).findFirst().orElseThrow();
    assertEquals(outerSpan, nested.getParentSpanContext(), "the handler's call is nested in the first");
    ApacheHttpClientCalls.Started again = ApacheHttpClientCalls.enter(OPENAI, first);
    assertNotNull(again, "the thread is free again after both exits");
    ApacheHttpClientCalls.exit(again, new IOException("x"));
  }

  @Test
  void theSameRequestExecutedAgainFromItsResponseHandlerIsACallOfItsOwn() throws IOException {
    byte[] request = CallProbe.speechRequest(CallProbe.speechInput(700_000));
    EntityTemplate body = new EntityTemplate(request.length, JSON, null, out -> out.write(request));
    HttpPost post = speech(body);
    ApacheHttpClientCalls.Started outer = ApacheHttpClientCalls.enter(OPENAI, post);
    HttpEntity outerEntity = post.getEntity();
    assertArrayEquals(request, send(post));
    CloseableHttpResponse firstResponse = response(200, audio(100));
    firstResponse.setHeader("X-Request-Id", "req_first");
    ApacheHttpClientCalls.onResponse(post, firstResponse);

    // The response handler, still inside the first execute, sends the same request again.
    ApacheHttpClientCalls.Started inner = ApacheHttpClientCalls.enter(null, post);
    assertNotNull(inner, "after its response, the same request is sent again: a call of its own");
    assertNull(ApacheHttpClientCalls.enter(OPENAI, post), "its own overloads still make one call");
    assertArrayEquals(request, send(post));
    CloseableHttpResponse secondResponse = response(200, audio(200));
    secondResponse.setHeader("X-Request-Id", "req_second");
    ApacheHttpClientCalls.onResponse(post, secondResponse);
    assertEquals(200, EntityUtils.toByteArray(secondResponse.getEntity()).length);
    ApacheHttpClientCalls.exit(inner, null);
    assertSame(outerEntity, post.getEntity(), "the first call's entity until its own exit");

    assertEquals(100, EntityUtils.toByteArray(firstResponse.getEntity()).length);
    ApacheHttpClientCalls.exit(outer, null);
    assertSame(body, post.getEntity(), "the application's entity is back");

    assertEquals(2, CallProbe.rows().size());
    for (String requestId : new String[] {"req_first", "req_second"}) {
      Attributes row = CallProbe.rows().stream().map(r -> r.getAttributes())
          .filter(a -> requestId.equals(a.get(AttributeKey.stringKey("openai.request.id")))).findFirst().orElseThrow();
      assertEquals("completed", row.get(AttributeKey.stringKey("tokenledger.status")), requestId);
      assertEquals(700_000L, row.get(AttributeKey.longKey("tokenledger.usage.input_characters")), requestId);
    }
  }

  @Test
  void theHostComesFromTheRequestWhenNoTargetIsGiven() {
    HttpPost post = speech(new ByteArrayEntity(CallProbe.speechRequest(), JSON));
    ApacheHttpClientCalls.Started state = ApacheHttpClientCalls.enter(null, post);
    assertNotNull(state);
    ApacheHttpClientCalls.exit(state, new java.net.UnknownHostException(CallProbe.HOST));
    assertEquals(java.net.UnknownHostException.class.getName(), CallProbe.errorType());
    assertEquals(CallProbe.HOST,
        CallProbe.span().getAttributes().get(AttributeKey.stringKey("server.address")));
  }

  @Test
  void aFailureBeforeAResponseIsAFailedRequestAndTheEntityIsPutBack() {
    InputStreamEntity body = new InputStreamEntity(new TestInputStream(CallProbe.speechRequest()), -1, JSON);
    HttpPost post = speech(body);
    ApacheHttpClientCalls.Started state = ApacheHttpClientCalls.enter(OPENAI, post);
    ApacheHttpClientCalls.exit(state, new java.net.ConnectException("Connection refused"));
    assertSame(body, post.getEntity());
    assertFalse(Span.current().getSpanContext().isValid());
    assertEquals(Map.of("error/none", 1L), CallProbe.requests());
    assertEquals(java.net.ConnectException.class.getName(), CallProbe.errorType());
  }

  @Test
  void aHandlerFailingBeforeTheBodyIsReadEndsTheCallTruncated() {
    HttpPost post = speech(new ByteArrayEntity(CallProbe.speechRequest(), JSON));
    ApacheHttpClientCalls.Started state = ApacheHttpClientCalls.enter(OPENAI, post);
    ApacheHttpClientCalls.onResponse(post, response(200, audio(9000)));
    IllegalStateException handlerBug = new IllegalStateException("handler bug");
    ApacheHttpClientCalls.exit(state, handlerBug);
    assertEquals("truncated", CallProbe.endStatus());
    assertEquals(IllegalStateException.class.getName(), CallProbe.errorType());
  }

  @Test
  void closingTheResponseUnreadEndsTheCallTruncated() throws IOException {
    HttpPost post = speech(new ByteArrayEntity(CallProbe.speechRequest(), JSON));
    ApacheHttpClientCalls.Started state = ApacheHttpClientCalls.enter(OPENAI, post);
    CloseableHttpResponse response = response(200, audio(9000));
    ApacheHttpClientCalls.onResponse(post, response);
    ApacheHttpClientCalls.exit(state, null);
    assertNull(CallProbe.endStatus(), "the body is still the application's to read");
    response.close();
    assertEquals("truncated", CallProbe.endStatus());
  }

  @Test
  void aResponseWithoutEntityEndsTheCallAtOnce() {
    HttpPost post = speech(new ByteArrayEntity(CallProbe.speechRequest(), JSON));
    ApacheHttpClientCalls.Started state = ApacheHttpClientCalls.enter(OPENAI, post);
    CloseableHttpResponse response = response(200, null);
    ApacheHttpClientCalls.onResponse(post, response);
    assertNull(response.getEntity());
    ApacheHttpClientCalls.exit(state, null);
    assertEquals("completed", CallProbe.endStatus());
  }

  @Test
  void otherRequestsPassUntouched() throws IOException {
    ByteArrayEntity body = new ByteArrayEntity("{}".getBytes(), JSON);
    HttpPost other = new HttpPost("https://example.com/v1/chat/completions");
    other.setEntity(body);
    assertNull(ApacheHttpClientCalls.enter(new HttpHost("https", "example.com", 443), other));
    assertSame(body, other.getEntity());
    CloseableHttpResponse response = response(200, audio(10));
    HttpEntity entity = response.getEntity();
    ApacheHttpClientCalls.onResponse(other, response);
    assertSame(entity, response.getEntity(), "no call on this thread: the response is left alone");
    assertNull(ApacheHttpClientCalls.enter(OPENAI, new HttpGet("https://" + CallProbe.HOST + "/v1/models")));
    assertDoesNotThrow(() -> ApacheHttpClientCalls.exit(null, new IOException("x")));
    assertDoesNotThrow(() -> ApacheHttpClientCalls.onResponse(other, null));
    assertTrue(CallProbe.spans().isEmpty());
  }

  @Test
  void anEntityThatCannotBeCopiedIsSentAsTheApplicationMadeIt() throws IOException {
    byte[] request = CallProbe.speechRequest();
    int[] writes = {0};
    EntityTemplate flaky = new EntityTemplate(request.length, JSON, null, out -> {
      if (++writes[0] == 1) {
        throw new IOException("our copy fails");
      }
      out.write(request);
    });
    HttpPost post = speech(flaky);
    ApacheHttpClientCalls.Started state = assertDoesNotThrow(() -> ApacheHttpClientCalls.enter(OPENAI, post));
    assertArrayEquals(request, send(post), "our failed copy does not reach the application");
    CloseableHttpResponse response = response(200, audio(10));
    ApacheHttpClientCalls.onResponse(post, response);
    EntityUtils.toByteArray(response.getEntity());
    ApacheHttpClientCalls.exit(state, null);
    assertSame(flaky, post.getEntity());
    assertEquals(CallProbe.SPEECH_MODEL, CallProbe.requestModel(), "the body was scanned as it went out instead");
  }
}
