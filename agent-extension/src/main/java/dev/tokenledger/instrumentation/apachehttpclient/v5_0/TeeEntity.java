package dev.tokenledger.instrumentation.apachehttpclient.v5_0;

import dev.tokenledger.agent.ByteSinkOutputStream;
import dev.tokenledger.agent.OpenAiCall;
import dev.tokenledger.agent.TeeInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.io.entity.HttpEntityWrapper;

/** The response entity the application receives: the same content, copied into the call as read. */
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
  public void close() throws IOException {
    try {
      super.close();
    } finally {
      call.end(false);
    }
  }
}
