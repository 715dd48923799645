package dev.tokenledger.usage;

/**
 * A JSON response body, scanned as it streams: only the identifying members and the raw
 * {@code usage} subtree are kept (see {@link DocCapture}). Exactly one record: {@code reported} when
 * the usage object arrived whole (even if the body broke later), else {@code missing} with zero
 * tokens and a diagnostic. Moderations are free: {@code reported} with zero tokens.
 */
final class JsonBodyReader extends BodyReader {

  private final DocCapture doc = new DocCapture();
  private final JsonStreamScanner scanner = new JsonStreamScanner(doc);

  JsonBodyReader(BodyRecords records) {
    super(records);
    scanner.reset();
  }

  @Override
  void feed(byte[] b, int off, int len) {
    scanner.feed(b, off, len);
  }

  @Override
  void conclude(BodyEnd end) {
    scanner.end();
    OpenAiApi api = records.api;
    DocCapture.Fields top = doc.top;
    ResponseUsage.Builder r = records.base();
    BodyRecords.fill(r, top);
    String status;
    if (end.internalError != null || end.decodeError != null || scanner.failed()) {
      status = ResponseUsage.STATUS_UNREADABLE;
    } else if (!scanner.complete()) {
      status = ResponseUsage.STATUS_TRUNCATED;
    } else {
      status = ResponseUsage.STATUS_COMPLETED;
    }
    if (api.reportsResponseStatus() && top.status != null && (scanner.complete() || top.hasUsage())) {
      status = top.status;
    }
    r.status = status;

    if (api == OpenAiApi.MODERATIONS) {
      r.source = ResponseUsage.SOURCE_REPORTED;
      r.usage = TokenUsage.zero();
      r.diagnostic = status.equals(ResponseUsage.STATUS_COMPLETED) ? null : problem(end);
      records.emit(r.build());
      return;
    }
    if (top.hasUsage()) {
      if (records.reported(r, top.usageRaw, api)) {
        records.emit(r.build());
        return;
      }
    } else if (top.duration != null && api.mayBillDuration()) {
      double seconds = parseSeconds(top.duration);
      if (seconds >= 0) {
        r.source = ResponseUsage.SOURCE_REPORTED;
        r.usage = TokenUsage.builder().audioSeconds(seconds).build();
        records.emit(r.build());
        return;
      }
    }
    r.source = ResponseUsage.SOURCE_MISSING;
    r.usage = TokenUsage.zero();
    if (r.diagnostic == null) {
      r.diagnostic = missingReason(top, end);
    }
    records.emit(r.build());
    if (ResponseUsage.STATUS_UNREADABLE.equals(r.status)) {
      BodyRecords.log("unreadable-response",
          "TokenLedger could not read the usage of a " + api + " response: " + r.diagnostic);
    }
  }

  private String missingReason(DocCapture.Fields top, BodyEnd end) {
    if (top.usageOverflow) {
      return "usage object larger than " + (JsonStreamScanner.MAX_RAW_BYTES / 1024) + " KiB";
    }
    String problem = problem(end);
    if (problem != null) {
      return problem;
    }
    if (records.api.reportsResponseStatus() && ("queued".equals(top.status) || "in_progress".equals(top.status))) {
      return "background response: usage comes only with its retrieval";
    }
    if (records.api == OpenAiApi.AUDIO_TRANSLATIONS) {
      return "translation response carries no usage or duration";
    }
    return top.usageSeen ? "usage is null" : "provider omitted usage";
  }

  /** Why the body could not be read to its end, or null when it was. */
  private String problem(BodyEnd end) {
    String failure = end.failure();
    if (failure != null) {
      return failure;
    }
    if (scanner.failed()) {
      return "malformed JSON at byte " + scanner.errorOffset() + " (" + scanner.error() + ")";
    }
    if (!scanner.sawValue()) {
      return end.reachedEnd ? "empty body" : "body closed before any data";
    }
    if (!scanner.complete()) {
      if (end.overCap) {
        return "body larger than " + (BodyEnd.MAX_BODY_BYTES >> 20) + " MiB; not read to its end";
      }
      return end.reachedEnd ? "body ended before usage" : "body not fully read (closed early or transport failed)";
    }
    return null;
  }

  private static double parseSeconds(String s) {
    try {
      double d = Double.parseDouble(s);
      return d >= 0 && !Double.isInfinite(d) ? d : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  @Override
  int retainedBytes() {
    return scanner.retainedBytes();
  }
}
