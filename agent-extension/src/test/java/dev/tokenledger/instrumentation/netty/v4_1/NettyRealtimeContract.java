package dev.tokenledger.instrumentation.netty.v4_1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.agent.SimulatorLedger;
import dev.tokenledger.agent.TestTelemetry;
import dev.tokenledger.simulator.GroundTruth;
import dev.tokenledger.simulator.OpenAiSimulator;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every Netty WebSocket client must show on a Realtime connection with the TokenLedger handler
 * in its pipeline: the simulator's Realtime server answers, and the ledger must equal its ground
 * truth per response — whole, over continuation frames, with unknown events, cut by a dropped
 * connection, or cut by the application closing.
 */
abstract class NettyRealtimeContract {

  static final String CLOSED = "<closed>";
  static final Pattern TYPE = Pattern.compile("\"type\"\\s*:\\s*\"([^\"]+)\"");
  static final AttributeKey<String> SESSION_ID = AttributeKey.stringKey("tokenledger.session.id");

  static OpenAiSimulator sim;

  /** One open connection as the application sees it: every text message it received, in order. */
  abstract static class Session implements AutoCloseable {
    final BlockingQueue<String> received = new LinkedBlockingQueue<>();

    abstract void send(String json);

    @Override
    public abstract void close();

    /** The next message of {@code type} (or the connection's end), skipping others. */
    String await(String type) throws InterruptedException {
      while (true) {
        String message = received.poll(20, TimeUnit.SECONDS);
        assertNotNull(message, "no " + type + " in time");
        if (message.equals(CLOSED)) {
          return message;
        }
        Matcher m = TYPE.matcher(message);
        if (m.find() && m.group(1).equals(type)) {
          return message;
        }
      }
    }
  }

  /** Opens a WebSocket to {@code url} with {@code headers}. */
  abstract Session connect(String url, Map<String, String> headers) throws Exception;

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
  void forgetEarlierConnections() {
    sim.reset();
    TestTelemetry.clear();
  }

  @AfterEach
  void noBufferLeaked() throws InterruptedException {
    NettyLeaks.assertNoLeaks();
  }

  Session open() throws Exception {
    Session session = connect(sim.realtimeUri() + "/v1/realtime?model=gpt-realtime",
        Map.of("Authorization", NettyClientContract.KEY, "OpenAI-Project", "proj_netty"));
    session.await("session.created");
    return session;
  }

  static String responseCreate(String sim) {
    return "{\"type\":\"response.create\",\"response\":{\"metadata\":{\"sim\":\"" + sim + "\"}}}";
  }

  @Test
  void responsesAreRecordedAsSentWholeOrInFragments() throws Exception {
    try (Session session = open()) {
      session.send("{\"type\":\"response.create\"}");
      session.await("response.done");
      session.send(responseCreate("fragmented"));
      session.await("response.done");
      session.send(responseCreate("unknown"));
      session.await("response.done");
      session.send(responseCreate("cached-audio"));
      session.await("response.done");
    }
    assertRecordedAsSent(1, 4);
  }

  @Test
  void aResponseCutByADroppedConnectionIsMissing() throws Exception {
    try (Session session = open()) {
      session.send("{\"type\":\"response.create\"}");
      session.await("response.done");
      session.send(responseCreate("drop"));
      assertEquals(CLOSED, session.await("response.done"));
    }
    assertRecordedAsSent(1, 2);
  }

  @Test
  void aResponseCutByTheApplicationClosingIsMissing() throws Exception {
    try (Session session = open()) {
      session.send(responseCreate("hold"));
      session.await("response.output_audio.delta");
    }
    assertRecordedAsSent(1, 1);
  }

  /** The ledger has one row per Realtime unit the simulator sent, equal to it. */
  static void assertRecordedAsSent(int connections, int units) throws InterruptedException {
    assertTrue(sim.awaitRealtimeIdle(connections, Duration.ofSeconds(10)), "the simulator saw the connection end");
    List<GroundTruth> truths = sim.groundTruth().stream().filter(GroundTruth::realtime).collect(Collectors.toList());
    assertEquals(units, truths.size(), () -> "units sent: " + truths);
    List<LogRecordData> rows = SimulatorLedger.awaitRows(units);
    Thread.sleep(50);
    assertEquals(units, SimulatorLedger.rows().size(), () -> "one row per unit: " + SimulatorLedger.rows());
    for (GroundTruth truth : truths) {
      List<Attributes> matches = rows.stream().map(LogRecordData::getAttributes)
          .filter(a -> truth.responseId().equals(a.get(SimulatorLedger.RESPONSE_ID))).collect(Collectors.toList());
      assertEquals(1, matches.size(), () -> "one row for " + truth);
      Attributes row = matches.get(0);
      String what = truth.responseId() + " (" + truth.status() + ", recorded " + row.get(SimulatorLedger.SOURCE) + " "
          + row.get(SimulatorLedger.DIAGNOSTIC) + ")";
      SimulatorLedger.assertTokensMatch(truth, row, what);
      assertEquals(truth.usageSource(), row.get(SimulatorLedger.SOURCE), () -> "usage source of " + what);
      assertEquals(truth.status(), row.get(SimulatorLedger.STATUS), () -> "status of " + what);
      assertEquals(truth.api(), row.get(SimulatorLedger.API), () -> "api of " + what);
      assertEquals(truth.sessionId(), row.get(SESSION_ID), () -> "session of " + what);
    }
  }
}
