package dev.tokenledger.it;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Azure OpenAI accepts the key of a Realtime connection in the handshake URL ({@code api-key=…}),
 * and the upstream agent's HTTP client span of that handshake records the URL in {@code url.full}.
 * With the extension the agent redacts that parameter by default, next to the parameters it redacts
 * on its own; a user who sets the list keeps exactly their list.
 */
class SensitiveQueryParametersIT extends AgentTestBase {

  /** Shaped like an Azure key (32 hex characters). */
  static final String AZURE_KEY = "a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5";

  private AgentRun.Result handshakeWithTheKeyInTheUrl(List<String> jvmArgs) throws Exception {
    AgentRun.Result run = AgentRun.runMain(AgentRun.Agent.UPSTREAM_WITH_EXTENSION, receiver.endpoint(), false, jvmArgs,
        Map.of("OPENAI_API_KEY", AZURE_KEY), AgentRun.REALTIME_DEMO_MAIN,
        "--ws-url", simulator.realtimeUri(), "--clients", "okhttp", "--scenarios", "azure-query-key");
    assertEquals(0, run.exitCode(), () -> "demo app failed:\n" + run.stdout() + run.stderr());
    List<String> results = run.resultLines();
    assertEquals(1, results.size(), run::stdout);
    assertFalse(results.get(0).contains("status=EXC"), () -> results.get(0) + "\n" + run.stderr());
    assertTrue(simulator.awaitRealtimeIdle(1, Duration.ofSeconds(10)), "the connection did not end");
    return run;
  }

  /** url.full of every exported span of the handshake (upstream's HTTP client span). */
  private static List<String> handshakeUrls(Exported exported) {
    List<String> urls = new ArrayList<>();
    for (Span span : exported.spans()) {
      Object url = Otlp.attributes(span.getAttributesList()).get("url.full");
      if (url != null && url.toString().contains("/openai/realtime")) {
        urls.add(url.toString());
      }
    }
    return urls;
  }

  @Test
  void theKeyInAnAzureHandshakeUrlIsRedacted() throws Exception {
    handshakeWithTheKeyInTheUrl(List.of());

    List<String> urls = handshakeUrls(receiver);
    String exported = new String(receiver.rawBytes(), StandardCharsets.ISO_8859_1);
    assertAll(
        () -> assertFalse(urls.isEmpty(), "the upstream agent records the handshake as an HTTP client span"),
        () -> urls.forEach(u -> assertTrue(u.contains("api-key=REDACTED"), u)),
        () -> assertFalse(exported.contains(AZURE_KEY), "the key was exported: " + urls),
        () -> assertTrue(ledgerFingerprints(receiver).contains("azure\u2026c4d5"),
            "the ledger still knows which key it was: " + ledgerFingerprints(receiver)));
  }

  @Test
  void theUsersOwnListWins() throws Exception {
    handshakeWithTheKeyInTheUrl(
        List.of("-Dotel.instrumentation.sanitization.url.experimental.sensitive-query-parameters=sig"));

    List<String> urls = handshakeUrls(receiver);
    assertFalse(urls.isEmpty());
    urls.forEach(u -> assertTrue(u.contains("api-key=" + AZURE_KEY), "the user's list has no api-key: " + u));
  }

  private static List<Object> ledgerFingerprints(Exported exported) {
    List<Object> fingerprints = new ArrayList<>();
    for (LogRecord record : exported.logs()) {
      if (Otlp.isUsageEvent(record)) {
        fingerprints.add(Otlp.attributes(record.getAttributesList()).get("tokenledger.api_key.fingerprint"));
      }
    }
    return fingerprints;
  }
}
