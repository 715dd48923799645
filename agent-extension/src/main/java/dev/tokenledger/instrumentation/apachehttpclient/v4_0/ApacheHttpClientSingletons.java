package dev.tokenledger.instrumentation.apachehttpclient.v4_0;

import dev.tokenledger.agent.OpenAiInstrumenter;
import io.opentelemetry.api.GlobalOpenTelemetry;

/**
 * The one {@link OpenAiInstrumenter} of Apache HttpClient 4, built when the first instrumented call
 * needs it (the agent has installed its SDK by then) and passed down from there.
 */
public final class ApacheHttpClientSingletons {

  private static final OpenAiInstrumenter INSTRUMENTER = OpenAiInstrumenter.create(GlobalOpenTelemetry.get());

  public static OpenAiInstrumenter instrumenter() {
    return INSTRUMENTER;
  }

  private ApacheHttpClientSingletons() {}
}
