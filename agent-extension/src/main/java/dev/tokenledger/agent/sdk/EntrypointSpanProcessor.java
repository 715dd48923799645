package dev.tokenledger.agent.sdk;

import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;

/** Stamps {@code tokenledger.entrypoint} on TokenLedger's spans as they start. */
final class EntrypointSpanProcessor implements SpanProcessor {

  @Override
  public void onStart(Context parentContext, ReadWriteSpan span) {
    try {
      if (Entrypoints.isOurs(span.getInstrumentationScopeInfo())) {
        String entrypoint = Entrypoints.of(parentContext, span);
        if (entrypoint != null) {
          span.setAttribute(Entrypoints.ENTRYPOINT, entrypoint);
        }
      }
    } catch (Throwable ignored) {
      // Attribution is best effort; it must never disturb the span.
    }
  }

  @Override
  public boolean isStartRequired() {
    return true;
  }

  @Override
  public void onEnd(ReadableSpan span) {}

  @Override
  public boolean isEndRequired() {
    return false;
  }
}
