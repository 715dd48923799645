package dev.tokenledger.instrumentation.apachehttpclient.v5_0;

import org.apache.hc.core5.concurrent.FutureCallback;

/**
 * The callback of the future the async client returns (the application's, or none): a failure or a
 * cancel that never reached the response consumer (the client can fail the future first, or alone)
 * still ends the call. Completion ends nothing: a streaming consumer completes the future with the
 * response head, before its body. The call ends before the application's callback runs, which may
 * be what the application waits on before it exits.
 */
final class EndingFutureCallback<T> implements FutureCallback<T> {

  private final FutureCallback<T> delegate;
  private final AsyncExchange exchange;

  EndingFutureCallback(FutureCallback<T> delegate, AsyncExchange exchange) {
    this.delegate = delegate;
    this.exchange = exchange;
  }

  @Override
  public void completed(T result) {
    if (delegate != null) {
      delegate.completed(result);
    }
  }

  @Override
  public void failed(Exception ex) {
    exchange.fail(ex);
    if (delegate != null) {
      delegate.failed(ex);
    }
  }

  @Override
  public void cancelled() {
    exchange.abandon();
    if (delegate != null) {
      delegate.cancelled();
    }
  }
}
