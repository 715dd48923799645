package dev.tokenledger.instrumentation.javahttpclient;

import dev.tokenledger.agent.OpenAiCall;
import dev.tokenledger.usage.RateLimitedLog;
import dev.tokenledger.usage.RequestInfo;
import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The application's request body publisher with the call listening in, for bodies that cannot be
 * copied up front (streams, files, Spring's and other custom publishers). The client subscribes to
 * this one; the application's publisher then delivers to a subscriber that shows each buffer to the
 * request scanner, through a duplicate, before passing it on. Length, bytes, buffers, demand and
 * every signal are the application's publisher's own. Only the first subscription is scanned: the
 * client subscribes again to send the same body again (redirect, retry).
 */
final class ScanningBodyPublisher implements HttpRequest.BodyPublisher {

  private final HttpRequest.BodyPublisher delegate;
  private final OpenAiCall call;
  private final String contentType;
  private final AtomicBoolean subscribed = new AtomicBoolean();

  ScanningBodyPublisher(HttpRequest.BodyPublisher delegate, OpenAiCall call, String contentType) {
    this.delegate = delegate;
    this.call = call;
    this.contentType = contentType;
  }

  /** The application's publisher. */
  HttpRequest.BodyPublisher delegate() {
    return delegate;
  }

  @Override
  public long contentLength() {
    return delegate.contentLength();
  }

  @Override
  public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
    Flow.Subscriber<? super ByteBuffer> target = subscriber;
    if (subscriber != null && subscribed.compareAndSet(false, true)) {
      target = scanning(subscriber);
    }
    delegate.subscribe(target);
  }

  private Flow.Subscriber<? super ByteBuffer> scanning(Flow.Subscriber<? super ByteBuffer> subscriber) {
    try {
      // The scanner belongs to the body actually sent: a request that never subscribes has none.
      return new ScanningSubscriber(subscriber, call.scanRequestBody(contentType));
    } catch (Throwable t) {
      RateLimitedLog.warn("java-http-client", "TokenLedger could not read a java.net.http request body: " + t);
      return subscriber;
    }
  }

  /** Shows each buffer to the scanner (position and limit untouched), then hands it on. */
  static final class ScanningSubscriber implements Flow.Subscriber<ByteBuffer> {
    private final Flow.Subscriber<? super ByteBuffer> downstream;
    private final RequestInfo.Scanner scanner;

    ScanningSubscriber(Flow.Subscriber<? super ByteBuffer> downstream, RequestInfo.Scanner scanner) {
      this.downstream = downstream;
      this.scanner = scanner;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      downstream.onSubscribe(subscription);
    }

    @Override
    public void onNext(ByteBuffer item) {
      try {
        scanner.onBytes(item);
      } catch (Throwable ignored) {
        // The scanner never throws; the body must reach the client whatever happens here.
      }
      downstream.onNext(item);
    }

    @Override
    public void onError(Throwable throwable) {
      downstream.onError(throwable);
    }

    @Override
    public void onComplete() {
      downstream.onComplete();
    }
  }
}
