package dev.tokenledger.instrumentation.okhttp.v3_0;

import dev.tokenledger.agent.ByteSinkOutputStream;
import dev.tokenledger.agent.OpenAiCall;
import java.io.IOException;
import java.io.OutputStream;
import okio.Buffer;
import okio.ForwardingSource;
import okio.Source;

/**
 * Copies each chunk the application pulls into the call, straight from OkHttp's segments (no extra
 * buffer), and ends the call at end of stream, on close, or on a read failure.
 */
final class TeeSource extends ForwardingSource {

  private final OpenAiCall call;
  private final OutputStream sink;

  TeeSource(Source delegate, final OpenAiCall call) {
    super(delegate);
    this.call = call;
    this.sink = new ByteSinkOutputStream(null, call);
  }

  @Override
  public long read(Buffer buffer, long byteCount) throws IOException {
    long read;
    try {
      read = super.read(buffer, byteCount);
    } catch (IOException | RuntimeException e) {
      call.end(false);
      throw e;
    }
    if (read == -1) {
      call.end(true);
    } else if (read > 0) {
      try {
        buffer.copyTo(sink, buffer.size() - read, read);
      } catch (Throwable ignored) {
        // The copy only feeds the collector, which never throws; the application's read stands.
      }
    }
    return read;
  }

  @Override
  public void close() throws IOException {
    call.end(false);
    super.close();
  }
}
