package dev.tokenledger.agent;

import java.io.IOException;
import java.io.InputStream;

/**
 * A body as a network stream delivers it: in uneven short reads (the sizes cycle through
 * {@code chunkSizes}), optionally failing at a given position or on close, and telling whether it
 * was closed and how often it was read.
 */
public final class TestInputStream extends InputStream {

  private final byte[] data;
  private final int[] chunkSizes;
  private int chunk;
  private int position;
  private int failAt = -1;
  private Exception failure;
  private IOException closeFailure;
  public int closes;
  public int reads;

  public TestInputStream(byte[] data, int... chunkSizes) {
    this.data = data;
    this.chunkSizes = chunkSizes.length == 0 ? new int[] {Integer.MAX_VALUE} : chunkSizes;
  }

  /** Fails the read that reaches {@code at} with {@code failure} (an IOException or RuntimeException). */
  public TestInputStream failingAt(int at, Exception failure) {
    this.failAt = at;
    this.failure = failure;
    return this;
  }

  public TestInputStream failingOnClose(IOException failure) {
    this.closeFailure = failure;
    return this;
  }

  public boolean closed() {
    return closes > 0;
  }

  /** Bytes delivered so far. */
  public int position() {
    return position;
  }

  @Override
  public int read() throws IOException {
    reads++;
    failIfDue();
    return position < data.length ? data[position++] & 0xff : -1;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    reads++;
    java.util.Objects.checkFromIndexSize(off, len, b.length);
    if (len == 0) {
      return 0;
    }
    failIfDue();
    if (position >= data.length) {
      return -1;
    }
    int n = Math.min(len, Math.min(data.length - position, chunkSizes[chunk++ % chunkSizes.length]));
    if (failAt > position) {
      n = Math.min(n, failAt - position);
    }
    System.arraycopy(data, position, b, off, n);
    position += n;
    return n;
  }

  @Override
  public int available() {
    return Math.min(data.length - position, 5);
  }

  @Override
  public void close() throws IOException {
    closes++;
    if (closeFailure != null) {
      throw closeFailure;
    }
  }

  private void failIfDue() throws IOException {
    if (failure != null && position >= failAt) {
      if (failure instanceof IOException) {
        throw (IOException) failure;
      }
      throw (RuntimeException) failure;
    }
  }
}
