package dev.tokenledger.instrumentation.okhttp.v3_0;

import static dev.tokenledger.agent.SimulatorLedger.API_KEY;
import static dev.tokenledger.agent.SimulatorLedger.assertLedgerMatches;
import static dev.tokenledger.agent.SimulatorLedger.assertSameBytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.agent.SimulatorLedger;
import dev.tokenledger.agent.TestInputStream;
import dev.tokenledger.agent.TestTelemetry;
import dev.tokenledger.simulator.GroundTruth;
import dev.tokenledger.simulator.OpenAiSimulator;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.WebSocket;
import okhttp3.WebSocketListener;
import okio.BufferedSink;
import okio.Okio;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A real OkHttpClient, with the TokenLedger interceptor installed as the agent installs it, against
 * the OpenAI simulator: the application gets exactly the response it would get without the agent,
 * whatever its request body is made of, and the record is attributed to the key and project on the
 * request that went on the wire, whoever added them.
 */
@ExtendWith(TestTelemetry.Extension.class)
class OkHttpClientCallsTest {

  static final MediaType JSON = MediaType.get("application/json");
  static final String FINGERPRINT = "sk-proj…aB3d";
  static final AttributeKey<String> PROJECT = AttributeKey.stringKey("openai.project");
  static final AttributeKey<String> KEY_FINGERPRINT = AttributeKey.stringKey("tokenledger.api_key.fingerprint");

  static OpenAiSimulator simulator;

  @BeforeAll
  static void start() {
    simulator = OpenAiSimulator.start(0);
  }

  @AfterAll
  static void stop() {
    simulator.close();
  }

  @BeforeEach
  void reset() {
    simulator.reset();
  }

  /** A client reaching the simulator for the OpenAI host, with the application's interceptors. */
  static OkHttpClient client(Interceptor... applicationInterceptors) {
    return client(null, applicationInterceptors);
  }

  /** With the application's own network interceptor too (null for none). */
  static OkHttpClient client(Interceptor networkInterceptor, Interceptor[] applicationInterceptors) {
    OkHttpClient.Builder builder = new OkHttpClient.Builder()
        .retryOnConnectionFailure(false)
        .dns(host -> {
          InetAddress[] loopback = SimulatorLedger.loopbackFor(host);
          return loopback != null ? Arrays.asList(loopback) : okhttp3.Dns.SYSTEM.lookup(host);
        });
    for (Interceptor interceptor : applicationInterceptors) {
      builder.addInterceptor(interceptor);
    }
    if (networkInterceptor != null) {
      builder.addNetworkInterceptor(networkInterceptor);
    }
    // What the agent's advice on the builder's constructor does; ours ends up first either way.
    TokenLedgerInterceptor.install(builder.interceptors());
    return builder.build();
  }

  /** A chat request of about {@code contentChars} characters for {@code model}. */
  static byte[] chat(String model, int contentChars) {
    char[] content = new char[contentChars];
    Arrays.fill(content, 'a');
    return ("{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + new String(content) + "\"}]}")
        .getBytes(StandardCharsets.UTF_8);
  }

  /**
   * A body over an InputStream that declares its length and is not flagged one-shot: what proxies
   * and gateways pass on. Written twice, the second write finds the stream drained.
   */
  static final class StreamBody extends RequestBody {
    final TestInputStream in;
    final long length;

    StreamBody(byte[] bytes) {
      this.in = new TestInputStream(bytes, 1000);
      this.length = bytes.length;
    }

    @Override
    public MediaType contentType() {
      return JSON;
    }

    @Override
    public long contentLength() {
      return length;
    }

    @Override
    public void writeTo(BufferedSink sink) throws IOException {
      sink.writeAll(Okio.source(in));
    }
  }

  static byte[] execute(OkHttpClient client, Request request) throws IOException {
    try (Response response = client.newCall(request).execute()) {
      assertEquals(200, response.code(), () -> "the application's response: " + response);
      return response.body().bytes();
    }
  }

  @Test
  void aStreamBackedBodyIsSentOnceAndTheResponseIsTheApplicationsAsUsual() throws Exception {
    byte[] chat = chat("gpt-4o-mini", 4000);
    Request request = new Request.Builder()
        .url(SimulatorLedger.chatUrl(simulator.port()))
        .header("Authorization", API_KEY)
        .post(new StreamBody(chat))
        .build();
    byte[] body = execute(client(), request);
    List<GroundTruth> truth = simulator.groundTruth();
    assertEquals(1, truth.size(), truth::toString);
    assertSameBytes(truth, body);
    assertLedgerMatches(truth);
    assertEquals("gpt-4o-mini", SimulatorLedger.rows().get(0).getAttributes().get(SimulatorLedger.REQUEST_MODEL),
        "the body was read as the client wrote it");
  }

  /** An application interceptor that signs every request with the key and names the project. */
  static Interceptor signing(String project) {
    return chain -> chain.proceed(chain.request().newBuilder()
        .header("Authorization", API_KEY)
        .header("OpenAI-Project", project)
        .build());
  }

  @Test
  void theKeyAndProjectAnApplicationInterceptorAddsAttributeTheCall() throws Exception {
    Request request = new Request.Builder()
        .url(SimulatorLedger.chatUrl(simulator.port()))
        .post(RequestBody.create(SimulatorLedger.chat("gpt-4o-mini", false), JSON))
        .build();
    Interceptor organization = chain -> chain.proceed(chain.request().newBuilder()
        .header("OpenAI-Organization", "org_network").build());
    byte[] body = execute(client(organization, new Interceptor[] {signing("proj_interceptor")}), request);
    List<GroundTruth> truth = simulator.groundTruth();
    assertSameBytes(truth, body);
    assertLedgerMatches(truth);
    Attributes row = SimulatorLedger.rows().get(0).getAttributes();
    assertEquals(FINGERPRINT, row.get(KEY_FINGERPRINT));
    assertEquals("proj_interceptor", row.get(PROJECT));
    assertEquals("proj_interceptor", truth.get(0).project());
    assertEquals("org_network", row.get(AttributeKey.stringKey("openai.organization")),
        "a network interceptor's header too: the response does not name it");
  }

  /** Every text message the application's listener got, then {@code <closed>}. */
  static final class AppListener extends WebSocketListener {
    final BlockingQueue<String> received = new LinkedBlockingQueue<>();

    @Override
    public void onMessage(WebSocket webSocket, String text) {
      received.add(text);
    }

    @Override
    public void onClosed(WebSocket webSocket, int code, String reason) {
      received.add("<closed>");
    }

    @Override
    public void onFailure(WebSocket webSocket, Throwable t, Response response) {
      received.add("<closed> " + t);
    }

    void await(String type) throws InterruptedException {
      while (true) {
        String message = received.poll(20, TimeUnit.SECONDS);
        assertNotNull(message, "no " + type + " in time");
        assertTrue(!message.startsWith("<closed>"), message);
        if (message.contains("\"type\":\"" + type + "\"")) {
          return;
        }
      }
    }
  }

  @Test
  void theKeyAndProjectAnApplicationInterceptorAddsToARealtimeHandshakeAttributeTheConnection() throws Exception {
    OkHttpClient client = client(signing("proj_realtime"));
    int port = java.net.URI.create(simulator.realtimeUri()).getPort();
    Request request = new Request.Builder()
        .url("ws://" + SimulatorLedger.HOST + ":" + port + "/v1/realtime?model=gpt-realtime")
        .build();
    AppListener app = new AppListener();
    // What the advice on newWebSocket does around the client's own.
    Object[] state = OkHttpWebSockets.onNewWebSocket(request, app);
    WebSocket webSocket = client.newWebSocket(request, (WebSocketListener) state[0]);
    OkHttpWebSockets.onNewWebSocketReturned(state, null);
    app.await("session.created");
    webSocket.send("{\"type\":\"response.create\"}");
    app.await("response.done");
    webSocket.close(1000, "done");
    assertTrue(simulator.awaitRealtimeIdle(1, Duration.ofSeconds(10)), "the simulator saw the connection end");
    List<GroundTruth> truth = simulator.groundTruth().stream().filter(GroundTruth::realtime).collect(Collectors.toList());
    assertEquals(1, truth.size(), truth::toString);
    assertEquals("proj_realtime", truth.get(0).project(), "the handshake carried the interceptor's headers");
    Attributes row = SimulatorLedger.awaitRows(1).get(0).getAttributes();
    assertEquals(truth.get(0).responseId(), row.get(SimulatorLedger.RESPONSE_ID));
    assertEquals(FINGERPRINT, row.get(KEY_FINGERPRINT));
    assertEquals("proj_realtime", row.get(PROJECT));
    client.dispatcher().executorService().shutdown();
  }
}
