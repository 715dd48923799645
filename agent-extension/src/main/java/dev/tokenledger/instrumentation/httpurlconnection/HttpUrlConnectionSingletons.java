package dev.tokenledger.instrumentation.httpurlconnection;

import dev.tokenledger.agent.OpenAiInstrumenter;
import io.opentelemetry.api.GlobalOpenTelemetry;

/**
 * The one {@link HttpUrlConnectionCalls} of the JDK's {@code HttpURLConnection}, with its
 * {@link OpenAiInstrumenter}, built when the first instrumented connection needs it (the agent has
 * installed its SDK by then).
 */
public final class HttpUrlConnectionSingletons {

  private static final HttpUrlConnectionCalls CALLS =
      new HttpUrlConnectionCalls(OpenAiInstrumenter.create(GlobalOpenTelemetry.get()));

  public static HttpUrlConnectionCalls calls() {
    return CALLS;
  }

  private HttpUrlConnectionSingletons() {}
}
