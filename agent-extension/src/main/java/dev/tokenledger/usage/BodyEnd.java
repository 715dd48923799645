package dev.tokenledger.usage;

/** How the reading of one body ended: what a reader needs to say why usage is missing. */
final class BodyEnd {
  /** The body was read to its end (false: closed early, or the transport failed). */
  final boolean reachedEnd;
  /** Why the content encoding could not be undone, or null. */
  final String decodeError;
  /** Our own failure while reading (a class name), or null. */
  final String internalError;
  /** More than {@link ResponseBodyCollector#MAX_BODY_BYTES} arrived; the rest was not read. */
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
