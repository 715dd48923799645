package dev.tokenledger.instrumentation.okhttp.v3_0;

import static dev.tokenledger.instrumentation.okhttp.v3_0.AppBody.JSON;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.agent.BatchBody;
import dev.tokenledger.agent.CallProbe;
import dev.tokenledger.agent.TestTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.MultipartBody;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.Buffer;
import okio.Okio;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link TokenLedgerInterceptor} in a real OkHttpClient, first in the chain as the agent installs it;
 * the last interceptor plays the network (it writes the request body as the network would and
 * answers), so no socket is opened. Request bodies reach the network exactly once, response bodies
 * reach the application unchanged through the tee, and the application's exceptions pass through
 * while ours never reach it.
 */
@ExtendWith(TestTelemetry.Extension.class)
class TokenLedgerInterceptorTest {

  static final String CHAT_RESPONSE =
      "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"gpt-4o-2024-08-06\",\"choices\":[],"
          + "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":5,\"total_tokens\":17}}";

  /** The network: records what was sent and in which context, and answers as told. */
  static final class Network implements Interceptor {
    final List<byte[]> received = new ArrayList<>();
    SpanContext spanSeen;
    Exception failure;
    int code = 200;
    MediaType responseType = JSON;
    byte[] responseBytes = new byte[0];
    ResponseBody lastBody;

    @Override
    public Response intercept(Chain chain) throws IOException {
      Request request = chain.request();
      spanSeen = Span.current().getSpanContext();
      if (failure instanceof IOException) {
        throw (IOException) failure;
      } else if (failure != null) {
        throw (RuntimeException) failure;
      }
      if (request.body() != null) {
        Buffer wire = new Buffer();
        request.body().writeTo(wire);
        received.add(wire.readByteArray());
      }
      Response.Builder response = new Response.Builder()
          .request(request)
          .protocol(Protocol.HTTP_1_1)
          .code(code)
          .message("OK")
          .header("x-request-id", "req_okhttp")
          .header("Content-Type", responseType.toString());
      lastBody = ResponseBody.create(Okio.buffer(new TestSource(responseBytes, 1000, 7, 8192)), responseType,
          responseBytes.length);
      return response.body(lastBody).build();
    }
  }

  final Network network = new Network();
  final OkHttpClient client = client(network);

  static OkHttpClient client(Network network) {
    OkHttpClient.Builder builder = new OkHttpClient.Builder().addInterceptor(network);
    TokenLedgerInterceptor.install(builder.interceptors());
    return builder.build();
  }

  static Request.Builder openAi(String path) {
    return new Request.Builder().url("https://" + CallProbe.HOST + path).header("Authorization", CallProbe.API_KEY);
  }

  Response speech(RequestBody body, int audioBytes) throws IOException {
    network.responseType = MediaType.get("audio/mpeg");
    network.responseBytes = new byte[audioBytes];
    return client.newCall(openAi(CallProbe.SPEECH_PATH).post(body).build()).execute();
  }

  @Test
  void aSmallBodyIsWrittenOnceAndScannedOnTheWay() throws IOException {
    byte[] chat = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}".getBytes(StandardCharsets.UTF_8);
    network.responseBytes = CHAT_RESPONSE.getBytes(StandardCharsets.UTF_8);
    AppBody body = new AppBody(chat, chat.length);
    try (Response response = client.newCall(openAi("/v1/chat/completions").post(body).build()).execute()) {
      assertEquals(CHAT_RESPONSE, response.body().string());
    }
    assertEquals(1, body.writes, "written by the network only");
    assertEquals(1, network.received.size());
    assertArrayEquals(chat, network.received.get(0));
    Attributes row = CallProbe.rows().get(0).getAttributes();
    assertEquals("reported", row.get(AttributeKey.stringKey("tokenledger.usage.source")));
    assertEquals(12L, row.get(AttributeKey.longKey("tokenledger.usage.input_tokens")));
    assertEquals("req_okhttp", row.get(AttributeKey.stringKey("openai.request.id")));
    assertEquals("chat gpt-4o", CallProbe.span().getName());
  }

  @Test
  void aOneShotBodyIsWrittenOnceAndScannedOnTheWay() throws IOException {
    String input = CallProbe.speechInput(5000);
    byte[] request = CallProbe.speechRequest(input);
    AppBody.OneShot body = new AppBody.OneShot(request);
    try (Response response = speech(body, 30000)) {
      assertEquals(30000, response.body().bytes().length);
    }
    assertEquals(1, body.writes, "written once: by the network, not for a copy");
    assertArrayEquals(request, network.received.get(0));
    assertEquals("completed", CallProbe.endStatus());
    assertEquals(5000L, CallProbe.inputCharacters());
    assertEquals(CallProbe.SPEECH_MODEL, CallProbe.requestModel());
  }

  @Test
  void aLargeBodyIsWrittenOnceAndScannedOnTheWay() throws IOException {
    byte[] request = CallProbe.speechRequest(CallProbe.speechInput(800_000));
    assertTrue(request.length > 1024 * 1024, "larger than the up-front copy");
    AppBody body = new AppBody(request, request.length);
    try (Response response = speech(body, 100)) {
      response.body().bytes();
    }
    assertEquals(1, body.writes);
    assertArrayEquals(request, network.received.get(0));
    assertEquals(800_000L, CallProbe.inputCharacters());
    assertEquals(CallProbe.SPEECH_MODEL, CallProbe.requestModel());
  }

  @Test
  void aBodyOfUnknownLengthIsWrittenOnceAndScannedOnTheWay() throws IOException {
    byte[] request = CallProbe.speechRequest();
    AppBody body = new AppBody(request, -1);
    try (Response response = speech(body, 100)) {
      response.body().bytes();
    }
    assertEquals(1, body.writes);
    assertArrayEquals(request, network.received.get(0));
    assertEquals((long) CallProbe.SPEECH_INPUT.length(), CallProbe.inputCharacters());
  }

  @Test
  void aMultipartUploadsFileIsWrittenOnlyToTheNetwork() throws IOException {
    byte[] audio = new byte[50_000];
    AppBody file = new AppBody(audio, audio.length) {
      @Override
      public MediaType contentType() {
        return MediaType.get("audio/wav");
      }
    };
    MultipartBody form = new MultipartBody.Builder()
        .setType(MultipartBody.FORM)
        .addFormDataPart("file", "speech.wav", file)
        .addFormDataPart("model", "whisper-1")
        .addFormDataPart("response_format", "json")
        .build();
    network.responseBytes = "{\"text\":\"hi\",\"usage\":{\"type\":\"duration\",\"seconds\":2}}".getBytes(StandardCharsets.UTF_8);
    try (Response response = client.newCall(openAi("/v1/audio/transcriptions").post(form).build()).execute()) {
      response.body().string();
    }
    assertEquals(1, file.writes, "the file goes to the network only");
    Buffer sent = new Buffer();
    form.writeTo(sent);
    assertArrayEquals(sent.readByteArray(), network.received.get(0));
    assertEquals("whisper-1", CallProbe.requestModel());
  }

  @Test
  void theResponseBodyReachesTheApplicationUnchangedAndFeedsTheCall() throws IOException {
    BatchBody batch = new BatchBody(300);
    network.responseType = MediaType.get("application/octet-stream");
    network.responseBytes = batch.bytes;
    byte[] read;
    try (Response response = client.newCall(openAi(CallProbe.BATCH_PATH).build()).execute()) {
      ResponseBody body = response.body();
      assertNotSame(network.lastBody, body, "the application reads through the tee");
      assertEquals(network.lastBody.contentType(), body.contentType());
      assertEquals(batch.bytes.length, body.contentLength());
      read = body.bytes();
    }
    batch.assertReadOnce(read);
  }

  @Test
  void closingTheResponseUnreadEndsTheCallTruncated() throws IOException {
    speech(RequestBody.create(CallProbe.speechRequest(), JSON), 50_000).close();
    assertEquals("truncated", CallProbe.endStatus());
  }

  @Test
  void theChainRunsInsideTheCallsSpan() throws IOException {
    speech(RequestBody.create(CallProbe.speechRequest(), JSON), 10).close();
    assertTrue(network.spanSeen.isValid());
    assertEquals(CallProbe.span().getSpanContext(), network.spanSeen);
    assertTrue(!Span.current().getSpanContext().isValid(), "and only the chain");
  }

  /**
   * The chain fails a speech request with {@code failure}: it reaches the application unchanged, and
   * the call's span names its class.
   */
  void assertChainFailureReachesTheApplication(Exception failure) {
    network.failure = failure;
    assertSame(failure, assertThrows(failure.getClass(), () -> speech(RequestBody.create(CallProbe.speechRequest(), JSON), 0)));
    assertEquals(failure.getClass().getName(), CallProbe.errorType());
  }

  @Test
  void aNetworkFailureReachesTheApplicationUnchangedAndEndsTheCallFailed() {
    assertChainFailureReachesTheApplication(new IOException("connection refused"));
    assertEquals(Map.of("error/none", 1L), CallProbe.requests());
    assertTrue(CallProbe.rows().isEmpty());
  }

  @Test
  void aRuntimeFailureOfTheChainReachesTheApplicationUnchanged() {
    assertChainFailureReachesTheApplication(new IllegalStateException("application interceptor bug"));
  }

  @Test
  void otherHostsAndPathsPassUntouched() throws IOException {
    network.responseBytes = "{}".getBytes(StandardCharsets.UTF_8);
    Request other = new Request.Builder().url("https://example.com/v1/chat/completions")
        .post(RequestBody.create("{}", JSON)).build();
    try (Response response = client.newCall(other).execute()) {
      assertSame(network.lastBody, response.body());
    }
    try (Response response = client.newCall(openAi("/v1/models").build()).execute()) {
      assertSame(network.lastBody, response.body());
    }
    assertTrue(CallProbe.spans().isEmpty());
    assertTrue(CallProbe.rows().isEmpty());
  }

  @Test
  void theKeyAndProjectAddedByTheApplicationsInterceptorsAttributeTheCall() throws IOException {
    Interceptor signing = chain -> chain.proceed(chain.request().newBuilder()
        .header("Authorization", CallProbe.API_KEY)
        .header("OpenAI-Project", "proj_signed")
        .build());
    OkHttpClient.Builder builder = new OkHttpClient.Builder().addInterceptor(signing).addInterceptor(network);
    TokenLedgerInterceptor.install(builder.interceptors());
    network.responseBytes = CHAT_RESPONSE.getBytes(StandardCharsets.UTF_8);
    Request unsigned = new Request.Builder().url("https://" + CallProbe.HOST + "/v1/chat/completions")
        .post(RequestBody.create("{\"model\":\"gpt-4o\",\"messages\":[]}", JSON)).build();
    try (Response response = builder.build().newCall(unsigned).execute()) {
      assertEquals(CHAT_RESPONSE, response.body().string());
    }
    Attributes row = CallProbe.rows().get(0).getAttributes();
    assertEquals("proj_signed", row.get(AttributeKey.stringKey("openai.project")), "the response does not name it");
    assertEquals("sk-proj…aB3d", row.get(AttributeKey.stringKey("tokenledger.api_key.fingerprint")));
    assertEquals("proj_signed", CallProbe.span().getAttributes().get(AttributeKey.stringKey("openai.project")));
  }

  @Test
  void installPutsExactlyOneInterceptorFirst() {
    Interceptor app = chain -> chain.proceed(chain.request());
    List<Interceptor> interceptors = new ArrayList<>(List.of(app, new TokenLedgerInterceptor(TestTelemetry.INSTRUMENTER), network));
    TokenLedgerInterceptor.install(interceptors);
    TokenLedgerInterceptor.install(interceptors);
    assertEquals(3, interceptors.size());
    assertTrue(interceptors.get(0) instanceof TokenLedgerInterceptor);
    assertSame(app, interceptors.get(1));
    assertSame(network, interceptors.get(2));
  }
}
