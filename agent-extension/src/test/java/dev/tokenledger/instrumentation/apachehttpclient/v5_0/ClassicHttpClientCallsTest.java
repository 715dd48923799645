package dev.tokenledger.instrumentation.apachehttpclient.v5_0;

import static dev.tokenledger.agent.SimulatorLedger.API_KEY;
import static dev.tokenledger.agent.SimulatorLedger.assertLedgerMatches;
import static dev.tokenledger.agent.SimulatorLedger.assertSameBytes;
import static dev.tokenledger.agent.SimulatorLedger.chat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tokenledger.agent.CallProbe;
import dev.tokenledger.agent.SimulatorLedger;
import dev.tokenledger.agent.TestTelemetry;
import dev.tokenledger.simulator.GroundTruth;
import dev.tokenledger.simulator.OpenAiSimulator;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.IOException;
import java.util.List;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link ApacheHttpClientCalls} run by the real classic client against the OpenAI simulator as the
 * agent runs them (see {@link AdvisedClassicClient}): the ledger must equal the simulator's ground
 * truth and the application must read exactly the bytes sent, also when a response handler executes
 * another request, or the same one again, inside the first execute.
 */
@ExtendWith(TestTelemetry.Extension.class)
class ClassicHttpClientCallsTest {

  static OpenAiSimulator simulator;
  static AdvisedClassicClient client;

  @BeforeAll
  static void start() {
    simulator = OpenAiSimulator.start(0);
    client = AdvisedClassicClient.create(b -> b.disableAutomaticRetries());
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

  static HttpPost chatRequest(String model) {
    HttpPost post = new HttpPost(SimulatorLedger.chatUrl(simulator.port()));
    post.setHeader("Authorization", API_KEY);
    post.setEntity(new ByteArrayEntity(chat(model, false), ContentType.APPLICATION_JSON));
    return post;
  }

  @Test
  void aResponseHandlerReadsTheBodyInsideExecute() throws Exception {
    byte[] body = client.execute(chatRequest("gpt-4o-mini"), response -> EntityUtils.toByteArray(response.getEntity()));
    List<GroundTruth> truth = simulator.groundTruth();
    assertSameBytes(truth, body);
    assertLedgerMatches(truth);
    assertEquals(1, CallProbe.spans().size(), "the overloads delegate to each other: one call");
  }

  @Test
  void anotherRequestExecutedInsideAResponseHandlerIsACallOfItsOwn() throws Exception {
    byte[][] inner = new byte[1][];
    byte[] outer = client.execute(chatRequest("gpt-4o-mini"), response -> {
      inner[0] = client.execute(chatRequest("gpt-4o"), nested -> EntityUtils.toByteArray(nested.getEntity()));
      return EntityUtils.toByteArray(response.getEntity());
    });
    assertTwoCallsEachWithItsOwnUsage(outer, inner[0]);
  }

  @Test
  void theSameRequestExecutedAgainInsideAResponseHandlerIsACallOfItsOwn() throws Exception {
    HttpPost request = chatRequest("gpt-4o-mini");
    byte[][] inner = new byte[1][];
    byte[] outer = client.execute(request, response -> {
      // A handler that sends the request again (a retry of its own) before reading the first answer.
      inner[0] = client.execute(request, nested -> EntityUtils.toByteArray(nested.getEntity()));
      return EntityUtils.toByteArray(response.getEntity());
    });
    assertTwoCallsEachWithItsOwnUsage(outer, inner[0]);
  }

  /** The simulator answered twice, the first answer read last; the ledger has each as its own call. */
  static void assertTwoCallsEachWithItsOwnUsage(byte[] outer, byte[] inner) throws InterruptedException {
    List<GroundTruth> truth = simulator.groundTruth();
    assertEquals(2, truth.size(), truth::toString);
    assertSameBytes(truth.get(0), outer);
    assertSameBytes(truth.get(1), inner);
    assertLedgerMatches(truth);
    List<SpanData> spans = CallProbe.spans();
    assertEquals(2, spans.size());
    SpanData first = spans.get(1);
    SpanData nested = spans.get(0);
    assertEquals(first.getSpanContext(), nested.getParentSpanContext(), "the handler's call is nested in the first");
  }
}
