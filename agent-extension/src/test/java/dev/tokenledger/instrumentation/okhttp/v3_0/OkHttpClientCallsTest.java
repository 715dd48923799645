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
    OkHttpClient.Builder builder = new OkHttpClient.Builder()
        .retryOnConnectionFailure(false)
        .dns(host -> {
          InetAddress[] loopback = SimulatorLedger.loopbackFor(host);
          return loopback != null ? Arrays.asList(loopback) : okhttp3.Dns.SYSTEM.lookup(host);
        });
    for (Interceptor interceptor : applicationInterceptors) {
      builder.addInterceptor(interceptor);
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
}
