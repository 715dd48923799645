package dev.tokenledger.instrumentation.apachehttpclient.v4_0;

import com.google.auto.service.AutoService;
import static io.opentelemetry.javaagent.extension.matcher.AgentElementMatchers.hasClassesNamed;

import dev.tokenledger.instrumentation.HelperClasses;
import io.opentelemetry.javaagent.extension.instrumentation.InstrumentationModule;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import java.util.Arrays;
import java.util.List;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * Apache HttpClient 4.3+ classic ({@code org.apache.httpcomponents:httpclient}, 4.5.x in most older
 * stacks, and underneath Spring's {@code HttpComponentsClientHttpRequestFactory} before Spring 6).
 * Switch off with {@code otel.instrumentation.tokenledger-apache-httpclient-4.enabled=false}.
 */
@AutoService(InstrumentationModule.class)
public final class ApacheHttpClientInstrumentationModule extends InstrumentationModule {

  public ApacheHttpClientInstrumentationModule() {
    super("tokenledger-apache-httpclient-4", "tokenledger-apache-httpclient-4.0", "tokenledger");
  }

  @Override
  public ElementMatcher.Junction<ClassLoader> classLoaderMatcher() {
    return hasClassesNamed("org.apache.http.impl.client.CloseableHttpClient");
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
        new ClassicHttpClientInstrumentation(), new ResponseCloseInstrumentation());
  }

  @Override
  public List<String> getAdditionalHelperClassNames() {
    return HelperClasses.of(this);
  }
}
