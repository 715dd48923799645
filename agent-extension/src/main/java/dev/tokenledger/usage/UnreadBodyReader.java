package dev.tokenledger.usage;

/**
 * Bodies whose bytes say nothing about usage, judged by the response head and the request alone:
 * binary speech audio (billed by the request's input characters) and plain-text transcriptions
 * (text, SRT, VTT: no usage at all).
 */
final class UnreadBodyReader extends BodyReader {

  private final ResponseBodyFormat format;

  UnreadBodyReader(BodyRecords records, ResponseBodyFormat format) {
    super(records);
    this.format = format;
  }

  @Override
  boolean readsBytes() {
    return false;
  }

  @Override
  void conclude(BodyEnd end) {
    String status = end.reachedEnd ? ResponseUsage.STATUS_COMPLETED : ResponseUsage.STATUS_TRUNCATED;
    RequestInfo request = records.request;
    if (format == ResponseBodyFormat.AUDIO) {
      ResponseUsage.Builder r = records.base();
      r.source = ResponseUsage.SOURCE_COUNTED;
      r.status = status;
      r.usage = TokenUsage.builder().inputCharacters(request.inputCharacters()).build();
      if (!request.parsed()) {
        r.diagnostic = "request not read; input characters unknown";
      }
      records.emit(r.build());
      return;
    }
    records.emit(records.missing(
        "response_format " + (request.responseFormat() == null ? "(plain text)" : request.responseFormat())
            + " carries no usage",
        status));
  }
}
