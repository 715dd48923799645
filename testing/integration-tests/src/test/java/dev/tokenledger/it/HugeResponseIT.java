package dev.tokenledger.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tokenledger.simulator.GroundTruth;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A 50 MB chat response with its usage at the very end, read by the application through each
 * transport: the usage is still recorded exactly, and the application, run with a heap too small to
 * hold a second copy of the body beside its own, completes. (The collector's own buffers are
 * measured in its unit tests.)
 */
class HugeResponseIT extends AgentTestBase {

  @ParameterizedTest
  @ValueSource(strings = {"jdk", "okhttp", "apache", "apache-async", "apache4", "url-connection"})
  void usageAfterFiftyMegabytesIsRecorded(String client) throws Exception {
    simulator.reset();
    receiver.reset();
    AgentRun.Result run =
        AgentRun.run(
            AgentRun.Agent.UPSTREAM_WITH_EXTENSION,
            receiver.endpoint(),
            false,
            List.of("-Xmx320m"),
            "sk-proj-huge-response-test",
            "--base-url", simulator.baseUrl(),
            "--clients", client,
            "--scenarios", "huge");
    assertEquals(0, run.exitCode(), () -> run.stdout() + run.stderr());
    assertEquals(1, run.resultLines().size(), run.stdout());
    String line = run.resultLines().get(0);
    assertEquals("200", line.replaceAll(".* status=(\\S+).*", "$1"), line);

    GroundTruth truth = simulator.groundTruth().get(0);
    List<Map<String, Object>> events =
        receiver.logs().stream().filter(Otlp::isUsageEvent).map(l -> Otlp.attributes(l.getAttributesList())).toList();
    assertEquals(1, events.size());
    assertEquals("reported", events.get(0).get("tokenledger.usage.source"));
    for (String field : HttpUsageIT.TOKEN_FIELDS) {
      assertEquals(truth.token(field), Otlp.tokenField(events.get(0), field), field);
    }
    assertEquals(truth.bodySha256(), line.replaceAll(".* sha256=(\\S+).*", "$1"), "the application got every byte");
  }
}
