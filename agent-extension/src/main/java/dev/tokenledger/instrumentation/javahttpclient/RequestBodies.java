package dev.tokenledger.instrumentation.javahttpclient;

import dev.tokenledger.usage.RequestInfo;
import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.util.concurrent.Flow;

/**
 * Reads a copy of a request body only where that is free of side effects: the in-memory publishers
 * behind {@code BodyPublishers.ofString} and {@code ofByteArray}, which hand the same bytes to
 * every subscriber, synchronously. Streams, files and custom publishers are left alone; the
 * record then lacks only what the request alone says.
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
