package dev.tokenledger.instrumentation.okhttp.v3_0;

import dev.tokenledger.agent.ByteSinkOutputStream;
import dev.tokenledger.usage.RequestInfo;
import java.io.IOException;
import java.io.OutputStream;
import okhttp3.MediaType;
import okhttp3.RequestBody;
import okio.Buffer;
import okio.BufferedSink;
import okio.ForwardingSink;
import okio.Okio;

/**
 * A request body that shows its bytes to the request scanner as OkHttp writes them to the network:
 * for one-shot and large bodies, which must not (or need not) be written a second time. Only the
 * first write is scanned; a retry writes the same bytes again.
 */
final class TeeRequestBody extends RequestBody {

  private final RequestBody delegate;
  private final RequestInfo.Scanner scanner;
  private boolean scanned;

  TeeRequestBody(RequestBody delegate, RequestInfo.Scanner scanner) {
    this.delegate = delegate;
    this.scanner = scanner;
  }

  @Override
  public MediaType contentType() {
    return delegate.contentType();
  }

  @Override
  public long contentLength() throws IOException {
    return delegate.contentLength();
  }

  @Override
  public boolean isOneShot() {
    return delegate.isOneShot();
  }

  @Override
  public boolean isDuplex() {
    return delegate.isDuplex();
  }

  @Override
  public void writeTo(BufferedSink sink) throws IOException {
    synchronized (this) {
      if (scanned) {
        delegate.writeTo(sink);
        return;
      }
      scanned = true;
    }
    BufferedSink tee = Okio.buffer(new ScanningSink(sink, scanner));
    delegate.writeTo(tee);
    tee.emit();
  }

  /** Passes every write on to the network sink, showing it to the scanner first (no copy). */
  static final class ScanningSink extends ForwardingSink {
    private final OutputStream scan;

    ScanningSink(BufferedSink network, final RequestInfo.Scanner scanner) {
      super(network);
      this.scan = new ByteSinkOutputStream(null, scanner);
    }

    @Override
    public void write(Buffer source, long byteCount) throws IOException {
      source.copyTo(scan, 0, byteCount);
      super.write(source, byteCount);
    }
  }
}
