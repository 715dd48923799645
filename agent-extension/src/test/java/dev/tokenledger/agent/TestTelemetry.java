package dev.tokenledger.agent;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.export.SimpleLogRecordProcessor;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.testing.exporter.InMemoryLogRecordExporter;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One in-memory SDK for every test in the JVM, and an {@link OpenAiInstrumenter} writing to it with
 * the default settings: tests start calls and connections through {@link #INSTRUMENTER}, as a
 * transport's {@code *Singletons} does with the agent's SDK.
 */
public final class TestTelemetry {

  public static final InMemoryLogRecordExporter LOGS = InMemoryLogRecordExporter.create();
  public static final InMemorySpanExporter SPANS = InMemorySpanExporter.create();
  public static final InMemoryMetricReader METRICS = InMemoryMetricReader.createDelta();

  public static final OpenTelemetrySdk SDK =
      OpenTelemetrySdk.builder()
          .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(SPANS)).build())
          .setLoggerProvider(
              SdkLoggerProvider.builder().addLogRecordProcessor(SimpleLogRecordProcessor.create(LOGS)).build())
          .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(METRICS).build())
          .build();

  public static final OpenAiInstrumenter INSTRUMENTER = OpenAiInstrumenter.create(SDK);

  private static boolean installed;

  /**
   * For tests that go through a transport's {@code *Singletons} (the agent's own path, which takes
   * the global OpenTelemetry): makes {@link #SDK} the global one before any of them is built.
   */
  public static synchronized void installGlobal() {
    if (installed) {
      return;
    }
    GlobalOpenTelemetry.resetForTest();
    GlobalOpenTelemetry.set(SDK);
    installed = true;
  }

  /** Forgets what earlier tests emitted. */
  public static void clear() {
    LOGS.reset();
    SPANS.reset();
    METRICS.collectAllMetrics();
  }

  /**
   * For {@code @ExtendWith} on a test class: {@link #installGlobal()} before its tests, and
   * {@link #clear()} before each, so that every test sees only what it emitted.
   */
  public static final class Extension implements BeforeAllCallback, BeforeEachCallback {
    @Override
    public void beforeAll(ExtensionContext context) {
      installGlobal();
    }

    @Override
    public void beforeEach(ExtensionContext context) {
      clear();
    }
  }

  private TestTelemetry() {}
}
