package dev.tokenledger.agent;

/**
 * Instrumenters writing to {@link TestTelemetry}'s SDK with other hosts than the default ones: for
 * tests whose real clients call the simulator on 127.0.0.1.
 */
public final class Instrumenters {

  /** Hosts configured as OpenAI, as {@code otel.instrumentation.tokenledger.hosts} gives them. */
  public static OpenAiInstrumenter forHosts(String hosts) {
    return OpenAiInstrumenter.create(TestTelemetry.SDK, new TokenLedgerConfig(hosts, "", true, true));
  }

  private Instrumenters() {}
}
