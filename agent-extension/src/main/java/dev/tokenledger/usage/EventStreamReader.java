package dev.tokenledger.usage;

import java.util.ArrayList;
import java.util.List;

/**
 * A server-sent event stream (Chat and Completions chunks, Responses events, image and speech
 * events), split into events whose data is scanned like a JSON body; the stream's state is updated
 * per event and nothing else is kept. One record at the end — the last usage seen wins (compatible
 * servers may repeat cumulative usage) — except image streams, where every completed event with
 * usage is a record of its own, emitted at once.
 */
final class EventStreamReader extends BodyReader implements SseParser.Listener {

  private final SseParser sse = new SseParser(this);
  private String id;
  private String model;
  private String serviceTier;
  private String systemFingerprint;
  private List<String> finishReasons;
  private String usageRaw;
  private String usageStatus;
  private String responseStatus;
  private boolean done;
  private boolean errorEvent;
  private String errorCode;
  private long malformedEvents;
  private String firstMalformed;
  private boolean lastEventIncomplete;
  private boolean streamEnding;
  private boolean usageOverflow;
  private int imageRecords;

  EventStreamReader(BodyRecords records) {
    super(records);
  }

  @Override
  void feed(byte[] b, int off, int len) {
    sse.feed(b, off, len);
  }

  @Override
  public void onEvent(String eventName, JsonStreamScanner sc, DocCapture d, boolean isDone) {
    if (isDone) {
      done = true;
      return;
    }
    if (sc.failed() || !sc.complete()) {
      if (!sc.failed() && !sc.sawValue()) {
        return; // an empty data field
      }
      if (!sc.failed() && streamEnding) {
        lastEventIncomplete = true; // the stream stopped inside this event
        return;
      }
      malformedEvents++;
      if (firstMalformed == null) {
        firstMalformed = sc.failed()
            ? "malformed event data at byte " + sc.errorOffset() + " of an event (" + sc.error() + ")"
            : "event data ended mid-JSON";
      }
      return;
    }
    lastEventIncomplete = false;
    DocCapture.Fields top = d.top;
    DocCapture.Fields resp = d.response;
    String type = top.type != null ? top.type : eventName;
    if ("error".equals(type) || (top.errorSeen && !resp.objectSeen && !top.hasUsage())) {
      errorEvent = true;
      if (errorCode == null) {
        errorCode = top.code != null ? top.code : top.errorCode != null ? top.errorCode : top.errorType;
      }
    }
    DocCapture.Fields identity = resp.objectSeen ? resp : top;
    id = firstNonEmpty(identity.id, id);
    model = firstNonEmpty(identity.model, model);
    serviceTier = firstNonEmpty(identity.serviceTier, serviceTier);
    systemFingerprint = firstNonEmpty(identity.systemFingerprint, systemFingerprint);
    for (String reason : top.finishReasons()) {
      if (finishReasons == null) {
        finishReasons = new ArrayList<String>(2);
      }
      if (finishReasons.size() < DocCapture.MAX_FINISH_REASONS) {
        finishReasons.add(reason);
      }
    }
    if (resp.objectSeen && isTerminal(type)) {
      responseStatus = resp.status != null ? resp.status : type.substring("response.".length());
    }
    String candidate = null;
    if (resp.objectSeen && resp.hasUsage()) {
      candidate = resp.usageRaw;
    } else if (top.hasUsage()) {
      candidate = top.usageRaw;
    }
    if (resp.usageOverflow || top.usageOverflow) {
      usageOverflow = true;
    }
    if (candidate == null) {
      return;
    }
    if (records.api.recordsPerStreamEvent()) {
      ResponseUsage.Builder r = records.base();
      r.status = ResponseUsage.STATUS_COMPLETED;
      if (records.reported(r, candidate, records.api)) {
        imageRecords++;
        records.emit(r.build());
      }
      return;
    }
    usageRaw = candidate; // the last one wins (compatible servers may repeat cumulative usage)
    usageStatus = resp.objectSeen ? resp.status : null;
  }

  @Override
  void conclude(BodyEnd end) {
    streamEnding = true;
    sse.finish();
    if (records.api.recordsPerStreamEvent() && imageRecords > 0) {
      return;
    }
    ResponseUsage.Builder r = records.base();
    r.responseId = id;
    r.responseModel = model;
    r.serviceTier = serviceTier;
    r.systemFingerprint = systemFingerprint;
    r.finishReasons = finishReasons;
    String status;
    if (responseStatus != null) {
      status = responseStatus;
    } else if (usageStatus != null) {
      status = usageStatus;
    } else if (usageRaw != null) {
      status = ResponseUsage.STATUS_COMPLETED;
    } else if (errorEvent) {
      status = ResponseUsage.STATUS_ERROR;
    } else if (end.failure() != null) {
      status = ResponseUsage.STATUS_UNREADABLE;
    } else if (done || (end.reachedEnd && !records.api.streamsEndWithDone() && !lastEventIncomplete)) {
      status = ResponseUsage.STATUS_COMPLETED;
    } else {
      status = ResponseUsage.STATUS_TRUNCATED;
    }
    r.status = status;
    if (usageRaw != null && records.reported(r, usageRaw, records.api)) {
      records.emit(r.build());
      return;
    }
    r.source = ResponseUsage.SOURCE_MISSING;
    r.usage = TokenUsage.zero();
    if (r.diagnostic == null) {
      r.diagnostic = missingReason(end);
    }
    records.emit(r.build());
    if (ResponseUsage.STATUS_UNREADABLE.equals(status) || malformedEvents > 0) {
      BodyRecords.log("unreadable-stream",
          "TokenLedger could not read the usage of a " + records.api + " stream: " + r.diagnostic);
    }
  }

  private String missingReason(BodyEnd end) {
    String failure = end.failure();
    if (failure != null) {
      return failure;
    }
    if (usageOverflow) {
      return "usage object larger than " + (JsonStreamScanner.MAX_RAW_BYTES / 1024) + " KiB";
    }
    if (errorEvent) {
      return "stream error event" + (errorCode != null ? " " + BodyRecords.shorten(errorCode) : "");
    }
    if (responseStatus != null) {
      return responseStatus + " response carried no usage";
    }
    RequestInfo request = records.request;
    boolean chatLike = records.api.streamsEndWithDone();
    if (chatLike && request.parsed() && !request.includeUsage() && (done || end.reachedEnd)) {
      return "include_usage not requested";
    }
    if (end.overCap) {
      return "stream larger than " + (BodyEnd.MAX_BODY_BYTES >> 20) + " MiB; not read to its end";
    }
    if (!end.reachedEnd) {
      return chatLike && request.parsed() && !request.includeUsage()
          ? "stream closed early; include_usage not requested"
          : "stream closed before usage";
    }
    if (firstMalformed != null) {
      return firstMalformed;
    }
    if (lastEventIncomplete) {
      return "stream ended mid-event before usage";
    }
    if (chatLike && !request.parsed()) {
      return "stream carried no usage (request not read; include_usage unknown)";
    }
    return "stream ended before usage";
  }

  private static boolean isTerminal(String type) {
    return "response.completed".equals(type)
        || "response.incomplete".equals(type)
        || "response.failed".equals(type)
        || "response.cancelled".equals(type);
  }

  private static String firstNonEmpty(String candidate, String current) {
    return candidate != null && !candidate.isEmpty() ? candidate : current;
  }

  @Override
  int retainedBytes() {
    return sse.retainedBytes();
  }
}
