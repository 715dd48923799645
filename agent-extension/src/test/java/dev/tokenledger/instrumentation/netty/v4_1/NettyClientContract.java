package dev.tokenledger.instrumentation.netty.v4_1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.agent.SimulatorLedger;
import dev.tokenledger.agent.TestTelemetry;
import dev.tokenledger.simulator.GroundTruth;
import dev.tokenledger.simulator.OpenAiSimulator;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every Netty client must show with the TokenLedger handler in its pipeline, put there by the
 * pipeline advice as in production: a real client (one subclass each) talks to the simulator over a
 * pool of one keep-alive connection, and the ledger must equal the simulator's ground truth while the
 * application receives exactly the bytes that were sent. Netty's leak detector runs at its paranoid
 * level throughout; any leak fails the test.
 */
abstract class NettyClientContract {

  static final String KEY = "Bearer sk-proj-nettyTestKey0123456789abcdefSECRET";
  static final String CHAT = "/chat/completions";

  static OpenAiSimulator sim;

  /** What the application got: the status and the whole body, or the client's exception. */
  record Answer(int status, byte[] body, Throwable error) {}

  /** Posts {@code json} to the simulator's {@code /v1} + {@code path} with {@code headers} (and the key). */
  abstract Answer post(String path, String json, Map<String, String> headers) throws Exception;

  @BeforeAll
  static void startSimulator() {
    PipelineAdvice.install();
    sim = OpenAiSimulator.start(0);
  }

  @AfterAll
  static void stopSimulator() {
    sim.close();
  }

  @BeforeEach
  void forgetEarlierCalls() {
    sim.reset();
    TestTelemetry.clear();
  }

  @AfterEach
  void noBufferLeaked() throws InterruptedException {
    NettyLeaks.assertNoLeaks();
  }

  static String chat(String model) {
    return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}";
  }

  static String chatStream(String model, boolean includeUsage) {
    return "{\"model\":\"" + model + "\",\"stream\":true"
        + (includeUsage ? ",\"stream_options\":{\"include_usage\":true}" : "")
        + ",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}";
  }

  Answer call(String path, String json, String... headers) throws Exception {
    Map<String, String> all = new LinkedHashMap<>();
    all.put("Authorization", KEY);
    all.put("Content-Type", "application/json");
    all.put("OpenAI-Project", "proj_netty");
    for (int i = 0; i < headers.length; i += 2) {
      all.put(headers[i], headers[i + 1]);
    }
    Answer answer = post(path, json, all);
    assertNotNull(answer, "the client answered");
    return answer;
  }

  /** Every call's ground truth matches the ledger, and the application got every body as sent. */
  static void assertRecordedAsSent(List<Answer> answers) throws InterruptedException {
    List<GroundTruth> truths = sim.groundTruth();
    assertEquals(answers.size(), truths.size(), "one response per call");
    SimulatorLedger.assertLedgerMatches(truths);
    for (int i = 0; i < answers.size(); i++) {
      Answer answer = answers.get(i);
      assertNull(answer.error(), () -> "the application got an error: " + answer.error());
      assertEquals(truths.get(i).httpStatus(), answer.status());
      SimulatorLedger.assertSameBytes(truths.get(i), answer.body());
    }
  }

  @Test
  void chatEmbeddingsAndResponsesAreRecordedAsSent() throws Exception {
    List<Answer> answers = new ArrayList<>();
    answers.add(call(CHAT, chat("gpt-4o-mini")));
    answers.add(call("/embeddings", "{\"model\":\"text-embedding-3-small\",\"input\":\"hello\"}"));
    answers.add(call("/responses", "{\"model\":\"gpt-4.1-mini\",\"input\":\"hello\"}"));
    assertRecordedAsSent(answers);
  }

  @Test
  void eventStreamsAreRecordedAsSent() throws Exception {
    List<Answer> answers = new ArrayList<>();
    answers.add(call(CHAT, chatStream("gpt-4o-mini", true)));
    answers.add(call(CHAT, chatStream("gpt-4o-mini", false)));
    answers.add(call("/responses", "{\"model\":\"gpt-4.1-mini\",\"stream\":true,\"input\":\"hello\"}"));
    answers.add(call(CHAT, chatStream("sim-slow-stream", true)));
    assertRecordedAsSent(answers);
  }

  @Test
  void gzipBodiesAreReadAndReachTheApplicationDecoded() throws Exception {
    List<Answer> answers = new ArrayList<>();
    answers.add(call(CHAT, chat("gpt-4o-mini"), "Accept-Encoding", "gzip", "X-Sim-Gzip", "1"));
    answers.add(call(CHAT, chatStream("gpt-4o-mini", true), "Accept-Encoding", "gzip", "X-Sim-Gzip", "1"));
    assertRecordedAsSent(answers);
  }

  @Test
  void errorAnswersAreRecordedWithoutTokens() throws Exception {
    List<Answer> answers = new ArrayList<>();
    answers.add(call(CHAT, chat("sim-error-429")));
    answers.add(call(CHAT, chat("sim-error-500")));
    answers.add(call(CHAT, chatStream("sim-error-429", true)));
    assertRecordedAsSent(answers);
  }

  @Test
  void oneKeepAliveConnectionCarriesCallAfterCall() throws Exception {
    List<Answer> answers = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      answers.add(call(CHAT, chat("gpt-4o-mini")));
      answers.add(call(CHAT, chatStream("gpt-4o", true)));
    }
    assertRecordedAsSent(answers);
  }

  @Test
  void brokenBodiesGiveMissingRecordsAndTheClientsOwnOutcome() throws Exception {
    List<Answer> answers = new ArrayList<>();
    answers.add(call(CHAT, chat("sim-malformed")));
    answers.add(call(CHAT, chat("sim-binary")));
    answers.add(call(CHAT, chat("sim-truncated")));
    answers.add(call(CHAT, chatStream("sim-cut-stream", true)));
    answers.add(call(CHAT, chat("gpt-4o-mini"))); // and the client goes on working
    List<GroundTruth> truths = sim.groundTruth();
    SimulatorLedger.assertLedgerMatches(truths);
    for (GroundTruth truth : truths.subList(0, 4)) {
      assertEquals("missing", truth.usageSource(), truth.requestModel());
    }
    for (int i : new int[] {0, 1, 4}) {
      Answer answer = answers.get(i);
      assertNull(answer.error(), () -> truths.get(i).requestModel() + ": " + answer.error());
      SimulatorLedger.assertSameBytes(truths.get(i), answers.get(i).body());
    }
    for (Answer answer : answers) {
      assertNotThrownByUs(answer.error());
    }
  }

  @Test
  void aFiftyMegabyteBodyIsReadToItsUsage() throws Exception {
    Answer answer = call(CHAT, chat("sim-huge"));
    List<GroundTruth> truths = sim.groundTruth();
    assertTrue(truths.get(0).bodyLength() > 40_000_000L, "a huge body: " + truths.get(0).bodyLength());
    assertRecordedAsSent(List.of(answer));
    assertEquals("reported", truths.get(0).usageSource());
  }

  @Test
  void theHttpSpanNamedInTraceparentIsTheParent() throws Exception {
    Span http = TestTelemetry.SDK.getTracer("test").spanBuilder("POST").startSpan();
    SpanContext parent = http.getSpanContext();
    String traceparent = "00-" + parent.getTraceId() + "-" + parent.getSpanId() + "-01";
    Answer answer = call(CHAT, chat("gpt-4o-mini"), "traceparent", traceparent);
    http.end();
    assertNull(answer.error());
    SimulatorLedger.awaitRows(1);
    // The call emits its row just before it ends its span: the test's own span and the call's.
    SimulatorLedger.awaitSpans(2);
    SpanData genAi = TestTelemetry.SPANS.getFinishedSpanItems().stream()
        .filter(s -> s.getName().startsWith("chat")).findFirst().orElseThrow();
    assertEquals(parent.getTraceId(), genAi.getTraceId());
    assertEquals(parent.getSpanId(), genAi.getParentSpanId());
  }

  /** An exception the application got came from the client or the network, never from TokenLedger. */
  static void assertNotThrownByUs(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      StackTraceElement[] frames = t.getStackTrace();
      if (frames.length > 0) {
        assertFalse(frames[0].getClassName().startsWith("dev.tokenledger."), () -> "thrown by TokenLedger: " + error);
      }
      for (Throwable suppressed : t.getSuppressed()) {
        assertNotThrownByUs(suppressed);
      }
    }
  }
}
