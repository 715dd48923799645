package dev.tokenledger.instrumentation.apachehttpclient.v5_0;

import dev.tokenledger.usage.RateLimitedLog;
import dev.tokenledger.usage.RequestInfo;
import java.io.IOException;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.hc.core5.http.EntityDetails;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.nio.AsyncRequestProducer;
import org.apache.hc.core5.http.nio.DataStreamChannel;
import org.apache.hc.core5.http.nio.RequestChannel;
import org.apache.hc.core5.http.protocol.HttpContext;

/**
 * The application's request producer as the async client sees it: the request head goes to the
 * exchange (which starts the call then, if it could not start up front), and the body bytes the
 * client takes from the producer are shown to the request scanner as they are written, once.
 * Everything else is the application's producer's own.
 */
final class ScanningRequestProducer implements AsyncRequestProducer {

  private final AsyncRequestProducer delegate;
  private final AsyncExchange exchange;
  /** The client's channel last seen and our view of it: one wrapper per channel, not per write. */
  private DataStreamChannel channel;
  private ScanningChannel scanningChannel;

  ScanningRequestProducer(AsyncRequestProducer delegate, AsyncExchange exchange) {
    this.delegate = delegate;
    this.exchange = exchange;
  }

  @Override
  public void sendRequest(final RequestChannel channel, HttpContext context) throws HttpException, IOException {
    delegate.sendRequest(
        new RequestChannel() {
          @Override
          public void sendRequest(HttpRequest request, EntityDetails entityDetails, HttpContext httpContext)
              throws HttpException, IOException {
            exchange.onRequest(request, entityDetails);
            channel.sendRequest(request, entityDetails, httpContext);
          }
        },
        context);
  }

  @Override
  public void produce(DataStreamChannel channel) throws IOException {
    RequestInfo.Scanner scanner = exchange.requestScanner();
    if (scanner == null || channel == null) {
      delegate.produce(channel);
      return;
    }
    if (channel != this.channel) {
      this.channel = channel;
      this.scanningChannel = new ScanningChannel(channel, scanner, exchange);
    }
    delegate.produce(scanningChannel);
  }

  @Override
  public int available() {
    return delegate.available();
  }

  @Override
  public boolean isRepeatable() {
    return delegate.isRepeatable();
  }

  @Override
  public void failed(Exception cause) {
    delegate.failed(cause);
  }

  @Override
  public void releaseResources() {
    delegate.releaseResources();
  }

  /** The client's data channel; what the client accepts of each write is shown to the scanner. */
  static final class ScanningChannel implements DataStreamChannel {
    private final DataStreamChannel delegate;
    private final RequestInfo.Scanner scanner;
    private final AsyncExchange exchange;

    ScanningChannel(DataStreamChannel delegate, RequestInfo.Scanner scanner, AsyncExchange exchange) {
      this.delegate = delegate;
      this.scanner = scanner;
      this.exchange = exchange;
    }

    @Override
    public void requestOutput() {
      delegate.requestOutput();
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
      ByteBuffer before = src == null ? null : src.duplicate();
      int written = delegate.write(src);
      if (before != null && written > 0) {
        try {
          // Through Buffer: ByteBuffer.limit(int) returns ByteBuffer only from Java 9 on.
          ((Buffer) before).limit(before.position() + written);
          scanner.onBytes(before);
        } catch (Throwable t) {
          RateLimitedLog.warn("apache-httpclient", "TokenLedger could not read a request body: " + t);
        }
      }
      return written;
    }

    @Override
    public void endStream() throws IOException {
      exchange.requestBodySent();
      delegate.endStream();
    }

    @Override
    public void endStream(List<? extends Header> trailers) throws IOException {
      exchange.requestBodySent();
      delegate.endStream(trailers);
    }
  }
}
