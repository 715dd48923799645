package dev.tokenledger.instrumentation.javahttpclient;

import com.google.auto.service.AutoService;
import static io.opentelemetry.javaagent.extension.matcher.AgentElementMatchers.hasClassesNamed;

import dev.tokenledger.instrumentation.HelperClasses;
import io.opentelemetry.javaagent.extension.instrumentation.InstrumentationModule;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import java.util.Arrays;
import java.util.List;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * The JDK's own {@code java.net.http.HttpClient} (Java 11+), used directly and underneath Spring's
 * {@code JdkClientHttpRequestFactory}, LangChain4j's JDK client and others, and its
 * {@code WebSocket} (Realtime API connections). Switch off with
 * {@code otel.instrumentation.tokenledger-java-http-client.enabled=false}.
 */
@AutoService(InstrumentationModule.class)
public final class JavaHttpClientInstrumentationModule extends InstrumentationModule {

  public JavaHttpClientInstrumentationModule() {
    super("tokenledger-java-http-client", "tokenledger");
  }

  @Override
  public ElementMatcher.Junction<ClassLoader> classLoaderMatcher() {
    return hasClassesNamed("java.net.http.HttpClient");
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
        new HttpClientImplInstrumentation(), new WebSocketBuilderInstrumentation());
  }

  @Override
  public List<String> getAdditionalHelperClassNames() {
    return HelperClasses.of(this);
  }
}
