package dev.tokenledger.instrumentation.netty.v4_1;

import io.netty.buffer.ByteBuf;

/**
 * The text of one WebSocket message's frames, frame by frame, as {@link Utf8Text} views: a character
 * whose bytes a frame ends in the middle of is left out of that frame's text and put at the start of
 * the next one's (the at most 3 bytes are the only thing copied).
 */
final class Utf8Frames {

  private final byte[] carry = new byte[3];
  private int carryLength;
  private final byte[] pending = new byte[3];
  private int pendingLength;

  /**
   * The text of the message's next frame ({@code first}: a message starts; {@code last}: it ends).
   * Valid until the next call, while the frame is.
   */
  Utf8Text next(ByteBuf content, boolean first, boolean last) {
    if (first) {
      carryLength = 0;
    } else {
      System.arraycopy(pending, 0, carry, 0, pendingLength);
      carryLength = pendingLength;
    }
    pendingLength = 0;
    int from = content.readerIndex();
    int to = content.writerIndex();
    int tail = last ? 0 : Utf8Text.incompleteTail(carry, carryLength, content, from, to);
    int textBytes = carryLength + (to - from) - tail;
    for (int i = 0; i < tail; i++) {
      int at = textBytes + i;
      pending[i] = at < carryLength ? carry[at] : content.getByte(from + at - carryLength);
    }
    pendingLength = tail;
    return new Utf8Text(carry, carryLength, content, from, textBytes);
  }
}
