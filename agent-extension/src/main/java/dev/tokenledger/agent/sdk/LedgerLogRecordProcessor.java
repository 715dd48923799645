package dev.tokenledger.agent.sdk;

import dev.tokenledger.agent.TokenLedgerAttributes;
import dev.tokenledger.usage.RateLimitedLog;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.logs.LogRecordProcessor;
import io.opentelemetry.sdk.logs.ReadWriteLogRecord;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.logs.export.BatchLogRecordProcessor;
import io.opentelemetry.sdk.logs.export.LogRecordExporter;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Gives the ledger its own export queue in front of the exporter the SDK configured, so that no
 * usage record is lost without a count (docs/signals.md#sdk-defaults).
 *
 * <p>The SDK's batch log processor keeps one bounded queue for every log record of the application
 * and drops what does not fit, silently: a burst of calls, or the application's own logging, while
 * the Collector is slow to answer, loses ledger rows. Here the {@code tokenledger.usage} events go
 * to a batch processor of their own, sized for bursts and exporting through the same exporter;
 * everything else goes to the configured processor as before, so the application's logs cannot
 * crowd the ledger out. Admission is counted here: a record is admitted only while fewer than the
 * queue's capacity wait for export (so the inner processor never drops one itself), and every
 * record refused, or handed to an export that then failed, is added to
 * {@code tokenledger.records.dropped} ({@link DroppedRecords}). Records that arrive and records
 * counted add up to the records made.
 *
 * <p>The exporter stays the configured processor's: this one flushes through it but never shuts it
 * down, and at shutdown the ledger's queue is drained before the configured processor shuts the
 * exporter down.
 */
final class LedgerLogRecordProcessor implements LogRecordProcessor {

  /** The event name of a ledger record (UsageEmitter). */
  static final String LEDGER_EVENT = "tokenledger.usage";

  static final String QUEUE_FULL = "queue_full";
  static final String EXPORT_FAILED = "export_failed";

  private final LogRecordProcessor others;
  private final LogRecordProcessor ledger;
  private final int capacity;
  private final DroppedRecords dropped;
  /** Ledger records admitted and not yet handed to an export. */
  private final AtomicLong waiting = new AtomicLong();

  private LedgerLogRecordProcessor(
      LogRecordProcessor others, LogRecordExporter exporter, Settings settings, DroppedRecords dropped) {
    this.others = others;
    this.capacity = settings.queueSize;
    this.dropped = dropped;
    this.ledger =
        BatchLogRecordProcessor.builder(new LedgerExporter(exporter))
            .setMaxQueueSize(settings.queueSize)
            .setMaxExportBatchSize(settings.exportBatchSize)
            .setScheduleDelay(settings.scheduleDelayMillis, TimeUnit.MILLISECONDS)
            .setExporterTimeout(settings.exportTimeoutMillis, TimeUnit.MILLISECONDS)
            .build();
  }

  /**
   * The configured processor with the ledger split off in front of it, when it is the SDK's batch
   * processor (the one with a queue to overflow); any other processor is returned as it is.
   */
  static LogRecordProcessor wrap(LogRecordProcessor configured, Settings settings, DroppedRecords dropped) {
    if (!(configured instanceof BatchLogRecordProcessor)) {
      return configured;
    }
    try {
      LogRecordExporter exporter = ((BatchLogRecordProcessor) configured).getLogRecordExporter();
      return new LedgerLogRecordProcessor(configured, exporter, settings, dropped);
    } catch (Throwable t) {
      RateLimitedLog.warn("ledger-queue", "TokenLedger could not give the ledger its own export queue: " + t);
      return configured;
    }
  }

  static boolean isLedgerRecord(ReadWriteLogRecord record) {
    return LEDGER_EVENT.equals(record.getEventName()) && Entrypoints.isOurs(record.getInstrumentationScopeInfo());
  }

  @Override
  public void onEmit(Context context, ReadWriteLogRecord record) {
    if (!isLedgerRecord(record)) {
      others.onEmit(context, record);
      return;
    }
    if (waiting.incrementAndGet() > capacity) {
      waiting.decrementAndGet();
      dropped.add(1, QUEUE_FULL, record.getAttribute(TokenLedgerAttributes.API),
          record.getAttribute(TokenLedgerAttributes.OPENAI_PROJECT));
      RateLimitedLog.warn("ledger-queue-full", "TokenLedger's ledger export queue is full (" + capacity
          + " records waiting for the exporter): usage records are dropped and counted in "
          + DroppedRecords.NAME + "; see otel.instrumentation.tokenledger.ledger-queue-size");
      return;
    }
    ledger.onEmit(context, record);
  }

  @Override
  public CompletableResultCode forceFlush() {
    return CompletableResultCode.ofAll(java.util.Arrays.asList(ledger.forceFlush(), others.forceFlush()));
  }

  /** The ledger's queue first, through the exporter; then the configured processor, which shuts it down. */
  @Override
  public CompletableResultCode shutdown() {
    final CompletableResultCode result = new CompletableResultCode();
    final CompletableResultCode ledgerDone = ledger.shutdown();
    ledgerDone.whenComplete(() -> {
      final CompletableResultCode othersDone = others.shutdown();
      othersDone.whenComplete(() -> {
        if (ledgerDone.isSuccess() && othersDone.isSuccess()) {
          result.succeed();
        } else {
          result.fail();
        }
      });
    });
    return result;
  }

  /** Ledger records admitted and not yet handed to the exporter (tests). */
  long waiting() {
    return waiting.get();
  }

  /**
   * The configured exporter as the ledger's processor sees it: counts what leaves the queue and what
   * an export fails to deliver, and never shuts the shared exporter down.
   */
  private final class LedgerExporter implements LogRecordExporter {
    private final LogRecordExporter delegate;

    LedgerExporter(LogRecordExporter delegate) {
      this.delegate = delegate;
    }

    @Override
    public CompletableResultCode export(final Collection<LogRecordData> records) {
      waiting.addAndGet(-records.size());
      final CompletableResultCode result;
      try {
        result = delegate.export(records);
      } catch (Throwable t) {
        countFailed(records);
        return CompletableResultCode.ofFailure();
      }
      result.whenComplete(() -> {
        if (!result.isSuccess()) {
          countFailed(records);
        }
      });
      return result;
    }

    private void countFailed(Collection<LogRecordData> records) {
      Map<Attributes, long[]> byOrigin = new HashMap<Attributes, long[]>();
      for (LogRecordData record : records) {
        AttributesBuilder key = Attributes.builder();
        Attributes attributes = record.getAttributes();
        String api = attributes.get(TokenLedgerAttributes.API);
        String project = attributes.get(TokenLedgerAttributes.OPENAI_PROJECT);
        if (api != null) {
          key.put(TokenLedgerAttributes.API, api);
        }
        if (project != null) {
          key.put(TokenLedgerAttributes.OPENAI_PROJECT, project);
        }
        Attributes origin = key.build();
        long[] count = byOrigin.get(origin);
        if (count == null) {
          byOrigin.put(origin, count = new long[1]);
        }
        count[0]++;
      }
      for (Map.Entry<Attributes, long[]> e : byOrigin.entrySet()) {
        dropped.add(e.getValue()[0], EXPORT_FAILED, e.getKey().get(TokenLedgerAttributes.API),
            e.getKey().get(TokenLedgerAttributes.OPENAI_PROJECT));
      }
      RateLimitedLog.warn("ledger-export-failed", "TokenLedger could not export " + records.size()
          + " usage records (the exporter reported a failure); they are counted in " + DroppedRecords.NAME);
    }

    @Override
    public CompletableResultCode flush() {
      return delegate.flush();
    }

    @Override
    public CompletableResultCode shutdown() {
      // The configured processor owns the exporter and shuts it down after this queue is drained.
      return CompletableResultCode.ofSuccess();
    }
  }

  /** The ledger queue's settings (agent-extension/README.md, Settings). */
  static final class Settings {
    final int queueSize;
    final int exportBatchSize;
    final long scheduleDelayMillis;
    final long exportTimeoutMillis;

    Settings(int queueSize, int exportBatchSize, long scheduleDelayMillis, long exportTimeoutMillis) {
      this.queueSize = queueSize;
      this.exportBatchSize = Math.min(exportBatchSize, queueSize);
      this.scheduleDelayMillis = scheduleDelayMillis;
      this.exportTimeoutMillis = exportTimeoutMillis;
    }
  }
}
