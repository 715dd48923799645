package dev.tokenledger.instrumentation.okhttp.v3_0;

import dev.tokenledger.agent.OpenAiCall;
import dev.tokenledger.agent.OpenAiInstrumenter;
import dev.tokenledger.usage.RateLimitedLog;
import io.opentelemetry.context.Scope;
import java.io.IOException;
import java.util.Iterator;
import java.util.List;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * The OkHttp side of an {@link OpenAiCall}: starts it, lets the rest of the chain (and the
 * upstream agent's HTTP span) run inside it, and hands back the response with a body that copies
 * every byte the application reads into the call. The application's own exceptions pass through
 * unchanged; ours never reach it.
 */
public final class TokenLedgerInterceptor implements Interceptor {

  /** Lazily, on the first client built: its instrumenter needs the agent's SDK. */
  private static final class Shared {
    static final TokenLedgerInterceptor INSTANCE = new TokenLedgerInterceptor(OkHttpSingletons.instrumenter());
  }

  private final OpenAiInstrumenter instrumenter;

  TokenLedgerInterceptor(OpenAiInstrumenter instrumenter) {
    this.instrumenter = instrumenter;
  }

  /** Puts exactly one TokenLedger interceptor first in the list. */
  public static void install(List<Interceptor> interceptors) {
    for (Iterator<Interceptor> it = interceptors.iterator(); it.hasNext(); ) {
      if (it.next() instanceof TokenLedgerInterceptor) {
        it.remove();
      }
    }
    interceptors.add(0, Shared.INSTANCE);
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    Started started = start(request);
    if (started == null) {
      return chain.proceed(request);
    }
    OpenAiCall call = started.call;
    Response response;
    try (Scope ignored = call.makeCurrent()) {
      response = chain.proceed(started.request);
    } catch (IOException | RuntimeException | Error e) {
      call.endWithError(e);
      throw e;
    }
    return withTeeBody(call, response);
  }

  /** The call, and the request to send: the application's, or one whose body feeds the call. */
  private static final class Started {
    final OpenAiCall call;
    final Request request;

    Started(OpenAiCall call, Request request) {
      this.call = call;
      this.request = request;
    }
  }

  private Started start(Request request) {
    try {
      HttpUrl url = request.url();
      RequestBody requestBody = request.body();
      MediaType mediaType = requestBody == null ? null : requestBody.contentType();
      String contentType = mediaType == null ? null : mediaType.toString();
      OpenAiCall call =
          instrumenter.startCall(
              request.method(),
              url.host(),
              url.port(),
              url.encodedPath(),
              url.encodedQuery(),
              new OkHttpHeaders(request.headers()),
              null,
              0,
              contentType);
      if (call == null) {
        return null;
      }
      if (requestBody != null && !requestBody.isDuplex()) {
        // Read as OkHttp writes it and never written by us: a body over a stream has nothing left
        // for a second write, whether or not it says it is one-shot.
        TeeRequestBody tee = new TeeRequestBody(requestBody, call, contentType);
        request = request.newBuilder().method(request.method(), tee).build();
      }
      return new Started(call, request);
    } catch (Throwable t) {
      RateLimitedLog.warn("okhttp", "TokenLedger could not inspect an OkHttp request: " + t);
      return null;
    }
  }

  private static Response withTeeBody(OpenAiCall call, Response response) {
    try {
      // This interceptor runs first: keys and projects the application's interceptors add are only
      // on the request that was sent.
      call.onRequestSent(OkHttpHeaders.sentFor(response));
      call.onResponse(response.code(), new OkHttpHeaders(response.headers()));
      ResponseBody body = response.body();
      if (body == null) {
        call.end(true);
        return response;
      }
      return response.newBuilder().body(new TeeResponseBody(body, call)).build();
    } catch (Throwable t) {
      RateLimitedLog.warn("okhttp", "TokenLedger could not observe an OkHttp response: " + t);
      call.end(false);
      return response;
    }
  }
}
