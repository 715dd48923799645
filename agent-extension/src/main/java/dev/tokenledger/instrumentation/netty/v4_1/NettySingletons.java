package dev.tokenledger.instrumentation.netty.v4_1;

import dev.tokenledger.agent.OpenAiInstrumenter;
import io.opentelemetry.api.GlobalOpenTelemetry;

/**
 * The one {@link OpenAiInstrumenter} of the Netty clients, built when the first client pipeline gets
 * an HTTP codec (the agent has installed its SDK by then).
 */
public final class NettySingletons {

  private static final OpenAiInstrumenter INSTRUMENTER = OpenAiInstrumenter.create(GlobalOpenTelemetry.get());

  public static OpenAiInstrumenter instrumenter() {
    return INSTRUMENTER;
  }

  private NettySingletons() {}
}
