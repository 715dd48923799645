package dev.tokenledger.agent;

import dev.tokenledger.usage.OpenAiApi;
import dev.tokenledger.usage.ResponseUsage;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import java.time.Instant;

/**
 * One usage record, complete: what the response cost ({@link ResponseUsage}), where it came from
 * ({@link UsageOrigin}), and the call's few facts the signals carry. Made by a transport path, handed
 * to {@link UsageEmitter}, which knows nothing else about the call.
 */
final class UsageRecord {

  final UsageOrigin origin;
  /** The API of the call (for Batch files {@code batch.output}; the lines' own APIs are on the usage). */
  final OpenAiApi api;
  final String requestModel;
  final ResponseUsage usage;
  /** The record's {@code tokenledger.status}. */
  final String status;
  final boolean stream;
  /** The HTTP status of the response; 0 on WebSocket. */
  final int httpStatus;
  final String sessionId;
  final String connectionId;
  /** The context the ledger event is emitted in (its span is the record's trace link). */
  final Context context;
  /** A span to state the usage on, still open (its owner ends it), or null. */
  final Span span;
  /**
   * {@code tokenledger.record.id}: minted by {@link RecordIds} unless the path gives one that the
   * same usage always gets (a Batch output line, whose file may be downloaded more than once).
   */
  final String recordId;
  /** The ledger event's time when the path knows when the usage happened (Batch lines), else null: now. */
  final Instant timestamp;

  private UsageRecord(Builder b) {
    this.origin = b.origin;
    this.api = b.api;
    this.requestModel = b.requestModel;
    this.usage = b.usage;
    this.status = b.status;
    this.stream = b.stream;
    this.httpStatus = b.httpStatus;
    this.sessionId = b.sessionId;
    this.connectionId = b.connectionId;
    this.context = b.context;
    this.span = b.span;
    this.recordId = b.recordId != null ? b.recordId : RecordIds.next();
    this.timestamp = b.timestamp;
  }

  static Builder builder(UsageOrigin origin, OpenAiApi api, ResponseUsage usage, Context context) {
    return new Builder(origin, api, usage, context);
  }

  static final class Builder {
    private final UsageOrigin origin;
    private final OpenAiApi api;
    private final ResponseUsage usage;
    private final Context context;
    private String requestModel;
    private String status;
    private boolean stream;
    private int httpStatus;
    private String sessionId;
    private String connectionId;
    private Span span;
    private String recordId;
    private Instant timestamp;

    private Builder(UsageOrigin origin, OpenAiApi api, ResponseUsage usage, Context context) {
      this.origin = origin;
      this.api = api;
      this.usage = usage;
      this.context = context;
      this.status = usage.status();
    }

    Builder requestModel(String v) {
      requestModel = v;
      return this;
    }

    Builder status(String v) {
      status = v;
      return this;
    }

    Builder stream(boolean v) {
      stream = v;
      return this;
    }

    Builder httpStatus(int v) {
      httpStatus = v;
      return this;
    }

    Builder session(String sessionId, String connectionId) {
      this.sessionId = sessionId;
      this.connectionId = connectionId;
      return this;
    }

    Builder span(Span v) {
      span = v;
      return this;
    }

    /** A record id that stays the same however often this usage is seen (Batch output lines). */
    Builder recordId(String v) {
      recordId = v;
      return this;
    }

    /** When the usage happened, if not now (a Batch line's response time). */
    Builder timestamp(Instant v) {
      timestamp = v;
      return this;
    }

    UsageRecord build() {
      return new UsageRecord(this);
    }
  }
}
