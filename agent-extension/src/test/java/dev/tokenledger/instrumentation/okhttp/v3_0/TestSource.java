package dev.tokenledger.instrumentation.okhttp.v3_0;

import java.io.IOException;
import okio.Buffer;
import okio.Source;
import okio.Timeout;

/**
 * A response body source as OkHttp's network layer is one: it delivers its bytes in uneven reads
 * (sizes cycling through {@code chunkSizes}), can fail at a position or on close, and tells whether
 * it was closed.
 */
final class TestSource implements Source {

  private final byte[] data;
  private final int[] chunkSizes;
  private final Timeout timeout = new Timeout();
  private int chunk;
  private int position;
  private int failAt = -1;
  private Exception failure;
  private IOException closeFailure;
  int closes;

  TestSource(byte[] data, int... chunkSizes) {
    this.data = data;
    this.chunkSizes = chunkSizes.length == 0 ? new int[] {Integer.MAX_VALUE} : chunkSizes;
  }

  TestSource failingAt(int at, Exception failure) {
    this.failAt = at;
    this.failure = failure;
    return this;
  }

  TestSource failingOnClose(IOException failure) {
    this.closeFailure = failure;
    return this;
  }

  int position() {
    return position;
  }

  @Override
  public long read(Buffer sink, long byteCount) throws IOException {
    if (byteCount < 0) {
      throw new IllegalArgumentException("byteCount < 0: " + byteCount);
    }
    if (failure != null && position >= failAt) {
      if (failure instanceof IOException) {
        throw (IOException) failure;
      }
      throw (RuntimeException) failure;
    }
    if (position >= data.length) {
      return -1;
    }
    if (byteCount == 0) {
      return 0;
    }
    long n = Math.min(byteCount, Math.min(data.length - position, chunkSizes[chunk++ % chunkSizes.length]));
    if (failAt > position) {
      n = Math.min(n, failAt - position);
    }
    sink.write(data, position, (int) n);
    position += (int) n;
    return n;
  }

  @Override
  public Timeout timeout() {
    return timeout;
  }

  @Override
  public void close() throws IOException {
    closes++;
    if (closeFailure != null) {
      throw closeFailure;
    }
  }
}
