package dev.tokenledger.agent.sdk;

import dev.tokenledger.agent.TokenLedgerAttributes;
import dev.tokenledger.agent.TokenLedgerTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.metrics.LongCounter;
import java.util.function.Supplier;

/**
 * {@code tokenledger.records.dropped}: usage records the agent made and could not deliver, by why
 * ({@code error.type}: {@code queue_full}, {@code export_failed}), {@code tokenledger.api} and
 * {@code openai.project}. The counter is made at the first drop, from the OpenTelemetry the agent
 * installed by then (the log processors are built before it is).
 */
final class DroppedRecords {

  static final String NAME = "tokenledger.records.dropped";

  private final Supplier<OpenTelemetry> openTelemetry;
  private volatile LongCounter counter;

  DroppedRecords(Supplier<OpenTelemetry> openTelemetry) {
    this.openTelemetry = openTelemetry;
  }

  void add(long records, String errorType, String api, String project) {
    try {
      AttributesBuilder attributes = Attributes.builder().put(TokenLedgerAttributes.ERROR_TYPE, errorType);
      if (api != null) {
        attributes.put(TokenLedgerAttributes.API, api);
      }
      if (project != null) {
        attributes.put(TokenLedgerAttributes.OPENAI_PROJECT, project);
      }
      counter().add(records, attributes.build());
    } catch (Throwable ignored) {
      // Counting must never fail the application's logging; the log line still says it.
    }
  }

  private LongCounter counter() {
    LongCounter c = counter;
    if (c == null) {
      synchronized (this) {
        c = counter;
        if (c == null) {
          counter = c = openTelemetry.get().getMeter(TokenLedgerTelemetry.SCOPE)
              .counterBuilder(NAME)
              .setUnit("{record}")
              .setDescription("Usage records the agent could not deliver to the exporter")
              .build();
        }
      }
    }
    return c;
  }
}
