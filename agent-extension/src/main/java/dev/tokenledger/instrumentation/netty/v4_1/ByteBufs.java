package dev.tokenledger.instrumentation.netty.v4_1;

import dev.tokenledger.usage.ByteSink;
import io.netty.buffer.ByteBuf;

/**
 * Shows a {@code ByteBuf}'s readable bytes to a sink without touching the buffer: its reader index,
 * writer index and reference count stay as they are, and nothing keeps a reference to it.
 */
final class ByteBufs {

  /** Copy size for buffers without an accessible array (direct, composite). */
  static final int SCRATCH_BYTES = 8 * 1024;

  /** Reads {@code buf}'s readable bytes into {@code sink}; {@code scratch} is used for non-heap buffers. */
  static void show(ByteBuf buf, ByteSink sink, byte[] scratch) {
    int length = buf.readableBytes();
    if (length <= 0) {
      return;
    }
    int index = buf.readerIndex();
    if (buf.hasArray()) {
      sink.onBytes(buf.array(), buf.arrayOffset() + index, length);
      return;
    }
    for (int end = index + length; index < end; ) {
      int n = Math.min(scratch.length, end - index);
      buf.getBytes(index, scratch, 0, n);
      sink.onBytes(scratch, 0, n);
      index += n;
    }
  }

  private ByteBufs() {}
}
