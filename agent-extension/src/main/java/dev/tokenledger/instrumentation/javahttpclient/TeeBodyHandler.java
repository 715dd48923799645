package dev.tokenledger.instrumentation.javahttpclient;

import dev.tokenledger.agent.OpenAiCall;
import java.net.http.HttpResponse;

/** Wraps the application's handler: same subscriber, same body type, with the call listening in. */
final class TeeBodyHandler<T> implements HttpResponse.BodyHandler<T> {

  private final HttpResponse.BodyHandler<T> delegate;
  private final OpenAiCall call;

  TeeBodyHandler(HttpResponse.BodyHandler<T> delegate, OpenAiCall call) {
    this.delegate = delegate;
    this.call = call;
  }

  @Override
  public HttpResponse.BodySubscriber<T> apply(HttpResponse.ResponseInfo info) {
    HttpResponse.BodySubscriber<T> subscriber = delegate.apply(info);
    try {
      call.onResponse(info.statusCode(), new JavaHttpHeaders(info.headers()));
      return new TeeBodySubscriber<T>(subscriber, call);
    } catch (Throwable t) {
      call.end(false);
      return subscriber;
    }
  }
}
