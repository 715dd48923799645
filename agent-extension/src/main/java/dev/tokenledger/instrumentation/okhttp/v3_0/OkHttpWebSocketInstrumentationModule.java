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
 * OkHttp's {@code WebSocket} (3.5 and later, 4, 5) to the Realtime API. A module of its own because
 * its helper extends {@code WebSocketListener}, which OkHttp 3.0–3.4 lack: there the HTTP module
 * still applies and this one does not. Switched off with the HTTP module
 * ({@code otel.instrumentation.tokenledger-okhttp.enabled=false}) or alone
 * ({@code otel.instrumentation.tokenledger-okhttp-websocket.enabled=false}).
 */
@AutoService(InstrumentationModule.class)
public final class OkHttpWebSocketInstrumentationModule extends InstrumentationModule {

  public OkHttpWebSocketInstrumentationModule() {
    super("tokenledger-okhttp-websocket", "tokenledger-okhttp", "tokenledger");
  }

  @Override
  public ElementMatcher.Junction<ClassLoader> classLoaderMatcher() {
    return hasClassesNamed("okhttp3.WebSocketListener");
  }

  @Override
  public List<TypeInstrumentation> typeInstrumentations() {
    return Collections.<TypeInstrumentation>singletonList(new OkHttpWebSocketInstrumentation());
  }

  @Override
  public List<String> getAdditionalHelperClassNames() {
    return HelperClasses.of(this);
  }
}
