package dev.tokenledger.instrumentation.apachehttpclient.v5_0;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.EntityDetails;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.nio.AsyncResponseConsumer;
import org.apache.hc.core5.http.nio.CapacityChannel;
import org.apache.hc.core5.http.protocol.HttpContext;

/**
 * The application's response consumer as the async client sees it: the response head and every
 * buffer go to the exchange just before the application's consumer gets them (read through a
 * duplicate, so the buffer the application's consumer receives is untouched), and the call ends when
 * the stream ends (complete), fails, or is let go of early. Flow control is the application's alone.
 *
 * <p>The call ends before the application's consumer hears of the end: that consumer completes the
 * future the application waits on, and an application that then exits (the JVM's shutdown closes the
 * agent's exporters) would lose a record and span still being written on the client's I/O thread.
 */
final class TeeResponseConsumer<T> implements AsyncResponseConsumer<T> {

  private final AsyncResponseConsumer<T> delegate;
  private final AsyncExchange exchange;

  TeeResponseConsumer(AsyncResponseConsumer<T> delegate, AsyncExchange exchange) {
    this.delegate = delegate;
    this.exchange = exchange;
  }

  @Override
  public void consumeResponse(
      HttpResponse response, EntityDetails entityDetails, HttpContext context, FutureCallback<T> resultCallback)
      throws HttpException, IOException {
    exchange.onResponse(response, entityDetails);
    delegate.consumeResponse(response, entityDetails, context, resultCallback);
  }

  @Override
  public void informationResponse(HttpResponse response, HttpContext context) throws HttpException, IOException {
    delegate.informationResponse(response, context);
  }

  @Override
  public void updateCapacity(CapacityChannel capacityChannel) throws IOException {
    delegate.updateCapacity(capacityChannel);
  }

  @Override
  public void consume(ByteBuffer src) throws IOException {
    exchange.onBytes(src);
    delegate.consume(src);
  }

  @Override
  public void streamEnd(List<? extends Header> trailers) throws HttpException, IOException {
    exchange.end(true);
    delegate.streamEnd(trailers);
  }

  @Override
  public void failed(Exception cause) {
    exchange.fail(cause);
    delegate.failed(cause);
  }

  @Override
  public void releaseResources() {
    exchange.abandon();
    delegate.releaseResources();
  }
}
