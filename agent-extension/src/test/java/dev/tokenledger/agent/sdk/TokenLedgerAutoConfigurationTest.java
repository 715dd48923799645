package dev.tokenledger.agent.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.tokenledger.agent.TestTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.sdk.autoconfigure.spi.AutoConfigurationCustomizer;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.internal.DefaultConfigProperties;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SdkTracerProviderBuilder;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The tracer provider the agent builds with the extension's customisation, under the switches: an
 * OpenAI call no transport read is recorded unless the extension or the setting is off. The records
 * go through the global OpenTelemetry, as in the agent.
 */
@ExtendWith(TestTelemetry.Extension.class)
class TokenLedgerAutoConfigurationTest {

  @Test
  void uncapturedCallsAreRecordedByDefault() {
    assertEquals(1, recordsOfOneUncapturedCall(Map.of()));
  }

  @Test
  void theExtensionSwitchTurnsTheWatchOff() {
    assertEquals(0, recordsOfOneUncapturedCall(Map.of("otel.instrumentation.tokenledger.enabled", "false")));
    assertEquals(0, recordsOfOneUncapturedCall(Map.of("otel.instrumentation.common.default-enabled", "false")));
    assertEquals(
        1,
        recordsOfOneUncapturedCall(
            Map.of(
                "otel.instrumentation.common.default-enabled", "false",
                "otel.instrumentation.tokenledger.enabled", "true")));
  }

  @Test
  void itsOwnSettingTurnsTheWatchOff() {
    String name = "otel.instrumentation.tokenledger.record-uncaptured-calls";
    System.setProperty(name, "false");
    try {
      assertEquals(0, recordsOfOneUncapturedCall(Map.of()));
    } finally {
      System.clearProperty(name);
    }
  }

  /**
   * Setting the agent's list of sensitive query parameters replaces its own, so the default is the
   * list of the agent version the extension is built against, plus Azure's api-key.
   */
  @Test
  void azuresKeyParameterIsRedactedNextToTheAgentsOwn() {
    Set<String> agentsOwn = io.opentelemetry.instrumentation.api.internal.HttpConstants.SENSITIVE_QUERY_PARAMETERS;
    Set<String> expected = new TreeSet<>(agentsOwn);
    expected.add("api-key");
    String list = TokenLedgerAutoConfiguration.defaults()
        .get("otel.instrumentation.sanitization.url.experimental.sensitive-query-parameters");
    assertEquals(expected, new TreeSet<>(List.of(list.split(","))));
  }

  /** The usage records of one uncaptured chat call through a provider built with {@code properties}. */
  private static int recordsOfOneUncapturedCall(Map<String, String> properties) {
    TestTelemetry.clear();
    ConfigProperties config = DefaultConfigProperties.createFromMap(properties);
    try (SdkTracerProvider provider = customized(config)) {
      provider.get("io.opentelemetry.reactor-netty-1.0")
          .spanBuilder("POST")
          .setSpanKind(SpanKind.CLIENT)
          .setAttribute("http.request.method", "POST")
          .setAttribute("server.address", "api.openai.com")
          .setAttribute("url.full", "https://api.openai.com/v1/responses")
          .setAttribute("http.response.status_code", 200L)
          .startSpan()
          .end();
    }
    List<LogRecordData> records = TestTelemetry.LOGS.getFinishedLogRecordItems();
    records.forEach(r -> assertEquals(
        "uncaptured transport: reactor-netty-1.0",
        r.getAttributes().get(AttributeKey.stringKey("tokenledger.usage.diagnostic"))));
    return records.size();
  }

  private static SdkTracerProvider customized(ConfigProperties config) {
    CapturingCustomizer customizer = new CapturingCustomizer();
    new TokenLedgerAutoConfiguration().customize(customizer);
    assertNotNull(customizer.tracerProvider);
    return customizer.tracerProvider.apply(SdkTracerProvider.builder(), config).build();
  }

  /** Keeps the tracer provider customisation; the rest is not under test here. */
  private static final class CapturingCustomizer implements AutoConfigurationCustomizer {
    BiFunction<SdkTracerProviderBuilder, ConfigProperties, SdkTracerProviderBuilder> tracerProvider;

    @Override
    public AutoConfigurationCustomizer addTracerProviderCustomizer(
        BiFunction<SdkTracerProviderBuilder, ConfigProperties, SdkTracerProviderBuilder> customizer) {
      tracerProvider = customizer;
      return this;
    }

    @Override
    public AutoConfigurationCustomizer addPropagatorCustomizer(
        BiFunction<? super TextMapPropagator, ConfigProperties, ? extends TextMapPropagator> customizer) {
      return this;
    }

    @Override
    public AutoConfigurationCustomizer addResourceCustomizer(
        BiFunction<? super Resource, ConfigProperties, ? extends Resource> customizer) {
      return this;
    }

    @Override
    public AutoConfigurationCustomizer addSamplerCustomizer(
        BiFunction<? super Sampler, ConfigProperties, ? extends Sampler> customizer) {
      return this;
    }

    @Override
    public AutoConfigurationCustomizer addSpanExporterCustomizer(
        BiFunction<? super SpanExporter, ConfigProperties, ? extends SpanExporter> customizer) {
      return this;
    }

    @Override
    public AutoConfigurationCustomizer addPropertiesSupplier(Supplier<Map<String, String>> supplier) {
      return this;
    }
  }
}
