package dev.tokenledger.usage;

/** How the reading of one body ended: what a reader needs to say why usage is missing. */
final class BodyEnd {

  /**
   * Decoded bytes examined per body (1 GiB). Beyond it bytes are ignored: a body that large has long
   * since delivered its usage or is not an OpenAI response; it also bounds the work a compression
   * bomb can cause.
   */
  static final long MAX_BODY_BYTES = 1L << 30;

  /** The body was read to its end (false: closed early, or the transport failed). */
  final boolean reachedEnd;
  /** Why the content encoding could not be undone, or null. */
  final String decodeError;
  /** Our own failure while reading (a class name), or null. */
  final String internalError;
  /** More than {@link #MAX_BODY_BYTES} arrived; the rest was not read. */
  final boolean overCap;

  BodyEnd(boolean reachedEnd, String decodeError, String internalError, boolean overCap) {
    this.reachedEnd = reachedEnd;
    this.decodeError = decodeError;
    this.internalError = internalError;
    this.overCap = overCap;
  }

  /** Our failure or the decoder's, as a diagnostic; null when neither happened. */
  String failure() {
    if (internalError != null) {
      return "internal error (" + internalError + ")";
    }
    return decodeError;
  }
}
