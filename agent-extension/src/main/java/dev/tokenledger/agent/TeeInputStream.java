package dev.tokenledger.agent;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A response body stream that copies what the application reads into the call, and ends the call
 * at end of stream (complete), on close before that (incomplete), or on a read failure. Skipped
 * bytes are read through so that the usage behind them is not lost.
 */
public final class TeeInputStream extends FilterInputStream {

  private final OpenAiCall call;

  public TeeInputStream(InputStream delegate, OpenAiCall call) {
    super(delegate);
    this.call = call;
  }

  @Override
  public int read() throws IOException {
    int b;
    try {
      b = super.read();
    } catch (IOException | RuntimeException e) {
      call.end(false);
      throw e;
    }
    if (b == -1) {
      call.end(true);
    } else {
      call.onBytes(new byte[] {(byte) b}, 0, 1);
    }
    return b;
  }

  @Override
  public int read(byte[] bytes, int offset, int length) throws IOException {
    int read;
    try {
      read = super.read(bytes, offset, length);
    } catch (IOException | RuntimeException e) {
      call.end(false);
      throw e;
    }
    if (read == -1) {
      call.end(true);
    } else {
      call.onBytes(bytes, offset, read);
    }
    return read;
  }

  @Override
  public long skip(long count) throws IOException {
    byte[] scratch = new byte[(int) Math.min(8192, Math.max(count, 0))];
    long skipped = 0;
    while (skipped < count) {
      int read = read(scratch, 0, (int) Math.min(scratch.length, count - skipped));
      if (read == -1) {
        break;
      }
      skipped += read;
    }
    return skipped;
  }

  @Override
  public boolean markSupported() {
    // A reset would replay bytes the call has already seen.
    return false;
  }

  @Override
  public synchronized void mark(int readLimit) {
    // Not supported (see markSupported): the wrapped stream is not asked either.
  }

  @Override
  public synchronized void reset() throws IOException {
    throw new IOException("mark/reset not supported");
  }

  @Override
  public void close() throws IOException {
    try {
      super.close();
    } finally {
      call.end(false);
    }
  }
}
