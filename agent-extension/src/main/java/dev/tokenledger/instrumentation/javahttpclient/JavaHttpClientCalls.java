package dev.tokenledger.instrumentation.javahttpclient;

import dev.tokenledger.agent.OpenAiCall;
import dev.tokenledger.usage.RateLimitedLog;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;

/**
 * What the advice on {@code HttpClientImpl.send/sendAsync} does, kept out of the advice so it can
 * be read and tested as plain code. The advice state is {@code {handler, scope, call}}: the handler
 * to pass on (ours or the application's), the scope to close at exit, and the call.
 */
public final class JavaHttpClientCalls {

  public static Object[] onSend(HttpRequest request, HttpResponse.BodyHandler<?> handler) {
    if (handler == null || handler instanceof TeeBodyHandler) {
      // Either nothing to wrap, or an outer overload already did.
      return new Object[] {handler, null, null};
    }
    OpenAiCall call = start(request);
    if (call == null) {
      return new Object[] {handler, null, null};
    }
    return new Object[] {new TeeBodyHandler<Object>(cast(handler), call), call.makeCurrent(), call};
  }

  public static void onSendReturned(Object[] state, Throwable thrown) {
    if (state == null || state[2] == null) {
      return;
    }
    closeScope(state);
    if (thrown != null) {
      // Failed before a response, or mid-body (then the subscriber has ended the call already).
      ((OpenAiCall) state[2]).endWithError(thrown);
    }
  }

  public static void onSendAsyncReturned(Object[] state, CompletableFuture<?> future, Throwable thrown) {
    if (state == null || state[2] == null) {
      return;
    }
    closeScope(state);
    OpenAiCall call = (OpenAiCall) state[2];
    if (thrown != null) {
      call.endWithError(thrown);
    } else if (future != null) {
      future.whenComplete(new EndOnFailure(call));
    }
  }

  private static void closeScope(Object[] state) {
    try {
      if (state[1] != null) {
        ((io.opentelemetry.context.Scope) state[1]).close();
      }
    } catch (Throwable t) {
      RateLimitedLog.warn("java-http-client", "TokenLedger could not close a context scope: " + t);
    }
  }

  private static OpenAiCall start(HttpRequest request) {
    try {
      URI uri = request.uri();
      RequestBodies.Copy body = RequestBodies.copyOf(request);
      return OpenAiCall.start(
          request.method(),
          uri.getHost(),
          uri.getPort(),
          uri.getRawPath(),
          uri.getRawQuery(),
          new JavaHttpHeaders(request.headers()),
          body == null ? null : body.bytes,
          body == null ? 0 : body.length,
          request.headers().firstValue("Content-Type").orElse(null));
    } catch (Throwable t) {
      RateLimitedLog.warn("java-http-client", "TokenLedger could not inspect a java.net.http request: " + t);
      return null;
    }
  }

  @SuppressWarnings("unchecked")
  private static HttpResponse.BodyHandler<Object> cast(HttpResponse.BodyHandler<?> handler) {
    return (HttpResponse.BodyHandler<Object>) handler;
  }

  /** Ends a call whose future failed before any response arrived (connect refused, timeout). */
  static final class EndOnFailure implements BiConsumer<Object, Throwable> {
    private final OpenAiCall call;

    EndOnFailure(OpenAiCall call) {
      this.call = call;
    }

    @Override
    public void accept(Object response, Throwable error) {
      if (error != null) {
        call.endWithError(error);
      }
    }
  }

  private JavaHttpClientCalls() {}
}
