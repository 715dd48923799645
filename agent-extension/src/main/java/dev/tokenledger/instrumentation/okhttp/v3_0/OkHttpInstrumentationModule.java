package dev.tokenledger.instrumentation.okhttp.v3_0;

import com.google.auto.service.AutoService;
import static io.opentelemetry.javaagent.extension.matcher.AgentElementMatchers.hasClassesNamed;

import dev.tokenledger.instrumentation.HelperClasses;
import io.opentelemetry.javaagent.extension.instrumentation.InstrumentationModule;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import java.util.Collections;
import java.util.List;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * OkHttp 3, 4 and 5: the transport of the official openai-java SDK, of azure-core-http-okhttp and of
 * many other clients (its WebSocket has {@link OkHttpWebSocketInstrumentationModule}). Switch off with {@code otel.instrumentation.tokenledger-okhttp.enabled=false}
 * (or all transports with {@code otel.instrumentation.tokenledger.enabled=false}).
 */
@AutoService(InstrumentationModule.class)
public final class OkHttpInstrumentationModule extends InstrumentationModule {

  public OkHttpInstrumentationModule() {
    super("tokenledger-okhttp", "tokenledger-okhttp-3.0", "tokenledger");
  }

  @Override
  public ElementMatcher.Junction<ClassLoader> classLoaderMatcher() {
    // Interceptor.Chain exists from OkHttp 3.0 on.
    return hasClassesNamed("okhttp3.Interceptor$Chain");
  }

  @Override
  public List<TypeInstrumentation> typeInstrumentations() {
    return Collections.<TypeInstrumentation>singletonList(new OkHttpClientBuilderInstrumentation());
  }

  @Override
  public List<String> getAdditionalHelperClassNames() {
    return HelperClasses.of(this);
  }
}
