package dev.tokenledger.agent.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.agent.TestTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.sdk.autoconfigure.spi.AutoConfigurationCustomizer;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.internal.DefaultConfigProperties;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.logs.Logger;
import io.opentelemetry.sdk.logs.LogRecordProcessor;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.logs.export.BatchLogRecordProcessor;
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
import java.util.concurrent.TimeUnit;
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

  @Test
  void theLedgerQueueHasItsDefaultsAndYieldsToTheUsersSettings() {
    LedgerLogRecordProcessor.Settings defaults =
        TokenLedgerAutoConfiguration.ledgerSettings(DefaultConfigProperties.createFromMap(Map.of()));
    assertEquals(32768, defaults.queueSize);
    assertEquals(1024, defaults.exportBatchSize);
    assertEquals(1000, defaults.scheduleDelayMillis);
    assertEquals(30000, defaults.exportTimeoutMillis);

    LedgerLogRecordProcessor.Settings own = TokenLedgerAutoConfiguration.ledgerSettings(
        DefaultConfigProperties.createFromMap(Map.of(
            "otel.instrumentation.tokenledger.ledger-queue-size", "100",
            "otel.instrumentation.tokenledger.ledger-export-batch-size", "500",
            "otel.blrp.schedule.delay", "200",
            "otel.blrp.export.timeout", "5s")));
    assertEquals(100, own.queueSize);
    assertEquals(100, own.exportBatchSize, "a batch never exceeds the queue");
    assertEquals(200, own.scheduleDelayMillis);
    assertEquals(5000, own.exportTimeoutMillis);

    LedgerLogRecordProcessor.Settings invalid = TokenLedgerAutoConfiguration.ledgerSettings(
        DefaultConfigProperties.createFromMap(Map.of(
            "otel.instrumentation.tokenledger.ledger-queue-size", "0",
            "otel.instrumentation.tokenledger.ledger-export-batch-size", "many")));
    assertEquals(32768, invalid.queueSize);
    assertEquals(1024, invalid.exportBatchSize);
  }

  @Test
  void theConfiguredBatchProcessorHandsTheLedgerToItsOwnQueue() {
    // The SDK's queue holds 4 records and its exporter does not answer until the end: the ledger's
    // 300 records still all arrive, through their own queue. With the extension off they share it.
    assertEquals(300, ledgerRecordsExportedPast(Map.of(), 4, 300));
    int shared = ledgerRecordsExportedPast(Map.of("otel.instrumentation.tokenledger.enabled", "false"), 4, 300);
    assertTrue(shared < 300, "with the extension off the ledger shares the SDK's queue: " + shared);
  }

  /** Ledger records exported by the customised batch processor over a queue of {@code queueSize}. */
  private static int ledgerRecordsExportedPast(Map<String, String> properties, int queueSize, int records) {
    CapturingCustomizer customizer = new CapturingCustomizer();
    new TokenLedgerAutoConfiguration().customize(customizer);
    LedgerLogRecordProcessorTest.GatedExporter exporter = new LedgerLogRecordProcessorTest.GatedExporter();
    BatchLogRecordProcessor configured = BatchLogRecordProcessor.builder(exporter)
        .setMaxQueueSize(queueSize).setMaxExportBatchSize(queueSize).setScheduleDelay(10, TimeUnit.MILLISECONDS).build();
    LogRecordProcessor processor =
        customizer.logRecordProcessor.apply(configured, DefaultConfigProperties.createFromMap(properties));
    SdkLoggerProvider provider = SdkLoggerProvider.builder().addLogRecordProcessor(processor).build();
    Logger ledger = provider.get("tokenledger");
    for (int i = 0; i < records; i++) {
      ledger.logRecordBuilder()
          .setEventName("tokenledger.usage")
          .setAllAttributes(Attributes.of(LedgerLogRecordProcessorTest.RECORD_ID, String.format("%032x", i)))
          .emit();
    }
    exporter.open();
    provider.shutdown().join(10, TimeUnit.SECONDS);
    return exporter.recordIds().size();
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

  /** Keeps the tracer provider and log processor customisations; the rest is not under test here. */
  private static final class CapturingCustomizer implements AutoConfigurationCustomizer {
    BiFunction<SdkTracerProviderBuilder, ConfigProperties, SdkTracerProviderBuilder> tracerProvider;
    BiFunction<? super LogRecordProcessor, ConfigProperties, ? extends LogRecordProcessor> logRecordProcessor;

    @Override
    public AutoConfigurationCustomizer addLogRecordProcessorCustomizer(
        BiFunction<? super LogRecordProcessor, ConfigProperties, ? extends LogRecordProcessor> customizer) {
      logRecordProcessor = customizer;
      return this;
    }

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
