package dev.tokenledger.usage;

/**
 * An error response (HTTP ≥ 400): one record with status {@code error}, source {@code none} and
 * zero tokens — a request that counts, with no ledger row. A JSON body is scanned for its error
 * code only. A failed Batch file download is not a model request: it produces nothing.
 */
final class ErrorBodyReader extends BodyReader {

  private final DocCapture doc;
  private final JsonStreamScanner scanner;

  ErrorBodyReader(BodyRecords records, boolean jsonBody) {
    super(records);
    this.doc = jsonBody ? new DocCapture() : null;
    this.scanner = jsonBody ? new JsonStreamScanner(doc) : null;
    if (scanner != null) {
      scanner.reset();
    }
  }

  @Override
  boolean readsBytes() {
    return scanner != null;
  }

  @Override
  boolean readsUsage() {
    return false;
  }

  @Override
  void feed(byte[] b, int off, int len) {
    scanner.feed(b, off, len);
  }

  @Override
  void conclude(BodyEnd end) {
    if (records.api == OpenAiApi.BATCH_OUTPUT) {
      return;
    }
    ResponseUsage.Builder r = records.base();
    r.source = ResponseUsage.SOURCE_NONE;
    r.status = ResponseUsage.STATUS_ERROR;
    StringBuilder diag = new StringBuilder("HTTP ").append(records.httpStatus);
    if (scanner != null) {
      scanner.end();
      String code = doc.top.errorCode != null ? doc.top.errorCode : doc.top.errorType;
      if (code != null) {
        diag.append(' ').append(BodyRecords.shorten(code));
      }
    }
    r.diagnostic = diag.toString();
    records.emit(r.build());
  }

  @Override
  int retainedBytes() {
    return scanner == null ? 0 : scanner.retainedBytes();
  }
}
