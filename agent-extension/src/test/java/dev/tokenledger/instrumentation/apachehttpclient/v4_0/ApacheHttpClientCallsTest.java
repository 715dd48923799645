package dev.tokenledger.instrumentation.apachehttpclient.v4_0;

import static dev.tokenledger.agent.SimulatorLedger.API_KEY;
import static dev.tokenledger.agent.SimulatorLedger.assertLedgerMatches;
import static dev.tokenledger.agent.SimulatorLedger.assertSameBytes;
import static dev.tokenledger.agent.SimulatorLedger.chat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.agent.CallProbe;
import dev.tokenledger.agent.SimulatorLedger;
import dev.tokenledger.agent.TestTelemetry;
import dev.tokenledger.simulator.GroundTruth;
import dev.tokenledger.simulator.OpenAiSimulator;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.http.HttpEntity;
import org.apache.http.HttpHost;
import org.apache.http.client.methods.CloseableHttpResponse;
import org.apache.http.client.methods.HttpPost;
import org.apache.http.entity.ByteArrayEntity;
import org.apache.http.entity.ContentType;
import org.apache.http.entity.InputStreamEntity;
import org.apache.http.impl.client.CloseableHttpClient;
import org.apache.http.util.EntityUtils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link ApacheHttpClientCalls} and the entities it puts in the application's place, run by the real
 * HttpClient 4 against the OpenAI simulator as the agent runs them (see {@link AdvisedHttpClient}).
 * The ledger must equal the simulator's ground truth, the application must read exactly the bytes
 * sent, and nothing of ours may reach it: through each kind of {@code execute}, for JSON, event
 * streams and gzip (which the client decodes by default), and for every broken response the
 * simulator can send.
 */
@ExtendWith(TestTelemetry.Extension.class)
class ApacheHttpClientCallsTest {

  static OpenAiSimulator simulator;
  static AdvisedHttpClient client;

  @BeforeAll
  static void start() {
    simulator = OpenAiSimulator.start(0);
    client = AdvisedHttpClient.create(b -> b.disableAutomaticRetries());
  }

  @AfterAll
  static void stop() throws IOException {
    client.close();
    simulator.close();
  }

  @BeforeEach
  void reset() {
    simulator.reset();
  }

  static HttpPost chatRequest(String model, boolean stream, String... headers) {
    HttpPost post = new HttpPost(SimulatorLedger.chatUrl(simulator.port()));
    post.setHeader("Authorization", API_KEY);
    for (int i = 0; i < headers.length; i += 2) {
      post.setHeader(headers[i], headers[i + 1]);
    }
    post.setEntity(new ByteArrayEntity(chat(model, stream), ContentType.APPLICATION_JSON));
    return post;
  }

  /** Reads the content as an application does, keeping what it got before the client failed, if it did. */
  static byte[] read(HttpEntity entity) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (InputStream in = entity.getContent()) {
      byte[] buffer = new byte[1000];
      for (int n; (n = in.read(buffer)) != -1; ) {
        out.write(buffer, 0, n);
      }
    } catch (IOException clientsOwn) {
      assertFalse(clientsOwn.getClass().getName().startsWith("dev.tokenledger"), clientsOwn.toString());
    }
    return out.toByteArray();
  }

  @Test
  void executeAndEntityUtilsAreRecordedExactly() throws Exception {
    byte[] body;
    try (CloseableHttpResponse response = client.execute(chatRequest("gpt-4o-mini", false))) {
      assertEquals(200, response.getStatusLine().getStatusCode());
      body = EntityUtils.toByteArray(response.getEntity());
    }
    List<GroundTruth> truth = simulator.groundTruth();
    assertSameBytes(truth, body);
    assertLedgerMatches(truth);
    SpanData span = CallProbe.span();
    assertEquals("chat gpt-4o-mini", span.getName());
    assertEquals(span.getSpanContext(), client.currentDuringExecute, "the client ran in the call's context");
  }

  @Test
  void aResponseHandlerReadsTheBodyInsideExecute() throws Exception {
    byte[] body = client.execute(chatRequest("gpt-4o-mini", false), response -> EntityUtils.toByteArray(response.getEntity()));
    List<GroundTruth> truth = simulator.groundTruth();
    assertSameBytes(truth, body);
    assertLedgerMatches(truth);
    assertEquals(1, CallProbe.spans().size(), "the overloads delegate to each other: one call");
  }

  @Test
  void aCallMadeInsideAResponseHandlerIsRecordedToo() throws Exception {
    byte[][] inner = new byte[1][];
    byte[] outer = client.execute(chatRequest("gpt-4o-mini", false), response -> {
      inner[0] = client.execute(chatRequest("gpt-4o", false), nested -> EntityUtils.toByteArray(nested.getEntity()));
      return EntityUtils.toByteArray(response.getEntity());
    });
    List<GroundTruth> truth = simulator.groundTruth();
    assertEquals(2, truth.size(), truth::toString);
    assertSameBytes(truth.get(0), outer);
    assertSameBytes(truth.get(1), inner[0]);
    assertLedgerMatches(truth);
    SpanData first = CallProbe.spans().stream().filter(s -> s.getName().equals("chat gpt-4o-mini")).findFirst().orElseThrow();
    SpanData nested = CallProbe.spans().stream().filter(s -> s.getName().equals("chat gpt-4o")).findFirst().orElseThrow();
    assertEquals(first.getSpanContext(), nested.getParentSpanContext(), "the handler's call is nested in the first");
  }

  @Test
  void aTargetHostAndARelativeRequestAreRecordedExactly() throws Exception {
    HttpPost relative = new HttpPost("/v1/chat/completions");
    relative.setHeader("Authorization", API_KEY);
    relative.setEntity(new ByteArrayEntity(chat("gpt-4o-mini", false), ContentType.APPLICATION_JSON));
    byte[] body = client.execute(new HttpHost(SimulatorLedger.HOST, simulator.port()), relative,
        response -> EntityUtils.toByteArray(response.getEntity()), null);
    List<GroundTruth> truth = simulator.groundTruth();
    assertSameBytes(truth, body);
    assertLedgerMatches(truth);
  }

  @Test
  void anEventStreamReadAsItArrivesIsRecordedExactly() throws Exception {
    byte[] body;
    try (CloseableHttpResponse response = client.execute(chatRequest("gpt-4o-mini", true))) {
      body = read(response.getEntity());
    }
    List<GroundTruth> truth = simulator.groundTruth();
    assertTrue(truth.get(0).streamed());
    assertSameBytes(truth, body);
    assertLedgerMatches(truth);
    assertEquals(Boolean.TRUE, CallProbe.span().getAttributes().get(AttributeKey.booleanKey("gen_ai.request.stream")));
  }

  @Test
  void gzipIsReadWhetherTheClientDecodesItOrNot() throws Exception {
    String[] gzip = {"Accept-Encoding", "gzip", "X-Sim-Gzip", "1"};
    byte[] decoded = client.execute(chatRequest("gpt-4o-mini", true, gzip), response -> read(response.getEntity()));
    List<GroundTruth> truth = simulator.groundTruth();
    assertSameBytes(truth, decoded);
    assertLedgerMatches(truth);

    TestTelemetry.clear();
    simulator.reset();
    try (AdvisedHttpClient raw = AdvisedHttpClient.create(b -> b.disableAutomaticRetries().disableContentCompression())) {
      byte[] encoded = raw.execute(chatRequest("gpt-4o-mini", false, gzip), response -> read(response.getEntity()));
      truth = simulator.groundTruth();
      assertSameBytes(truth, SimulatorLedger.gunzip(encoded));
      assertLedgerMatches(truth);
    }
  }

  @Test
  void anErrorIsCountedWithoutARow() throws Exception {
    byte[] body;
    try (CloseableHttpResponse response = client.execute(chatRequest("sim-error-500", false))) {
      assertEquals(500, response.getStatusLine().getStatusCode());
      body = EntityUtils.toByteArray(response.getEntity());
    }
    assertSameBytes(simulator.groundTruth(), body);
    assertTrue(CallProbe.rows().isEmpty());
    assertEquals(Map.of("error/none", 1L), CallProbe.requests());
    assertEquals("500", CallProbe.errorType());
  }

  @ParameterizedTest
  @ValueSource(strings = {"sim-malformed", "sim-truncated", "sim-cut-stream", "sim-binary"})
  void aBrokenResponseIsAMissingRowAndReachesTheApplicationUnchanged(String model) throws Exception {
    byte[] body;
    try (CloseableHttpResponse response = client.execute(chatRequest(model, model.equals("sim-cut-stream")))) {
      body = read(response.getEntity());
    }
    List<GroundTruth> truth = simulator.groundTruth();
    assertSameBytes(truth, body);
    assertEquals("missing", truth.get(0).usageSource());
    assertLedgerMatches(truth);
  }

  @Test
  void fiftyMegabytesAreReadToTheirUsageAtTheEnd() throws Exception {
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    long length = 0;
    try (CloseableHttpResponse response = client.execute(chatRequest("sim-huge", false));
        InputStream in = response.getEntity().getContent()) {
      byte[] buffer = new byte[64 * 1024];
      for (int n; (n = in.read(buffer)) != -1; ) {
        digest.update(buffer, 0, n);
        length += n;
      }
    }
    List<GroundTruth> truth = simulator.groundTruth();
    assertTrue(length > 50_000_000L, "length " + length);
    assertEquals(truth.get(0).bodyLength(), length);
    assertEquals(truth.get(0).bodySha256(), HexFormat.of().formatHex(digest.digest()));
    assertLedgerMatches(truth);
  }

  @Test
  void closingTheResponseUnreadEndsTheCallTruncated() throws Exception {
    CloseableHttpResponse response = client.execute(chatRequest("gpt-4o-mini", false));
    assertNull(CallProbe.endStatus(), "the body is still the application's to read");
    response.close();
    ApacheHttpClientCalls.onResponseClosed(response); // the advice on the response's close
    assertEquals("truncated", CallProbe.endStatus());
  }

  @Test
  void consumingTheEntityUnreadEndsTheCallTruncated() throws Exception {
    try (CloseableHttpResponse response = client.execute(chatRequest("gpt-4o-mini", false))) {
      EntityUtils.consume(response.getEntity());
      assertEquals("truncated", CallProbe.endStatus());
    }
  }

  @Test
  void aStreamedRequestEntityIsScannedAsItIsWrittenAndPutBack() throws Exception {
    HttpPost post = chatRequest("gpt-4o-mini", false);
    InputStreamEntity streamed =
        new InputStreamEntity(new ByteArrayInputStream(chat("gpt-4o-mini", false)), -1, ContentType.APPLICATION_JSON);
    post.setEntity(streamed);
    byte[] body = client.execute(post, response -> EntityUtils.toByteArray(response.getEntity()));
    assertSame(streamed, post.getEntity(), "the application's entity is back");
    List<GroundTruth> truth = simulator.groundTruth();
    assertSameBytes(truth, body);
    assertLedgerMatches(truth);
    assertEquals("gpt-4o-mini", CallProbe.requestModel(), "read as the client wrote it");
  }

  @Test
  void requestsToOtherHostsAreLeftAlone() throws Exception {
    HttpPost other = new HttpPost(simulator.baseUrl() + "/chat/completions");
    other.setHeader("Authorization", API_KEY);
    ByteArrayEntity entity = new ByteArrayEntity(chat("gpt-4o-mini", false), ContentType.APPLICATION_JSON);
    other.setEntity(entity);
    try (CloseableHttpResponse response = client.execute(other)) {
      assertFalse(response.getEntity() instanceof TeeEntity);
      assertSameBytes(simulator.groundTruth(), EntityUtils.toByteArray(response.getEntity()));
    }
    assertSame(entity, other.getEntity());
    assertTrue(CallProbe.spans().isEmpty());
    assertTrue(CallProbe.rows().isEmpty());
  }

  @Test
  void aFailureBeforeAResponseIsAFailedRequest() throws Exception {
    CloseableHttpClient refusing = AdvisedHttpClient.create(b -> b.disableAutomaticRetries());
    HttpPost post = new HttpPost("http://" + SimulatorLedger.HOST + ":1/v1/chat/completions");
    post.setHeader("Authorization", API_KEY);
    post.setEntity(new ByteArrayEntity(chat("gpt-4o-mini", false), ContentType.APPLICATION_JSON));
    IOException refused = assertThrows(IOException.class, () -> refusing.execute(post));
    assertInstanceOf(java.net.ConnectException.class, refused.getCause() != null ? refused.getCause() : refused);
    assertEquals(Map.of("error/none", 1L), CallProbe.requests());
    refusing.close();
  }
}
