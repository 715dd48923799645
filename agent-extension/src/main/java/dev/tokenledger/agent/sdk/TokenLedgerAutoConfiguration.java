package dev.tokenledger.agent.sdk;

import com.google.auto.service.AutoService;
import dev.tokenledger.agent.OpenAiInstrumenter;
import dev.tokenledger.agent.TokenLedgerConfig;
import dev.tokenledger.usage.RateLimitedLog;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.sdk.autoconfigure.spi.AutoConfigurationCustomizer;
import io.opentelemetry.sdk.autoconfigure.spi.AutoConfigurationCustomizerProvider;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.logs.LogRecordProcessor;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Sets the extension's defaults on the agent's SDK, adds the entry-point attribution, gives the
 * ledger its own export queue ({@link LedgerLogRecordProcessor}), and watches for OpenAI calls no
 * transport read. Every default here yields to the user's own setting of the same property.
 */
@AutoService(AutoConfigurationCustomizerProvider.class)
public final class TokenLedgerAutoConfiguration implements AutoConfigurationCustomizerProvider {

  static final String SENSITIVE_QUERY_PARAMETERS =
      "otel.instrumentation.sanitization.url.experimental.sensitive-query-parameters";
  static final String SENSITIVE_QUERY_PARAMETERS_DEFAULT =
      "AWSAccessKeyId,Signature,X-Amz-Signature,X-Amz-Credential,X-Amz-Security-Token,sig,X-Goog-Signature,api-key";
  /** Ledger records dropped in this JVM, whichever configured processor dropped them. */
  private static final DroppedRecords DROPPED = new DroppedRecords(GlobalOpenTelemetry::get);

  public static Map<String, String> defaults() {
    Map<String, String> defaults = new HashMap<String, String>();
    // The upstream openai-java instrumentation would add a second GenAI span and count the same
    // tokens again in gen_ai.client.token.usage for every chat and embeddings call.
    defaults.put("otel.instrumentation.openai-java.enabled", "false");
    // Counters as deltas: each export carries only new tokens, so a restarted app never makes a
    // cumulative series jump backwards, and ClickHouse can sum points directly.
    defaults.put("otel.exporter.otlp.metrics.temporality.preference", "delta");
    // Azure OpenAI takes the key of a Realtime connection in the handshake URL (api-key=…), which the
    // agent's HTTP client span would record in url.full. Setting the list replaces the agent's own,
    // so it is repeated here (its defaults as of 2.31), with api-key added.
    defaults.put(SENSITIVE_QUERY_PARAMETERS, SENSITIVE_QUERY_PARAMETERS_DEFAULT);
    return defaults;
  }

  @Override
  public void customize(AutoConfigurationCustomizer customizer) {
    customizer.addPropertiesSupplier(TokenLedgerAutoConfiguration::defaults);
    customizer.addTracerProviderCustomizer(
        (builder, config) -> {
          builder.addSpanProcessor(new EntrypointSpanProcessor());
          TokenLedgerConfig settings = TokenLedgerConfig.fromEnvironment();
          if (extensionEnabled(config) && settings.recordUncapturedCalls()) {
            builder.addSpanProcessor(
                new UncapturedCallSpanProcessor(
                    settings.hosts(), () -> OpenAiInstrumenter.create(GlobalOpenTelemetry.get(), settings)));
          }
          return builder;
        });
    // Wrapping each configured processor runs the attribution before the record is queued for export;
    // the ledger's records then go to their own queue.
    customizer.addLogRecordProcessorCustomizer(
        (processor, config) -> LogRecordProcessor.composite(
            new EntrypointLogRecordProcessor(),
            extensionEnabled(config)
                ? LedgerLogRecordProcessor.wrap(processor, ledgerSettings(config), DROPPED)
                : processor));
  }

  /**
   * The ledger queue's size and export batch from the extension's settings; its schedule delay and
   * export timeout are the batch log processor's ({@code otel.blrp.*}), so one setting paces both.
   */
  static LedgerLogRecordProcessor.Settings ledgerSettings(ConfigProperties config) {
    return new LedgerLogRecordProcessor.Settings(
        positive(config, TokenLedgerConfig.LEDGER_QUEUE_SIZE),
        positive(config, TokenLedgerConfig.LEDGER_EXPORT_BATCH_SIZE),
        millis(config, "otel.blrp.schedule.delay", 1000),
        millis(config, "otel.blrp.export.timeout", 30000));
  }

  private static int positive(ConfigProperties config, String setting) {
    int fallback = Integer.parseInt(TokenLedgerConfig.defaultValue(setting));
    String property = TokenLedgerConfig.property(setting);
    try {
      int value = config.getInt(property, fallback);
      if (value > 0) {
        return value;
      }
    } catch (RuntimeException e) {
      // not a number: the default, and say so below
    }
    RateLimitedLog.warn("config", "Ignoring " + property + ": expected a positive whole number; using " + fallback);
    return fallback;
  }

  private static long millis(ConfigProperties config, String property, long fallback) {
    try {
      Duration value = config.getDuration(property);
      return value == null ? fallback : Math.max(1, value.toMillis());
    } catch (RuntimeException e) {
      return fallback;
    }
  }

  /** The switch of all transports, read as the agent reads it for the instrumentation modules. */
  static boolean extensionEnabled(ConfigProperties config) {
    return config.getBoolean(
        "otel.instrumentation.tokenledger.enabled",
        config.getBoolean("otel.instrumentation.common.default-enabled", true));
  }

  @Override
  public int order() {
    return 0;
  }
}
