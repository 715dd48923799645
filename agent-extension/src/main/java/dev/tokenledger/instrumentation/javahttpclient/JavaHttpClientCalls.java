package dev.tokenledger.instrumentation.javahttpclient;

import dev.tokenledger.agent.OpenAiCall;
import dev.tokenledger.usage.RateLimitedLog;
import io.opentelemetry.context.Scope;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;

/**
 * What the advice on {@code HttpClientImpl.send/sendAsync} does, kept out of the advice so it can
 * be read and tested as plain code. The advice state is {@code {request, handler, scope}}: the
 * request and handler Byte Buddy passes on in the application's place (ours or the application's
 * own; an array, so that a suppressed failure, which returns null, replaces nothing), and the
 * {@link CallScope} of a tracked call.
 */
public final class JavaHttpClientCalls {

  /** A tracked call and the context scope it runs in until {@code send} returns. */
  static final class CallScope {
    final OpenAiCall call;
    private final Scope scope;

    CallScope(OpenAiCall call) {
      this.call = call;
      this.scope = call.makeCurrent();
    }

    /** The scope of an advice state, or null when the call is not tracked. */
    static CallScope of(Object[] state) {
      return state != null && state.length > 2 && state[2] instanceof CallScope ? (CallScope) state[2] : null;
    }

    void close() {
      try {
        scope.close();
      } catch (Throwable t) {
        RateLimitedLog.warn("java-http-client", "TokenLedger could not close a context scope: " + t);
      }
    }
  }

  public static Object[] onSend(HttpRequest request, HttpResponse.BodyHandler<?> handler) {
    if (request == null || handler == null || handler instanceof TeeBodyHandler) {
      // Either nothing to wrap, or an outer overload already did.
      return new Object[] {request, handler, null};
    }
    RequestBodies.Copy body;
    try {
      body = RequestBodies.copyOf(request);
    } catch (Throwable t) {
      RateLimitedLog.warn("java-http-client", "TokenLedger could not inspect a java.net.http request: " + t);
      return new Object[] {request, handler, null};
    }
    OpenAiCall call = start(request, body);
    if (call == null) {
      return new Object[] {request, handler, null};
    }
    // A body not copied up front is read as the client sends it.
    HttpRequest toSend = body == null ? RequestBodies.scanned(request, call) : request;
    return new Object[] {toSend, new TeeBodyHandler<Object>(cast(handler), call), new CallScope(call)};
  }

  public static void onSendReturned(Object[] state, Throwable thrown) {
    CallScope scope = CallScope.of(state);
    if (scope == null) {
      return;
    }
    scope.close();
    if (thrown != null) {
      // Failed before a response, or mid-body (then the subscriber has ended the call already).
      scope.call.endWithError(thrown);
    }
  }

  public static void onSendAsyncReturned(Object[] state, CompletableFuture<?> future, Throwable thrown) {
    CallScope scope = CallScope.of(state);
    if (scope == null) {
      return;
    }
    scope.close();
    if (thrown != null) {
      scope.call.endWithError(thrown);
    } else if (future != null) {
      future.whenComplete(new EndOnFailure(scope.call));
    }
  }

  private static OpenAiCall start(HttpRequest request, RequestBodies.Copy body) {
    try {
      URI uri = request.uri();
      return JavaHttpClientSingletons.instrumenter().startCall(
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
        // The future wraps what failed; the call records the transport's own exception, as send() does.
        Throwable cause = error;
        while ((cause instanceof java.util.concurrent.CompletionException
                || cause instanceof java.util.concurrent.ExecutionException)
            && cause.getCause() != null) {
          cause = cause.getCause();
        }
        call.endWithError(cause);
      }
    }
  }

  private JavaHttpClientCalls() {}
}
