package dev.tokenledger.agent.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.logs.Logger;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.logs.LogRecordProcessor;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.logs.export.BatchLogRecordProcessor;
import io.opentelemetry.sdk.logs.export.LogRecordExporter;
import io.opentelemetry.sdk.logs.export.SimpleLogRecordProcessor;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The ledger's own export queue: what does not fit, or what an export fails to deliver, is counted
 * in tokenledger.records.dropped, record for record; the application's logs cannot take its room;
 * and the shared exporter is shut down once, after the ledger's queue is drained.
 */
class LedgerLogRecordProcessorTest {

  static final AttributeKey<String> RECORD_ID = AttributeKey.stringKey("tokenledger.record.id");
  static final AttributeKey<String> API = AttributeKey.stringKey("tokenledger.api");

  final InMemoryMetricReader metrics = InMemoryMetricReader.createDelta();
  final OpenTelemetrySdk meterSdk =
      OpenTelemetrySdk.builder().setMeterProvider(SdkMeterProvider.builder().registerMetricReader(metrics).build()).build();
  final DroppedRecords dropped = new DroppedRecords(() -> meterSdk);

  @Test
  void aBurstBeyondTheQueueArrivesOrIsCountedRecordForRecord() {
    GatedExporter exporter = new GatedExporter();
    LogRecordProcessor processor = ledgerOver(configured(exporter, 2048), new LedgerLogRecordProcessor.Settings(32, 8, 10, 30_000));
    SdkLoggerProvider provider = SdkLoggerProvider.builder().addLogRecordProcessor(processor).build();
    int made = 500;
    Logger ledger = provider.get("tokenledger");
    for (int i = 0; i < made; i++) {
      usageRecord(ledger, i);
    }
    exporter.open();
    provider.shutdown().join(10, TimeUnit.SECONDS);

    Set<String> arrived = exporter.recordIds();
    Map<String, Long> counted = droppedByErrorType();
    long droppedCount = counted.values().stream().mapToLong(Long::longValue).sum();
    assertTrue(arrived.size() < made, "the gate holds the exports: the queue must overflow; arrived " + arrived.size());
    assertEquals(made, arrived.size() + droppedCount, "arrived " + arrived.size() + ", counted " + counted);
    assertEquals(Map.of(LedgerLogRecordProcessor.QUEUE_FULL, droppedCount), counted);
    assertEquals(1, exporter.shutdowns.get());
  }

  @Test
  void theApplicationsLogsCannotTakeTheLedgersRoom() {
    GatedExporter exporter = new GatedExporter();
    LogRecordProcessor processor = ledgerOver(configured(exporter, 16), new LedgerLogRecordProcessor.Settings(1000, 100, 10, 30_000));
    SdkLoggerProvider provider = SdkLoggerProvider.builder().addLogRecordProcessor(processor).build();
    Logger app = provider.get("com.acme.app");
    for (int i = 0; i < 5000; i++) {
      app.logRecordBuilder().setBody("application line " + i).emit();
    }
    Logger ledger = provider.get("tokenledger");
    for (int i = 0; i < 500; i++) {
      usageRecord(ledger, i);
    }
    exporter.open();
    provider.shutdown().join(10, TimeUnit.SECONDS);
    assertEquals(500, exporter.recordIds().size());
    assertTrue(droppedByErrorType().isEmpty(), () -> "nothing dropped: " + droppedByErrorType());
  }

  @Test
  void anExportThatFailsIsCounted() {
    GatedExporter exporter = new GatedExporter();
    exporter.fail = true;
    exporter.open();
    LogRecordProcessor processor = ledgerOver(configured(exporter, 2048), new LedgerLogRecordProcessor.Settings(1000, 10, 10, 30_000));
    SdkLoggerProvider provider = SdkLoggerProvider.builder().addLogRecordProcessor(processor).build();
    Logger ledger = provider.get("tokenledger");
    for (int i = 0; i < 35; i++) {
      usageRecord(ledger, i);
    }
    provider.shutdown().join(10, TimeUnit.SECONDS);
    List<LongPointData> points = droppedPoints();
    assertEquals(1, points.size(), points::toString);
    assertEquals(35, points.get(0).getValue());
    assertEquals(LedgerLogRecordProcessor.EXPORT_FAILED, points.get(0).getAttributes().get(AttributeKey.stringKey("error.type")));
    assertEquals("chat.completions", points.get(0).getAttributes().get(API));
  }

  @Test
  void theLedgerIsDrainedBeforeTheSharedExporterIsShutDown() {
    GatedExporter exporter = new GatedExporter();
    LogRecordProcessor processor =
        ledgerOver(configured(exporter, 2048), new LedgerLogRecordProcessor.Settings(1000, 10, 60_000, 30_000));
    SdkLoggerProvider provider = SdkLoggerProvider.builder().addLogRecordProcessor(processor).build();
    Logger ledger = provider.get("tokenledger");
    for (int i = 0; i < 25; i++) {
      usageRecord(ledger, i);
    }
    provider.get("com.acme.app").logRecordBuilder().setBody("bye").emit();
    exporter.open();
    assertTrue(provider.shutdown().join(10, TimeUnit.SECONDS).isSuccess());
    assertEquals(25, exporter.recordIds().size());
    assertEquals(26, exporter.exported.size());
    assertEquals(0, exporter.exportsAfterShutdown.get(), "nothing exported through a shut exporter");
    assertEquals(1, exporter.shutdowns.get());
  }

  @Test
  void processorsWithoutAQueueAreLeftAsTheyAre() {
    LogRecordProcessor simple = SimpleLogRecordProcessor.create(new GatedExporter());
    assertSame(simple, LedgerLogRecordProcessor.wrap(simple, new LedgerLogRecordProcessor.Settings(10, 10, 10, 10), dropped));
  }

  // ---- helpers

  /** The SDK's batch processor as autoconfigure builds it, with the given queue. */
  private static BatchLogRecordProcessor configured(LogRecordExporter exporter, int queueSize) {
    return BatchLogRecordProcessor.builder(exporter)
        .setMaxQueueSize(queueSize)
        .setMaxExportBatchSize(Math.min(512, queueSize))
        .setScheduleDelay(10, TimeUnit.MILLISECONDS)
        .build();
  }

  private LogRecordProcessor ledgerOver(BatchLogRecordProcessor configured, LedgerLogRecordProcessor.Settings settings) {
    LogRecordProcessor wrapped = LedgerLogRecordProcessor.wrap(configured, settings, dropped);
    assertTrue(wrapped instanceof LedgerLogRecordProcessor);
    return wrapped;
  }

  private static void usageRecord(Logger ledger, int i) {
    ledger.logRecordBuilder()
        .setEventName(LedgerLogRecordProcessor.LEDGER_EVENT)
        .setAllAttributes(Attributes.of(RECORD_ID, String.format("%032x", i), API, "chat.completions"))
        .emit();
  }

  private List<LongPointData> droppedPoints() {
    List<LongPointData> points = new ArrayList<>();
    for (MetricData m : metrics.collectAllMetrics()) {
      if (m.getName().equals(DroppedRecords.NAME)) {
        points.addAll(m.getLongSumData().getPoints());
      }
    }
    return points;
  }

  /** Drops counted since the last read, by error.type (the reader reports deltas). */
  private Map<String, Long> droppedByErrorType() {
    Map<String, Long> byType = new HashMap<>();
    for (LongPointData p : droppedPoints()) {
      byType.merge(p.getAttributes().get(AttributeKey.stringKey("error.type")), p.getValue(), Long::sum);
    }
    return byType;
  }

  /** An exporter that holds every export until opened, like a Collector that does not answer yet. */
  static final class GatedExporter implements LogRecordExporter {
    final CountDownLatch gate = new CountDownLatch(1);
    final List<LogRecordData> exported = new ArrayList<>();
    final AtomicInteger shutdowns = new AtomicInteger();
    final AtomicInteger exportsAfterShutdown = new AtomicInteger();
    volatile boolean fail;

    void open() {
      gate.countDown();
    }

    @Override
    public CompletableResultCode export(Collection<LogRecordData> records) {
      try {
        gate.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (shutdowns.get() > 0) {
        exportsAfterShutdown.incrementAndGet();
        return CompletableResultCode.ofFailure();
      }
      if (fail) {
        return CompletableResultCode.ofFailure();
      }
      synchronized (exported) {
        exported.addAll(records);
      }
      return CompletableResultCode.ofSuccess();
    }

    Set<String> recordIds() {
      Set<String> ids = new HashSet<>();
      synchronized (exported) {
        for (LogRecordData r : exported) {
          String id = r.getAttributes().get(RECORD_ID);
          if (id != null) {
            ids.add(id);
          }
        }
      }
      return ids;
    }

    @Override
    public CompletableResultCode flush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      shutdowns.incrementAndGet();
      return CompletableResultCode.ofSuccess();
    }
  }
}
