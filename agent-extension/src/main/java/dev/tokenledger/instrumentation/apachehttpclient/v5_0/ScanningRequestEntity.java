package dev.tokenledger.instrumentation.apachehttpclient.v5_0;

import dev.tokenledger.usage.RequestInfo;
import java.io.FilterOutputStream;
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
    super.writeTo(new ScanningOutputStream(out, scanner));
  }

  /** Passes writes through and shows each chunk to the scanner. */
  static final class ScanningOutputStream extends FilterOutputStream {
    private final RequestInfo.Scanner scanner;

    ScanningOutputStream(OutputStream out, RequestInfo.Scanner scanner) {
      super(out);
      this.scanner = scanner;
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      scanner.onBytes(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
      out.write(bytes, offset, length);
      scanner.onBytes(bytes, offset, length);
    }
  }
}
