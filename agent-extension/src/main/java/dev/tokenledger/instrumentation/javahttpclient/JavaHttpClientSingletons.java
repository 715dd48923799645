package dev.tokenledger.instrumentation.javahttpclient;

import dev.tokenledger.agent.OpenAiInstrumenter;
import io.opentelemetry.api.GlobalOpenTelemetry;

/**
 * The one {@link OpenAiInstrumenter} of the JDK's java.net.http client and WebSocket, built when the first instrumented
 * call needs it (the agent has installed its SDK by then) and passed down from there.
 */
public final class JavaHttpClientSingletons {

  private static final OpenAiInstrumenter INSTRUMENTER = OpenAiInstrumenter.create(GlobalOpenTelemetry.get());

  public static OpenAiInstrumenter instrumenter() {
    return INSTRUMENTER;
  }

  private JavaHttpClientSingletons() {}
}
