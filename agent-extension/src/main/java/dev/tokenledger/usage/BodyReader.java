package dev.tokenledger.usage;

/**
 * Reads one decoded response body of one {@link ResponseBodyFormat} and, when it ends, emits its
 * records to {@link BodyRecords}. Bytes arrive as the application reads them, never read ahead.
 */
abstract class BodyReader {

  final BodyRecords records;

  BodyReader(BodyRecords records) {
    this.records = records;
  }

  /** Whether the body's bytes are needed at all (some formats are judged by their head alone). */
  boolean readsBytes() {
    return true;
  }

  /**
   * Whether usage is read from the body (an error body is read for its code only): a body in a
   * content encoding that cannot be undone then makes a {@code missing} record.
   */
  boolean readsUsage() {
    return readsBytes();
  }

  /** Decoded body bytes, in order. */
  void feed(byte[] b, int off, int len) {}

  /** The body is over: emit what it produced. */
  abstract void conclude(BodyEnd end);

  /** Bytes this reader holds in buffers. */
  int retainedBytes() {
    return 0;
  }
}
