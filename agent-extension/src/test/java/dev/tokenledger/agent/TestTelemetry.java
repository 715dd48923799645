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

/**
 * One in-memory SDK for every test in the JVM: {@link TokenLedgerTelemetry} builds its handles once
 * from the global OpenTelemetry, so every test that emits must install this same SDK first.
 */
public final class TestTelemetry {

  public static final InMemoryLogRecordExporter LOGS = InMemoryLogRecordExporter.create();
  public static final InMemorySpanExporter SPANS = InMemorySpanExporter.create();
  public static final InMemoryMetricReader METRICS = InMemoryMetricReader.createDelta();

  private static boolean installed;

  public static synchronized void install() {
    if (installed) {
      return;
    }
    GlobalOpenTelemetry.resetForTest();
    GlobalOpenTelemetry.set(
        OpenTelemetrySdk.builder()
            .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(SPANS)).build())
            .setLoggerProvider(
                SdkLoggerProvider.builder().addLogRecordProcessor(SimpleLogRecordProcessor.create(LOGS)).build())
            .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(METRICS).build())
            .build());
    installed = true;
  }

  /** Forgets what earlier tests emitted. */
  public static void clear() {
    LOGS.reset();
    SPANS.reset();
    METRICS.collectAllMetrics();
  }

  private TestTelemetry() {}
}
