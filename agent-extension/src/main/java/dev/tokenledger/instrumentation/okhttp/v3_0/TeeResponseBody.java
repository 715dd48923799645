package dev.tokenledger.instrumentation.okhttp.v3_0;

import dev.tokenledger.agent.OpenAiCall;
import okhttp3.MediaType;
import okhttp3.ResponseBody;
import okio.BufferedSource;
import okio.Okio;

/**
 * The response body the application receives: the same bytes, read when the application reads
 * them, copied on the way into the {@link OpenAiCall}. Nothing is read ahead.
 */
final class TeeResponseBody extends ResponseBody {

  private final ResponseBody delegate;
  private final OpenAiCall call;
  private BufferedSource source;

  TeeResponseBody(ResponseBody delegate, OpenAiCall call) {
    this.delegate = delegate;
    this.call = call;
  }

  @Override
  public MediaType contentType() {
    return delegate.contentType();
  }

  @Override
  public long contentLength() {
    return delegate.contentLength();
  }

  @Override
  public synchronized BufferedSource source() {
    if (source == null) {
      source = Okio.buffer(new TeeSource(delegate.source(), call));
    }
    return source;
  }
}
