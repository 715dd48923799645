package dev.tokenledger.instrumentation.netty.v4_1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.tokenledger.agent.SimulatorLedger;
import dev.tokenledger.agent.TestTelemetry;
import dev.tokenledger.instrumentation.netty.v4_1.NettyClientContract.Answer;
import dev.tokenledger.simulator.GroundTruth;
import dev.tokenledger.simulator.OpenAiSimulator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.HttpProtocol;
import reactor.netty.http.client.HttpClient;

/**
 * Reactor Netty over HTTP/2 (h2c with prior knowledge): each request runs on its own stream channel,
 * whose {@code Http2StreamFrameToHttpObjectCodec} gets the handler; the relay's server-side streams,
 * which use the same codec, get none. Several streams share one connection.
 */
class ReactorNettyHttp2ClientTest {

  static OpenAiSimulator sim;
  static H2cRelay relay;
  static HttpClient client;

  @BeforeAll
  static void start() throws InterruptedException {
    PipelineAdvice.install();
    sim = OpenAiSimulator.start(0);
    relay = new H2cRelay("http://127.0.0.1:" + sim.port());
    client = HttpClient.create().protocol(HttpProtocol.H2C).compress(true).responseTimeout(Duration.ofSeconds(60));
  }

  @AfterAll
  static void stop() throws InterruptedException {
    relay.close();
    sim.close();
  }

  @AfterEach
  void noBufferLeaked() throws InterruptedException {
    NettyLeaks.assertNoLeaks();
  }

  Answer post(String path, String json, String... headers) {
    return client
        .headers(h -> {
          h.set("Authorization", NettyClientContract.KEY).set("Content-Type", "application/json");
          for (int i = 0; i < headers.length; i += 2) {
            h.set(headers[i], headers[i + 1]);
          }
        })
        .post()
        .uri(relay.origin() + "/v1" + path)
        .send(ByteBufFlux.fromString(Mono.just(json)))
        .responseSingle((response, body) -> body.asByteArray().defaultIfEmpty(new byte[0])
            .map(bytes -> new Answer(response.status().code(), bytes, null)))
        .block(Duration.ofSeconds(60));
  }

  @Test
  void callsOnHttp2StreamsAreRecordedAsSent() throws Exception {
    sim.reset();
    TestTelemetry.clear();
    List<Answer> answers = new ArrayList<>();
    answers.add(post(NettyClientContract.CHAT, NettyClientContract.chat("gpt-4o-mini")));
    answers.add(post(NettyClientContract.CHAT, NettyClientContract.chatStream("gpt-4o", true)));
    answers.add(post(NettyClientContract.CHAT, NettyClientContract.chat("gpt-4o-mini"), "Accept-Encoding", "gzip", "X-Sim-Gzip", "1"));
    answers.add(post(NettyClientContract.CHAT, NettyClientContract.chat("sim-error-429")));
    answers.add(post("/embeddings", "{\"model\":\"text-embedding-3-small\",\"input\":\"hello\"}"));
    List<GroundTruth> truths = sim.groundTruth();
    assertEquals(answers.size(), truths.size());
    SimulatorLedger.assertLedgerMatches(truths);
    for (int i = 0; i < answers.size(); i++) {
      assertNull(answers.get(i).error());
      assertEquals(truths.get(i).httpStatus(), answers.get(i).status());
      SimulatorLedger.assertSameBytes(truths.get(i), answers.get(i).body());
    }
  }
}
