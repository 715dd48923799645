package dev.tokenledger.instrumentation.javahttpclient;

import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Flow;

/**
 * The JDK client's side of a response body, played synchronously: an upstream that delivers its
 * items only as the subscriber asks for them (as the client does), and the byte buffers in the
 * shapes the client hands out.
 */
final class Flows {

  /** A response body's upstream: delivers items on demand, on the requesting thread. */
  static final class Upstream implements Flow.Subscription {
    final List<List<ByteBuffer>> items;
    final List<Long> requests = new ArrayList<>();
    final boolean complete;
    Throwable failure;
    Flow.Subscriber<? super List<ByteBuffer>> subscriber;
    long demand;
    int next;
    int cancels;
    boolean delivering;
    boolean done;

    /** {@code complete}: signal completion after the last item (else the body stays open). */
    Upstream(List<List<ByteBuffer>> items, boolean complete) {
      this.items = items;
      this.complete = complete;
    }

    /** Fails the body with {@code failure} after the last item instead of completing it. */
    Upstream failingWith(Throwable failure) {
      this.failure = failure;
      return this;
    }

    void subscribe(Flow.Subscriber<? super List<ByteBuffer>> subscriber) {
      this.subscriber = subscriber;
      subscriber.onSubscribe(this);
      deliver();
    }

    boolean cancelled() {
      return cancels > 0;
    }

    @Override
    public void request(long n) {
      requests.add(n);
      demand = n == Long.MAX_VALUE || demand + n < 0 ? Long.MAX_VALUE : demand + n;
      deliver();
    }

    @Override
    public void cancel() {
      cancels++;
      done = true;
    }

    private void deliver() {
      if (delivering) {
        return;
      }
      delivering = true;
      try {
        while (!done && demand > 0 && next < items.size()) {
          demand--;
          subscriber.onNext(items.get(next++));
        }
        if (!done && next == items.size()) {
          if (failure != null) {
            done = true;
            subscriber.onError(failure);
          } else if (complete) {
            done = true;
            subscriber.onComplete();
          }
        }
      } finally {
        delivering = false;
      }
    }
  }

  /** The shapes of buffer a body can arrive in. */
  enum Shape {
    /** Heap buffers over the body's own array, their position at the chunk's offset in it. */
    HEAP,
    DIRECT,
    READ_ONLY,
    /** Heap buffers that are slices of a larger array, their position past zero. */
    OFFSET
  }

  /**
   * {@code data} cut into lists of buffers: list sizes cycle through {@code perList}, buffer sizes
   * through {@code sizes}.
   */
  static List<List<ByteBuffer>> items(byte[] data, Shape shape, int[] sizes, int perList) {
    List<List<ByteBuffer>> items = new ArrayList<>();
    List<ByteBuffer> list = new ArrayList<>();
    int size = 0;
    for (int at = 0; at < data.length; ) {
      int n = Math.min(sizes[size++ % sizes.length], data.length - at);
      list.add(buffer(data, at, n, shape));
      at += n;
      if (list.size() == perList) {
        items.add(list);
        list = new ArrayList<>();
      }
    }
    if (!list.isEmpty()) {
      items.add(list);
    }
    return items;
  }

  static ByteBuffer buffer(byte[] data, int offset, int length, Shape shape) {
    switch (shape) {
      case DIRECT:
        return ByteBuffer.allocateDirect(length).put(data, offset, length).flip();
      case READ_ONLY:
        return ByteBuffer.wrap(data, offset, length).slice().asReadOnlyBuffer();
      case OFFSET: {
        byte[] larger = new byte[length + 20];
        System.arraycopy(data, offset, larger, 13, length);
        ByteBuffer slice = ByteBuffer.wrap(larger, 3, length + 15).slice();
        slice.position(10).limit(10 + length);
        return slice;
      }
      default:
        return ByteBuffer.wrap(data, offset, length);
    }
  }

  /** A response head, as the client hands it to a body handler. */
  static HttpResponse.ResponseInfo responseInfo(int status, String... headerPairs) {
    Map<String, List<String>> map = new LinkedHashMap<>();
    for (int i = 0; i < headerPairs.length; i += 2) {
      map.computeIfAbsent(headerPairs[i], k -> new ArrayList<>()).add(headerPairs[i + 1]);
    }
    HttpHeaders headers = HttpHeaders.of(map, (name, value) -> true);
    return new HttpResponse.ResponseInfo() {
      @Override
      public int statusCode() {
        return status;
      }

      @Override
      public HttpHeaders headers() {
        return headers;
      }

      @Override
      public HttpClient.Version version() {
        return HttpClient.Version.HTTP_1_1;
      }
    };
  }

  private Flows() {}
}
