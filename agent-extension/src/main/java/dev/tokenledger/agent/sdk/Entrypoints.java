package dev.tokenledger.agent.sdk;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import io.opentelemetry.instrumentation.api.instrumenter.LocalRootSpan;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.trace.ReadableSpan;

/**
 * The entry point of a call is the name of its local root span: for a web app the inbound request
 * ({@code POST /api/evaluation/judge}), for a job its root span. Only the SDK can read a span's
 * name, so this runs in the SDK's processors rather than in the instrumentation.
 */
final class Entrypoints {

  static final String SCOPE = "tokenledger";
  static final AttributeKey<String> ENTRYPOINT = AttributeKey.stringKey("tokenledger.entrypoint");

  static boolean isOurs(InstrumentationScopeInfo scope) {
    return scope != null && SCOPE.equals(scope.getName());
  }

  /** The local root span's name, or null when there is none other than the call's own span. */
  static String of(Context context, Span self) {
    Span root = LocalRootSpan.fromContextOrNull(context);
    if (root == null || root == self || !(root instanceof ReadableSpan)) {
      return null;
    }
    String name = ((ReadableSpan) root).getName();
    return name == null || name.isEmpty() ? null : name;
  }

  private Entrypoints() {}
}
