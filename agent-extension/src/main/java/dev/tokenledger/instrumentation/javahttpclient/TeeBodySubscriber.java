package dev.tokenledger.instrumentation.javahttpclient;

import dev.tokenledger.agent.OpenAiCall;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * Sits between the JDK and the application's subscriber. Each buffer is read through a duplicate
 * before the application's subscriber moves its position; demand is the application's alone (we
 * never call {@code request(n)}). The call ends on completion, on error, or when the application
 * cancels (e.g. closes an {@code InputStream} body early) — each time before the signal is passed on.
 */
final class TeeBodySubscriber<T> implements java.net.http.HttpResponse.BodySubscriber<T> {

  private final java.net.http.HttpResponse.BodySubscriber<T> delegate;
  private final OpenAiCall call;

  TeeBodySubscriber(java.net.http.HttpResponse.BodySubscriber<T> delegate, OpenAiCall call) {
    this.delegate = delegate;
    this.call = call;
  }

  @Override
  public CompletionStage<T> getBody() {
    return delegate.getBody();
  }

  @Override
  public void onSubscribe(Flow.Subscription subscription) {
    delegate.onSubscribe(new EndOnCancel(subscription, call));
  }

  @Override
  public void onNext(List<ByteBuffer> items) {
    try {
      for (int i = 0; i < items.size(); i++) {
        call.onBytes(items.get(i));
      }
    } catch (Throwable ignored) {
      // The call's byte sink never throws; the application's delivery must not depend on it.
    }
    delegate.onNext(items);
  }

  @Override
  public void onError(Throwable throwable) {
    // The call ends (it never throws) before the application hears of the end: an application that
    // exits as soon as its body is complete must not race the record it leaves.
    call.end(false);
    delegate.onError(throwable);
  }

  @Override
  public void onComplete() {
    call.end(true);
    delegate.onComplete();
  }

  /** The application's subscription, telling the call when the application stops reading. */
  static final class EndOnCancel implements Flow.Subscription {
    private final Flow.Subscription delegate;
    private final OpenAiCall call;

    EndOnCancel(Flow.Subscription delegate, OpenAiCall call) {
      this.delegate = delegate;
      this.call = call;
    }

    @Override
    public void request(long n) {
      delegate.request(n);
    }

    @Override
    public void cancel() {
      call.end(false);
      delegate.cancel();
    }
  }
}
