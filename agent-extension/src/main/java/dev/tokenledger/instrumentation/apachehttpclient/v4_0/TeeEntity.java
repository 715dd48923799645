package dev.tokenledger.instrumentation.apachehttpclient.v4_0;

import dev.tokenledger.agent.ByteSinkOutputStream;
import dev.tokenledger.agent.OpenAiCall;
import dev.tokenledger.agent.TeeInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.http.HttpEntity;
import org.apache.http.entity.HttpEntityWrapper;

/**
 * The response entity the application receives: the same content, copied into the call as read.
 * The call ends at the end of the content, or incomplete when the content stream is closed early
 * ({@code EntityUtils.consume}), the content is consumed unread, or the response is closed first.
 */
final class TeeEntity extends HttpEntityWrapper {

  private final OpenAiCall call;

  TeeEntity(HttpEntity wrapped, OpenAiCall call) {
    super(wrapped);
    this.call = call;
  }

  @Override
  public InputStream getContent() throws IOException {
    InputStream content = super.getContent();
    return content == null ? null : new TeeInputStream(content, call);
  }

  @Override
  public void writeTo(OutputStream out) throws IOException {
    try {
      super.writeTo(new ByteSinkOutputStream(out, call));
      call.end(true);
    } catch (IOException | RuntimeException e) {
      call.end(false);
      throw e;
    }
  }

  @Override
  @Deprecated
  public void consumeContent() throws IOException {
    try {
      super.consumeContent();
    } finally {
      call.end(false);
    }
  }

  /** The response was closed: whatever was not read by now never will be. */
  void responseClosed() {
    call.end(false);
  }
}
