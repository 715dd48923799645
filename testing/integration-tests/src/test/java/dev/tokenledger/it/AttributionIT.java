package dev.tokenledger.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * "Who spent the tokens" without code changes (docs/attribution.md): a web endpoint of the app calls
 * OpenAI; the ledger event names the endpoint (the local root span), the use case from the inbound
 * W3C baggage or else from a configured class-prefix rule, and the end user from baggage — and the
 * metrics carry the use case but never the user.
 */
class AttributionIT extends AgentTestBase {

  @Test
  void entryPointUseCaseAndUserComeFromTheInboundRequest() throws Exception {
    AgentRun.Result run =
        AgentRun.runMain(
            AgentRun.Agent.ONE_JAR,
            receiver.endpoint(),
            false,
            List.of("-Dotel.instrumentation.tokenledger.use-case-rules=com.example.unused.=nothing,"
                + "dev.tokenledger.demo.AttributedCalls=judge-by-rule"),
            Map.of("OPENAI_API_KEY", "sk-proj-attribution-test-key"),
            "dev.tokenledger.demo.AttributedCalls",
            simulator.baseUrl());
    assertEquals(0, run.exitCode(), () -> run.stdout() + run.stderr());
    assertEquals(2, run.resultLines().size(), run.stdout());

    List<Map<String, Object>> events =
        receiver.logs().stream().filter(Otlp::isUsageEvent).map(l -> Otlp.attributes(l.getAttributesList())).toList();
    assertEquals(2, events.size(), "one ledger event per OpenAI call");
    Map<String, Object> withBaggage =
        events.stream().filter(e -> "judge".equals(e.get("tokenledger.use_case"))).findFirst().orElseThrow();
    Map<String, Object> withoutBaggage =
        events.stream().filter(e -> "judge-by-rule".equals(e.get("tokenledger.use_case"))).findFirst().orElseThrow();

    for (Map<String, Object> event : events) {
      assertEquals("POST /api/evaluation/judge", event.get("tokenledger.entrypoint"));
    }
    assertEquals("user-42", withBaggage.get("enduser.id"));
    assertNull(withoutBaggage.get("enduser.id"));

    var points = Otlp.sumPoints(receiver.metrics(), "tokenledger.tokens");
    assertFalse(points.isEmpty());
    for (var point : points) {
      assertFalse(point.getKey().containsKey("enduser.id"), "no user ids on metrics");
      assertFalse(point.getKey().containsKey("openai.request.id"), "no request ids on metrics");
    }
    assertEquals(
        List.of("judge", "judge-by-rule"),
        points.stream().map(p -> (String) p.getKey().get("tokenledger.use_case")).distinct().sorted().toList());
  }
}
