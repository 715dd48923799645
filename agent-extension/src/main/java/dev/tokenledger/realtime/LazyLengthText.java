package dev.tokenledger.realtime;

/**
 * Text whose {@link #length()} costs a pass over all of it (chars decoded on demand from bytes, as
 * Netty's frames are), with a bounded count for a reader that needs only the first chars: a
 * message whose type does not matter is then skipped without its length ever being counted.
 */
public interface LazyLengthText extends CharSequence {

  /** {@code Math.min(length(), limit)}, counting no further than {@code limit} chars. */
  int lengthAtMost(int limit);
}
