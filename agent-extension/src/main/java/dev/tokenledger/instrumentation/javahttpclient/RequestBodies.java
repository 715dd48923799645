package dev.tokenledger.instrumentation.javahttpclient;

import dev.tokenledger.agent.OpenAiCall;
import dev.tokenledger.usage.RateLimitedLog;
import dev.tokenledger.usage.RequestInfo;
import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.util.concurrent.Flow;

/**
 * What a request body says, read without side effects. The in-memory publishers behind
 * {@code BodyPublishers.ofString} and {@code ofByteArray}, which hand the same bytes to every
 * subscriber, synchronously, are copied up front ({@link #copyOf}). Every other body (streams,
 * files, large arrays, Spring's and other custom publishers) is read as the client sends it: the
 * request is sent with a {@link ScanningBodyPublisher} around the application's ({@link #scanned}).
 */
final class RequestBodies {

  private static final String BYTE_ARRAY_PUBLISHER = "jdk.internal.net.http.RequestPublishers$ByteArrayPublisher";
  private static final String STRING_PUBLISHER = "jdk.internal.net.http.RequestPublishers$StringPublisher";

  static final class Copy {
    final byte[] bytes;
    final int length;

    Copy(byte[] bytes, int length) {
      this.bytes = bytes;
      this.length = length;
    }
  }

  static Copy copyOf(HttpRequest request) {
    HttpRequest.BodyPublisher publisher = request.bodyPublisher().orElse(null);
    if (publisher == null) {
      return null;
    }
    String type = publisher.getClass().getName();
    if (!BYTE_ARRAY_PUBLISHER.equals(type) && !STRING_PUBLISHER.equals(type)) {
      return null;
    }
    long length = publisher.contentLength();
    if (length < 0 || length > RequestInfo.MAX_REQUEST_BYTES) {
      return null;
    }
    Collector collector = new Collector((int) length);
    publisher.subscribe(collector);
    return collector.complete ? new Copy(collector.bytes, collector.position) : null;
  }

  /**
   * The request to send in the application's place: the same request with its body read as the
   * client sends it, or the application's own request when it has no body to read or cannot be
   * copied (the record then lacks only what the request alone says).
   */
  static HttpRequest scanned(HttpRequest request, OpenAiCall call) {
    try {
      HttpRequest.BodyPublisher publisher = request.bodyPublisher().orElse(null);
      if (publisher instanceof ScanningBodyPublisher) {
        // A request sent before and sent again (a response's request() holds our publisher): read
        // the application's publisher for this call.
        publisher = ((ScanningBodyPublisher) publisher).delegate();
      }
      if (publisher == null || publisher.contentLength() == 0) {
        return request;
      }
      String contentType = request.headers().firstValue("Content-Type").orElse(null);
      return RequestCopy.withPublisher(request, new ScanningBodyPublisher(publisher, call, contentType));
    } catch (Throwable t) {
      RateLimitedLog.warn("java-http-client", "TokenLedger could not copy a java.net.http request to read its body: " + t);
      return request;
    }
  }

  /** Collects the synchronous delivery of an in-memory publisher. */
  static final class Collector implements Flow.Subscriber<ByteBuffer> {
    final byte[] bytes;
    int position;
    boolean complete;

    Collector(int length) {
      this.bytes = new byte[length];
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      subscription.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(ByteBuffer item) {
      int count = Math.min(item.remaining(), bytes.length - position);
      item.duplicate().get(bytes, position, count);
      position += count;
    }

    @Override
    public void onError(Throwable throwable) {
      complete = false;
    }

    @Override
    public void onComplete() {
      complete = true;
    }
  }

  private RequestBodies() {}
}
