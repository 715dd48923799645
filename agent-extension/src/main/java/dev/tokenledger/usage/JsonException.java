package dev.tokenledger.usage;

/** Malformed or over-deep JSON. Unchecked: every caller in this package catches it. */
public final class JsonException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final long offset;

  public JsonException(String message, long offset) {
    super(message + " at offset " + offset);
    this.offset = offset;
  }

  /** Offset (chars for {@link Json#parse(String)}, bytes for streamed input) of the problem. */
  public long offset() {
    return offset;
  }

  @Override
  public synchronized Throwable fillInStackTrace() {
    // Thrown for expected, untrusted input on hot paths; a stack trace would cost more than the parse.
    return this;
  }
}
