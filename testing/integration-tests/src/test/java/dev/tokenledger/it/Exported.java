package dev.tokenledger.it;

import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.trace.v1.Span;
import java.util.List;

/**
 * What an agent exported over OTLP: spans, log records, metrics, and every byte received (to scan for
 * secrets). The receiver is live; {@link Snapshot} keeps one application's export after the receiver
 * moved on to the next.
 */
interface Exported {

  List<Span> spans();

  List<LogRecord> logs();

  List<Metric> metrics();

  byte[] rawBytes();

  record Snapshot(List<Span> spans, List<LogRecord> logs, List<Metric> metrics, byte[] rawBytes)
      implements Exported {

    static Snapshot of(Exported exported) {
      return new Snapshot(List.copyOf(exported.spans()), List.copyOf(exported.logs()),
          List.copyOf(exported.metrics()), exported.rawBytes());
    }
  }
}
