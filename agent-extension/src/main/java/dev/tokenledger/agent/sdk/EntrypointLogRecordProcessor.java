package dev.tokenledger.agent.sdk;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.logs.LogRecordProcessor;
import io.opentelemetry.sdk.logs.ReadWriteLogRecord;

/** Stamps {@code tokenledger.entrypoint} on TokenLedger's usage events. */
final class EntrypointLogRecordProcessor implements LogRecordProcessor {

  @Override
  public void onEmit(Context context, ReadWriteLogRecord logRecord) {
    try {
      if (Entrypoints.isOurs(logRecord.getInstrumentationScopeInfo())) {
        String entrypoint = Entrypoints.of(context, Span.fromContext(context));
        if (entrypoint != null) {
          logRecord.setAttribute(Entrypoints.ENTRYPOINT, entrypoint);
        }
      }
    } catch (Throwable ignored) {
      // Attribution is best effort; it must never lose the record.
    }
  }
}
