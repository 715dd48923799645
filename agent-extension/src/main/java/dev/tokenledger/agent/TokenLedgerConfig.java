package dev.tokenledger.agent;

import dev.tokenledger.usage.HostMatcher;
import dev.tokenledger.usage.RateLimitedLog;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The extension's settings, read the way every OpenTelemetry Java setting is read: the system
 * property {@code otel.instrumentation.tokenledger.<name>}, else the environment variable
 * {@code OTEL_INSTRUMENTATION_TOKENLEDGER_<NAME>}, else the documented default.
 *
 * <p>Read directly rather than through the SDK's ConfigProperties because this class is injected
 * into application class loaders (even the bootstrap loader), where only the OpenTelemetry API and
 * the JDK are visible.
 */
public final class TokenLedgerConfig {

  static final String PREFIX = "otel.instrumentation.tokenledger.";

  static final String HOSTS = "hosts";
  static final String USE_CASE_RULES = "use-case-rules";
  static final String CAPTURE_RAW_USAGE = "capture-raw-usage";
  static final String RECORD_UNCAPTURED_CALLS = "record-uncaptured-calls";
  /** Read by the SDK customisation ({@code dev.tokenledger.agent.sdk}) from the SDK's configuration. */
  public static final String LEDGER_QUEUE_SIZE = "ledger-queue-size";
  public static final String LEDGER_EXPORT_BATCH_SIZE = "ledger-export-batch-size";

  /** Every setting (after {@link #PREFIX}) with its default; agent-extension/README.md documents them. */
  static final Map<String, String> DEFAULTS = defaults();

  private static Map<String, String> defaults() {
    Map<String, String> defaults = new LinkedHashMap<String, String>();
    defaults.put(HOSTS, HostMatcher.DEFAULT_HOSTS);
    defaults.put(USE_CASE_RULES, "");
    defaults.put(CAPTURE_RAW_USAGE, "true");
    defaults.put(RECORD_UNCAPTURED_CALLS, "true");
    // A burst of 20,000 calls waits whole for a Collector that answers late (docs/signals.md#sdk-defaults).
    defaults.put(LEDGER_QUEUE_SIZE, "32768");
    defaults.put(LEDGER_EXPORT_BATCH_SIZE, "1024");
    return Collections.unmodifiableMap(defaults);
  }

  /** The property of a setting: {@code otel.instrumentation.tokenledger.<name>}. */
  public static String property(String name) {
    return PREFIX + name;
  }

  /** The documented default of a setting. */
  public static String defaultValue(String name) {
    return DEFAULTS.get(name);
  }

  private final HostMatcher hosts;
  private final List<UseCaseRule> useCaseRules;
  private final boolean captureRawUsage;
  private final boolean recordUncapturedCalls;

  TokenLedgerConfig(String hosts, String useCaseRules, boolean captureRawUsage, boolean recordUncapturedCalls) {
    this.hosts = HostMatcher.parse(hosts);
    this.useCaseRules = UseCaseRule.parseAll(useCaseRules);
    this.captureRawUsage = captureRawUsage;
    this.recordUncapturedCalls = recordUncapturedCalls;
  }

  /** The settings as this JVM's system properties and environment give them. */
  public static TokenLedgerConfig fromEnvironment() {
    return new TokenLedgerConfig(
        read(HOSTS),
        read(USE_CASE_RULES),
        Boolean.parseBoolean(read(CAPTURE_RAW_USAGE)),
        Boolean.parseBoolean(read(RECORD_UNCAPTURED_CALLS)));
  }

  /** Which hosts count as OpenAI (any port, any scheme). */
  public HostMatcher hosts() {
    return hosts;
  }

  /** Caller-class prefix rules that name a use case when baggage does not. */
  public List<UseCaseRule> useCaseRules() {
    return useCaseRules;
  }

  /** Whether the provider's raw usage object is kept beside the fields (it holds numbers only). */
  public boolean captureRawUsage() {
    return captureRawUsage;
  }

  /**
   * Whether a call to an OpenAI host that another instrumentation saw and no TokenLedger transport
   * read is recorded as {@code missing} (docs/signals.md).
   */
  public boolean recordUncapturedCalls() {
    return recordUncapturedCalls;
  }

  static String read(String name) {
    String defaultValue = DEFAULTS.get(name);
    try {
      String value = System.getProperty(PREFIX + name);
      if (value == null) {
        value = System.getenv((PREFIX + name).toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'));
      }
      return value == null || value.trim().isEmpty() ? defaultValue : value.trim();
    } catch (SecurityException e) {
      return defaultValue;
    }
  }

  /** {@code com.acme.judge.=judge}: a call made from code under that class-name prefix. */
  public static final class UseCaseRule {
    final String classPrefix;
    final String useCase;

    UseCaseRule(String classPrefix, String useCase) {
      this.classPrefix = classPrefix;
      this.useCase = useCase;
    }

    static List<UseCaseRule> parseAll(String spec) {
      if (spec == null || spec.trim().isEmpty()) {
        return Collections.emptyList();
      }
      List<UseCaseRule> rules = new ArrayList<UseCaseRule>();
      for (String entry : spec.split(",")) {
        int eq = entry.indexOf('=');
        if (eq <= 0 || eq == entry.length() - 1) {
          RateLimitedLog.warn(
              "config",
              "Ignoring use-case rule '" + entry.trim() + "' in " + PREFIX + "use-case-rules:"
                  + " expected <class-prefix>=<use-case>, e.g. com.acme.judge.=judge");
          continue;
        }
        rules.add(new UseCaseRule(entry.substring(0, eq).trim(), entry.substring(eq + 1).trim()));
      }
      return Collections.unmodifiableList(rules);
    }

    public String classPrefix() {
      return classPrefix;
    }

    public String useCase() {
      return useCase;
    }
  }
}
