package dev.tokenledger.usage;

/**
 * A Batch API output file: one JSON document per line, each scanned as it streams (never buffered,
 * so line length costs no memory). One record per line that has {@code response.body.usage} and a
 * status code below 400, {@code batch=true}, its API from the line's {@code url} or the body's
 * {@code object}, emitted when its line ends (a sink set on the collector gets it at once, so a
 * download holds no records); a line that does not parse is ignored (and counted in a log line). No
 * record when there is none: a download is not a model request. Each record carries what makes it
 * the same record on every download of the file (the line's {@code id}, {@code custom_id} and
 * position) and the time the line says its response was made.
 */
final class BatchOutputReader extends BodyReader {

  private final DocCapture lineDoc = new DocCapture();
  private final JsonStreamScanner scanner = new JsonStreamScanner(lineDoc);
  private boolean inLine;
  private int lines;
  private long malformedLines;

  BatchOutputReader(BodyRecords records) {
    super(records);
  }

  @Override
  void feed(byte[] b, int off, int len) {
    int end = off + len;
    int i = off;
    while (i < end) {
      int j = i;
      while (j < end && b[j] != '\n') {
        j++;
      }
      if (j > i) {
        if (!inLine) {
          inLine = true;
          scanner.reset();
          lineDoc.reset();
        }
        scanner.feed(b, i, j - i);
      }
      if (j < end) {
        endLine();
        j++;
      }
      i = j;
    }
  }

  @Override
  void conclude(BodyEnd end) {
    endLine();
    if (malformedLines > 0) {
      BodyRecords.log("batch-malformed",
          "TokenLedger ignored " + malformedLines + " unreadable line(s) of a batch output file");
    }
    String failure = end.internalError != null ? "internal error " + end.internalError : end.decodeError;
    if (failure != null) {
      BodyRecords.log("batch-unreadable", "TokenLedger could not read all of a batch output file: " + failure);
    }
  }

  private void endLine() {
    if (!inLine) {
      return;
    }
    inLine = false;
    lines++;
    scanner.end();
    if (!scanner.complete()) {
      if (scanner.sawValue()) {
        malformedLines++;
      }
      return;
    }
    DocCapture.Fields top = lineDoc.top;
    DocCapture.Fields body = lineDoc.body;
    if (!body.hasUsage()) {
      return;
    }
    String statusCode = lineDoc.response.statusCode;
    if (statusCode != null) {
      try {
        if (Double.parseDouble(statusCode) >= 400) {
          return;
        }
      } catch (NumberFormatException ignored) {
        // not a number: judge by the body
      }
    }
    OpenAiApi lineApi = lineApi(top.url, body.object);
    ResponseUsage.Builder r = new ResponseUsage.Builder();
    r.api = lineApi;
    r.batch = true;
    r.batchRequestId = top.id;
    r.batchCustomId = top.customId;
    r.batchLine = lines;
    r.completedAtEpochSeconds = epochSeconds(
        body.completedAt != null ? body.completedAt : body.createdAt != null ? body.createdAt : body.created);
    BodyRecords.fill(r, body);
    r.status = body.status != null ? body.status : ResponseUsage.STATUS_COMPLETED;
    if (!records.reported(r, body.usageRaw, lineApi)) {
      r.source = ResponseUsage.SOURCE_MISSING;
      r.usage = TokenUsage.zero();
    }
    records.emit(r.build());
  }

  /** Whole seconds since the epoch from a JSON number; 0 when absent or not a positive number. */
  static long epochSeconds(String number) {
    if (number == null) {
      return 0;
    }
    try {
      double seconds = Double.parseDouble(number);
      return seconds >= 1 && seconds < 1e12 ? (long) seconds : 0;
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** The API of a batch line: from its {@code url} when present, else from the body's {@code object}. */
  static OpenAiApi lineApi(String url, String object) {
    if (url != null) {
      OpenAiEndpoint ep = OpenAiEndpoint.classify("POST", url, null);
      if (ep != null) {
        return ep.api();
      }
    }
    OpenAiApi fromObject = OpenAiApi.ofResponseObject(object);
    return fromObject != null ? fromObject : OpenAiApi.BATCH_OUTPUT;
  }

  @Override
  int retainedBytes() {
    return scanner.retainedBytes();
  }
}
