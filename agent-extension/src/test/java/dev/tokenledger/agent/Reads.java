package dev.tokenledger.agent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.Arrays;

/** Ways an application reads a stream or channel to its end, for the tee tests' reads. */
public final class Reads {

  /** One {@code read()} at a time. */
  public static byte[] byteByByte(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int b; (b = in.read()) != -1; ) {
      out.write(b);
    }
    return out.toByteArray();
  }

  /** Into arrays of {@code size} bytes at an offset, so that a tee ignoring the offset would show. */
  public static byte[] inArrays(InputStream in, int size) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] scratch = new byte[size + 5];
    Arrays.fill(scratch, (byte) '#');
    for (int n; (n = in.read(scratch, 5, size)) != -1; ) {
      out.write(scratch, 5, n);
    }
    return out.toByteArray();
  }

  /** With {@code transferTo}. */
  public static byte[] transferred(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    in.transferTo(out);
    return out.toByteArray();
  }

  /** Through {@code channel} into a heap or direct buffer of {@code capacity} bytes. */
  public static byte[] throughChannel(ReadableByteChannel channel, boolean direct, int capacity) throws IOException {
    ByteBuffer buffer = direct ? ByteBuffer.allocateDirect(capacity) : ByteBuffer.allocate(capacity);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    while (channel.read(buffer) != -1) {
      buffer.flip();
      byte[] chunk = new byte[buffer.remaining()];
      buffer.get(chunk);
      out.write(chunk);
      buffer.clear();
    }
    return out.toByteArray();
  }

  private Reads() {}
}
