package dev.tokenledger.instrumentation.apachehttpclient.v5_0;

import com.google.auto.service.AutoService;
import static io.opentelemetry.javaagent.extension.matcher.AgentElementMatchers.hasClassesNamed;

import dev.tokenledger.instrumentation.HelperClasses;
import io.opentelemetry.javaagent.extension.instrumentation.InstrumentationModule;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import java.util.Arrays;
import java.util.List;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * Apache HttpClient 5, classic (used directly and underneath Spring's
 * {@code HttpComponentsClientHttpRequestFactory}) and async (used directly and underneath Spring's
 * {@code HttpComponentsClientHttpConnector}): one library, one jar, one switch. Switch off with
 * {@code otel.instrumentation.tokenledger-apache-httpclient.enabled=false}.
 */
@AutoService(InstrumentationModule.class)
public final class ApacheHttpClientInstrumentationModule extends InstrumentationModule {

  public ApacheHttpClientInstrumentationModule() {
    super("tokenledger-apache-httpclient", "tokenledger-apache-httpclient-5.0", "tokenledger");
  }

  @Override
  public ElementMatcher.Junction<ClassLoader> classLoaderMatcher() {
    return hasClassesNamed("org.apache.hc.client5.http.impl.classic.CloseableHttpClient");
  }

  /**
   * Applied after the upstream HTTP client instrumentation of the same method, so that our advice
   * wraps theirs: the GenAI span is current when their HTTP span starts, and becomes its parent.
   */
  @Override
  public int order() {
    return -1;
  }

  @Override
  public List<TypeInstrumentation> typeInstrumentations() {
    return Arrays.<TypeInstrumentation>asList(
        new ClassicHttpClientInstrumentation(), new AsyncHttpClientInstrumentation());
  }

  @Override
  public List<String> getAdditionalHelperClassNames() {
    return HelperClasses.of(this);
  }
}
