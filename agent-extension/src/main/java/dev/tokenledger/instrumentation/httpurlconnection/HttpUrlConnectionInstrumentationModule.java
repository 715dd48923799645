package dev.tokenledger.instrumentation.httpurlconnection;

import com.google.auto.service.AutoService;
import dev.tokenledger.instrumentation.HelperClasses;
import io.opentelemetry.javaagent.extension.instrumentation.InstrumentationModule;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import java.util.Collections;
import java.util.List;

/**
 * The JDK's {@code java.net.HttpURLConnection} and {@code HttpsURLConnection}, used directly by
 * legacy code and underneath Spring's {@code SimpleClientHttpRequestFactory}. Its classes live in the
 * bootstrap loader, so the helpers are injected there. Switch off with
 * {@code otel.instrumentation.tokenledger-http-url-connection.enabled=false}.
 */
@AutoService(InstrumentationModule.class)
public final class HttpUrlConnectionInstrumentationModule extends InstrumentationModule {

  public HttpUrlConnectionInstrumentationModule() {
    super("tokenledger-http-url-connection", "tokenledger");
  }

  /**
   * Applied after the upstream HTTP client instrumentation of the same methods, so that our advice
   * wraps theirs: the GenAI span is current when their HTTP span starts, and becomes its parent.
   */
  @Override
  public int order() {
    return -1;
  }

  @Override
  public List<TypeInstrumentation> typeInstrumentations() {
    return Collections.<TypeInstrumentation>singletonList(new HttpUrlConnectionInstrumentation());
  }

  @Override
  public List<String> getAdditionalHelperClassNames() {
    return HelperClasses.of(this);
  }
}
