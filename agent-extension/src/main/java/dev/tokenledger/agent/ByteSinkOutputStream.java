package dev.tokenledger.agent;

import dev.tokenledger.usage.ByteSink;
import dev.tokenledger.usage.RateLimitedLog;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Shows every byte written to a {@link ByteSink}, and passes it on to the wrapped stream when there
 * is one: the tee between a client's own byte copying (Okio segments, an entity's writeTo) and a
 * call or request scanner, without an extra buffer.
 */
public final class ByteSinkOutputStream extends OutputStream {

  private final OutputStream out;
  private final ByteSink sink;

  /** Writes go to {@code out} (null: nowhere) and are shown to {@code sink}. */
  public ByteSinkOutputStream(OutputStream out, ByteSink sink) {
    this.out = out;
    this.sink = sink;
  }

  @Override
  public void write(int b) throws IOException {
    if (out != null) {
      out.write(b);
    }
    show(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] bytes, int offset, int length) throws IOException {
    if (out != null) {
      out.write(bytes, offset, length);
    }
    show(bytes, offset, length);
  }

  /** The bytes have reached the stream already: nothing of ours may fail the write now. */
  private void show(byte[] bytes, int offset, int length) {
    try {
      sink.onBytes(bytes, offset, length);
    } catch (Throwable t) {
      RateLimitedLog.warn("byte-sink", "TokenLedger could not read bytes written by a client: " + t);
    }
  }

  @Override
  public void flush() throws IOException {
    if (out != null) {
      out.flush();
    }
  }

  /** Closes the wrapped stream, as the writer closing it expects. */
  @Override
  public void close() throws IOException {
    if (out != null) {
      out.close();
    }
  }
}
