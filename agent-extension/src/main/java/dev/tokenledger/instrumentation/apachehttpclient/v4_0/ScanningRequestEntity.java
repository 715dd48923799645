package dev.tokenledger.instrumentation.apachehttpclient.v4_0;

import dev.tokenledger.agent.ByteSinkOutputStream;
import dev.tokenledger.usage.RequestInfo;
import java.io.IOException;
import java.io.OutputStream;
import org.apache.http.HttpEntity;
import org.apache.http.entity.HttpEntityWrapper;

/**
 * A request entity that shows its bytes to the request scanner as the client writes them: for
 * streamed and large entities, which must not (or need not) be written a second time. Only the
 * first write is scanned.
 */
final class ScanningRequestEntity extends HttpEntityWrapper {

  private final RequestInfo.Scanner scanner;
  private boolean scanned;

  ScanningRequestEntity(HttpEntity wrapped, RequestInfo.Scanner scanner) {
    super(wrapped);
    this.scanner = scanner;
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
