package dev.tokenledger.usage;

/** How one response body is read; chosen by {@link OpenAiApi#bodyFormat}. */
enum ResponseBodyFormat {
  /** An error status with a non-JSON body: nothing to read. */
  ERROR,
  /** An error status with a JSON body: read for its error code only. */
  JSON_ERROR,
  /** One JSON document, scanned as it streams. */
  JSON,
  /** Server-sent events, each event's data scanned as a JSON document. */
  EVENT_STREAM,
  /** One JSON document per line (Batch output files). */
  JSON_LINES,
  /** Binary audio (speech): the request's input characters are the billing unit. */
  AUDIO,
  /** Plain text, SRT or VTT (transcriptions): carries no usage. */
  PLAIN_TEXT
}
