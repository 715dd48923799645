package dev.tokenledger.instrumentation.netty.v4_1;

import dev.tokenledger.realtime.LazyLengthText;
import io.netty.buffer.ByteBuf;

/**
 * The text of one WebSocket frame as chars, decoded from its UTF-8 bytes where they lie: nothing is
 * copied, and only the chars asked for are decoded, front to back (the Realtime reader looks at a
 * message's first few dozen chars and skips the rest of the audio deltas that are most of the
 * traffic). A character split between two frames of a message is carried over: the few bytes that
 * start it are kept from the frame before and prefixed to the next one.
 *
 * <p>{@link #length()} counts UTF-16 units in one pass over the bytes, on first use only: a reader
 * that asks just {@link #lengthAtMost} (the Realtime reader deciding from a message's type) never
 * makes it. Malformed input decodes to U+FFFD, the same number of units {@code length()} counts.
 * The buffer is only read; the view is valid while the frame is (the next handler may release it), so it is used before passing the frame
 * on and then dropped.
 */
final class Utf8Text implements LazyLengthText {

  private static final char REPLACEMENT = '\uFFFD';

  private final ByteBuf buf;
  private final int from;
  private final byte[] carry;
  private final int carryLength;
  /** Bytes of the text: the carried ones, then the frame's. */
  private final int byteLength;
  /** Counted on first use; -1 before. */
  private int length = -1;

  // The decoding cursor: the code point that starts at unit `unit` and byte `at`, its units, and the
  // byte after it.
  private int unit = -1;
  private int at;
  private int next;
  private char first;
  private char second;
  private int units;

  /**
   * The text of the first {@code byteLength} bytes of {@code carry[0, carryLength)} followed by
   * {@code buf[from, …)}; {@code carry} holds the start of a character from the previous frame (0 to
   * 3 bytes).
   */
  Utf8Text(byte[] carry, int carryLength, ByteBuf buf, int from, int byteLength) {
    this.carry = carry;
    this.carryLength = carryLength;
    this.buf = buf;
    this.from = from;
    this.byteLength = byteLength;
  }

  /** UTF-16 units of the bytes from the start, stopping once {@code limit} are counted. */
  private int count(int limit) {
    int count = 0;
    for (int i = 0; i < byteLength && count < limit; i++) {
      int b = byteAt(i);
      if ((b & 0xC0) != 0x80) {
        count += (b & 0xF8) == 0xF0 ? 2 : 1;
      }
    }
    return count;
  }

  /**
   * How many of the last bytes of {@code carry[0, carryLength)} followed by {@code buf[from, to)}
   * start a character that they do not finish (0 to 3): they belong to the next frame's text.
   */
  static int incompleteTail(byte[] carry, int carryLength, ByteBuf buf, int from, int to) {
    int total = carryLength + (to - from);
    for (int back = 1; back <= 3 && back <= total; back++) {
      int i = total - back;
      int b = (i < carryLength ? carry[i] : buf.getByte(from + i - carryLength)) & 0xFF;
      if ((b & 0xC0) == 0x80) {
        continue; // a continuation byte: look further back for its lead
      }
      int needed = (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 1;
      return needed > back ? back : 0;
    }
    return 0;
  }

  private int byteLength() {
    return byteLength;
  }

  private int byteAt(int i) {
    return (i < carryLength ? carry[i] : buf.getByte(from + i - carryLength)) & 0xFF;
  }

  @Override
  public int length() {
    if (length < 0) {
      length = count(Integer.MAX_VALUE);
    }
    return length;
  }

  @Override
  public int lengthAtMost(int limit) {
    return length >= 0 ? Math.min(length, limit) : Math.min(count(limit), limit);
  }

  /** Decodes front to back up to {@code index}; past the last char is out of bounds, as length() counts. */
  @Override
  public char charAt(int index) {
    if (index < 0) {
      throw outOfBounds(index);
    }
    if (unit < 0 || index < unit) {
      unit = 0;
      next = 0;
      skipContinuations();
      if (next >= byteLength) {
        unit = -1;
        throw outOfBounds(index);
      }
      decode();
    }
    while (index >= unit + units) {
      if (next >= byteLength) {
        throw outOfBounds(index);
      }
      unit += units;
      decode();
    }
    return index == unit ? first : second;
  }

  private IndexOutOfBoundsException outOfBounds(int index) {
    return new IndexOutOfBoundsException("index " + index + " of " + length());
  }

  /** Continuation bytes without a lead (only at a broken start) count as nothing, as in length(). */
  private void skipContinuations() {
    int n = byteLength();
    while (next < n && (byteAt(next) & 0xC0) == 0x80) {
      next++;
    }
  }

  /** Decodes the code point at {@code next}: sets first/second/units and moves next past it. */
  private void decode() {
    at = next;
    int lead = byteAt(at);
    int needed;
    int cp;
    if (lead < 0x80) {
      needed = 0;
      cp = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      needed = 1;
      cp = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      needed = 2;
      cp = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      needed = 3;
      cp = lead & 0x07;
    } else {
      needed = -1;
      cp = REPLACEMENT;
    }
    next = at + 1;
    int n = byteLength();
    boolean valid = needed >= 0;
    for (int k = 0; k < needed; k++) {
      if (next >= n || (byteAt(next) & 0xC0) != 0x80) {
        valid = false;
        break;
      }
      cp = (cp << 6) | (byteAt(next) & 0x3F);
      next++;
    }
    skipContinuations();
    if (needed == 3) {
      units = 2;
      if (valid && cp >= 0x10000 && cp <= 0x10FFFF) {
        first = Character.highSurrogate(cp);
        second = Character.lowSurrogate(cp);
      } else {
        first = REPLACEMENT;
        second = REPLACEMENT;
      }
    } else {
      units = 1;
      first = valid ? (char) cp : REPLACEMENT;
    }
  }

  @Override
  public CharSequence subSequence(int start, int end) {
    StringBuilder out = new StringBuilder(end - start);
    for (int i = start; i < end; i++) {
      out.append(charAt(i));
    }
    return out;
  }

  @Override
  public String toString() {
    return subSequence(0, length()).toString();
  }
}
