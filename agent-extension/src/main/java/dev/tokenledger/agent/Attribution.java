package dev.tokenledger.agent;

import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.context.Context;
import java.util.List;

/**
 * "Who spent the tokens" without code changes (docs/attribution.md): the use case from baggage, else from
 * caller-class rules; the end user from baggage. The entry point comes from the local root span,
 * which only the SDK can read: see {@code dev.tokenledger.agent.sdk.EntrypointSpanProcessor}.
 */
final class Attribution {

  static final String USE_CASE_BAGGAGE_KEY = "tokenledger.use_case";
  static final String ENDUSER_BAGGAGE_KEY = "enduser.id";

  final String useCase;
  final String enduserId;

  private Attribution(String useCase, String enduserId) {
    this.useCase = useCase;
    this.enduserId = enduserId;
  }

  static Attribution of(Context context, List<TokenLedgerConfig.UseCaseRule> rules) {
    Baggage baggage = Baggage.fromContext(context);
    String useCase = emptyToNull(baggage.getEntryValue(USE_CASE_BAGGAGE_KEY));
    if (useCase == null && !rules.isEmpty()) {
      useCase = fromCallerClass(rules);
    }
    return new Attribution(useCase, emptyToNull(baggage.getEntryValue(ENDUSER_BAGGAGE_KEY)));
  }

  /**
   * Walks the calling thread's stack only when rules are configured: the cost is paid by those who
   * asked for it. A call started on a client's own worker thread (asynchronous OkHttp) no longer has
   * the application's frames, so rules cannot name it; baggage can.
   */
  private static String fromCallerClass(List<TokenLedgerConfig.UseCaseRule> rules) {
    for (StackTraceElement frame : new Throwable().getStackTrace()) {
      String className = frame.getClassName();
      for (TokenLedgerConfig.UseCaseRule rule : rules) {
        if (className.startsWith(rule.classPrefix)) {
          return rule.useCase;
        }
      }
    }
    return null;
  }

  private static String emptyToNull(String value) {
    return value == null || value.isEmpty() ? null : value;
  }
}
