package dev.tokenledger.instrumentation.okhttp.v3_0;

import dev.tokenledger.agent.ByteSinkOutputStream;
import dev.tokenledger.agent.OpenAiCall;
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
 * The application's request body as OkHttp gets it for an OpenAI call: it shows its bytes to a
 * request scanner as OkHttp writes them, so the body is never written for us. Each write is
 * scanned afresh and the call reads the last one: when OkHttp sends the body again (a retry after
 * a connection failed part-way, a redirect keeping the body), what the server got is what counts.
 */
final class TeeRequestBody extends RequestBody {

  private final RequestBody delegate;
  private final OpenAiCall call;
  private final String contentType;

  TeeRequestBody(RequestBody delegate, OpenAiCall call, String contentType) {
    this.delegate = delegate;
    this.call = call;
    this.contentType = contentType;
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
    BufferedSink tee = Okio.buffer(new ScanningSink(sink, call.scanRequestBody(contentType)));
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
