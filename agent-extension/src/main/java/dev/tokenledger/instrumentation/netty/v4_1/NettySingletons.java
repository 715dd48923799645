package dev.tokenledger.instrumentation.netty.v4_1;

import dev.tokenledger.agent.OpenAiInstrumenter;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.context.propagation.TextMapPropagator;

/**
 * The one {@link OpenAiInstrumenter} of the Netty clients, and the agent's configured propagators
 * (which read a request's parent span back from its headers), taken when the first client pipeline
 * gets an HTTP codec (the agent has installed its SDK by then).
 */
public final class NettySingletons {

  private static final OpenTelemetry OPEN_TELEMETRY = GlobalOpenTelemetry.get();
  private static final OpenAiInstrumenter INSTRUMENTER = OpenAiInstrumenter.create(OPEN_TELEMETRY);
  private static final TextMapPropagator PROPAGATOR = OPEN_TELEMETRY.getPropagators().getTextMapPropagator();

  public static OpenAiInstrumenter instrumenter() {
    return INSTRUMENTER;
  }

  public static TextMapPropagator propagator() {
    return PROPAGATOR;
  }

  private NettySingletons() {}
}
