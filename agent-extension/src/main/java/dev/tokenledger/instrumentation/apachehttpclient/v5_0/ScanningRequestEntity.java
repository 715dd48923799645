package dev.tokenledger.instrumentation.apachehttpclient.v5_0;

import dev.tokenledger.agent.ByteSinkOutputStream;
import dev.tokenledger.usage.RequestInfo;
import java.io.IOException;
import java.io.OutputStream;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.io.entity.HttpEntityWrapper;

/**
 * A request entity that shows its bytes to the request scanner as the client writes them: for
 * streamed and large entities, which must not (or need not) be written a second time. Only the
 * first write is scanned.
 */
final class ScanningRequestEntity extends HttpEntityWrapper {

  private final HttpEntity wrapped;
  private final RequestInfo.Scanner scanner;
  private boolean scanned;

  ScanningRequestEntity(HttpEntity wrapped, RequestInfo.Scanner scanner) {
    super(wrapped);
    this.wrapped = wrapped;
    this.scanner = scanner;
  }

  /** The application's entity. */
  HttpEntity delegate() {
    return wrapped;
  }

  @Override
  public void writeTo(OutputStream out) throws IOException {
    synchronized (this) {
      if (scanned) {
        super.writeTo(out);
        return;
      }
      scanned = true;
    }
    super.writeTo(new ByteSinkOutputStream(out, scanner));
  }
}
