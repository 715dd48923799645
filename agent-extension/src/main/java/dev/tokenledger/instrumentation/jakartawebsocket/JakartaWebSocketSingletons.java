package dev.tokenledger.instrumentation.jakartawebsocket;

import dev.tokenledger.agent.OpenAiInstrumenter;
import io.opentelemetry.api.GlobalOpenTelemetry;

/**
 * The one {@link OpenAiInstrumenter} of Jakarta WebSocket clients, built when the first instrumented
 * call needs it (the agent has installed its SDK by then) and passed down from there.
 */
public final class JakartaWebSocketSingletons {

  private static final OpenAiInstrumenter INSTRUMENTER = OpenAiInstrumenter.create(GlobalOpenTelemetry.get());

  public static OpenAiInstrumenter instrumenter() {
    return INSTRUMENTER;
  }

  private JakartaWebSocketSingletons() {}
}
