package dev.tokenledger.instrumentation.apachehttpclient.v5_0;

import dev.tokenledger.agent.OpenAiCall;
import dev.tokenledger.usage.RateLimitedLog;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import org.apache.hc.client5.http.async.methods.SimpleRequestProducer;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.EntityDetails;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.nio.AsyncRequestProducer;
import org.apache.hc.core5.http.nio.AsyncResponseConsumer;
import org.apache.hc.core5.http.nio.RequestChannel;
import org.apache.hc.core5.http.nio.support.BasicRequestProducer;
import org.apache.hc.core5.http.protocol.HttpContext;

/**
 * What the advice on the async client's {@code execute} does, kept out of the advice so it can be
 * read and tested as plain code. Every public {@code execute} reaches one of the two instrumented
 * ones exactly once (the others delegate to them, and they to {@code doExecute}).
 *
 * <p>The advice state is {@code {producer, consumer, callback, started}}: what Byte Buddy passes on
 * in the application's place (ours or the application's own), and the {@link Started} call when one
 * runs in this execution's scope. The library's own producers ({@code SimpleHttpRequest}s,
 * {@code AsyncRequestBuilder}, Spring's connector) show their request head without side effects, so
 * the call starts here and its context is current while the client (and the upstream agent's
 * advice, inside ours) starts the HTTP exchange: the HTTP client span is the GenAI span's child. A
 * producer of any other kind shows its request only when the client asks for it, and the call
 * starts then, on an I/O thread, under the context captured here.
 */
public final class AsyncHttpClientCalls {

  /** A call that started up front, with the scope its context is current in until execute returns. */
  public static final class Started {
    final AsyncExchange exchange;
    final Scope scope;

    Started(AsyncExchange exchange, Scope scope) {
      this.exchange = exchange;
      this.scope = scope;
    }
  }

  public static Object[] onExecute(
      HttpHost target,
      AsyncRequestProducer producer,
      AsyncResponseConsumer<?> consumer,
      HttpContext context,
      FutureCallback<?> callback) {
    Object[] state = {producer, consumer, callback, null};
    if (producer == null || consumer == null || producer instanceof ScanningRequestProducer) {
      return state;
    }
    try {
      RequestHead head = RequestHead.of(producer, context);
      AsyncExchange exchange;
      Scope scope = null;
      if (head != null) {
        OpenAiCall call =
            ApacheRequests.startCall(target, head.request, null, head.entity == null ? null : head.entity.getContentType());
        if (call == null) {
          return state;
        }
        exchange = new AsyncExchange(call, head.entity == null ? null : head.entity.getContentType(), head.entity != null);
        scope = call.makeCurrent();
      } else {
        exchange = new AsyncExchange(target, Context.current());
      }
      state[0] = new ScanningRequestProducer(producer, exchange);
      state[1] = tee(consumer, exchange);
      state[2] = ending(callback, exchange);
      state[3] = scope == null ? null : new Started(exchange, scope);
      return state;
    } catch (Throwable t) {
      RateLimitedLog.warn("apache-httpclient", "TokenLedger could not inspect an Apache HttpClient request: " + t);
      return new Object[] {producer, consumer, callback, null};
    }
  }

  /** Exit of {@code execute}: the exchange goes on in the client; a throw means it never started. */
  public static void onExit(Object[] state, Throwable thrown) {
    if (state == null || state.length < 4 || !(state[3] instanceof Started)) {
      return;
    }
    Started started = (Started) state[3];
    try {
      started.scope.close();
    } catch (Throwable t) {
      RateLimitedLog.warn("apache-httpclient", "TokenLedger could not close a context scope: " + t);
    }
    if (thrown != null) {
      started.exchange.fail(thrown);
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static AsyncResponseConsumer<?> tee(AsyncResponseConsumer<?> consumer, AsyncExchange exchange) {
    return new TeeResponseConsumer(consumer, exchange);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static FutureCallback<?> ending(FutureCallback<?> callback, AsyncExchange exchange) {
    return new EndingFutureCallback(callback, exchange);
  }

  /** The request head of a producer that hands it over without side effects, read before the client does. */
  static final class RequestHead implements RequestChannel {
    HttpRequest request;
    EntityDetails entity;

    static RequestHead of(AsyncRequestProducer producer, HttpContext context) throws Exception {
      Class<?> type = producer.getClass();
      // Only these exact classes: their sendRequest just passes on the head they hold.
      if (type != BasicRequestProducer.class && type != SimpleRequestProducer.class) {
        return null;
      }
      RequestHead head = new RequestHead();
      producer.sendRequest(head, context);
      return head.request == null ? null : head;
    }

    @Override
    public void sendRequest(HttpRequest request, EntityDetails entityDetails, HttpContext context) {
      this.request = request;
      this.entity = entityDetails;
    }
  }

  private AsyncHttpClientCalls() {}
}
