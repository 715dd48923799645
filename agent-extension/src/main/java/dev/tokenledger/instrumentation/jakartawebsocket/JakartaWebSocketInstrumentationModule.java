package dev.tokenledger.instrumentation.jakartawebsocket;

import com.google.auto.service.AutoService;
import static io.opentelemetry.javaagent.extension.matcher.AgentElementMatchers.hasClassesNamed;

import dev.tokenledger.instrumentation.HelperClasses;
import io.opentelemetry.javaagent.extension.instrumentation.InstrumentationModule;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import java.util.Arrays;
import java.util.List;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * The Jakarta WebSocket client API ({@code jakarta.websocket.*}: Tyrus, Jetty, Tomcat, and Spring's
 * {@code StandardWebSocketClient} on top of them) talking to the Realtime API.
 *
 * <p>Covered: programmatic clients — an {@code Endpoint} whose {@code onOpen} registers text
 * handlers with {@code Session.addMessageHandler} (all three overloads, {@code MessageHandler.Whole}
 * and {@code MessageHandler.Partial} of {@code String}), which is also how Spring's
 * {@code StandardWebSocketClient} adapts its handlers. The connection ends at the endpoint's
 * {@code onClose} (or {@code onError} on a closed session). Handlers of other declared message types
 * (binary, decoded objects, {@code Reader}) are left alone. The handshake headers a configurator saw
 * attribute the session its endpoint opens; a {@code connectToServer} that throws drops them.
 *
 * <p>On Tyrus, also the handlers whose message type only the container knows: annotated
 * {@code @ClientEndpoint} classes (connected as an instance or a class; Tyrus adapts them to an
 * {@code Endpoint} that registers its own handlers for the {@code @OnMessage} methods) and lambdas
 * given to the one-argument {@code addMessageHandler} (Tyrus accepts whole-message ones, typed
 * {@code Object}, and rejects partial ones): their session's text is read where Tyrus dispatches
 * it. Other containers' annotated endpoints and lambdas are not covered.
 *
 * <p>Switch off with {@code otel.instrumentation.tokenledger-jakarta-websocket.enabled=false}.
 */
@AutoService(InstrumentationModule.class)
public final class JakartaWebSocketInstrumentationModule extends InstrumentationModule {

  public JakartaWebSocketInstrumentationModule() {
    super("tokenledger-jakarta-websocket", "tokenledger");
  }

  @Override
  public ElementMatcher.Junction<ClassLoader> classLoaderMatcher() {
    return hasClassesNamed("jakarta.websocket.Session", "jakarta.websocket.MessageHandler$Partial");
  }

  @Override
  public List<TypeInstrumentation> typeInstrumentations() {
    return Arrays.<TypeInstrumentation>asList(
        new SessionInstrumentation(),
        new EndpointInstrumentation(),
        new ConfiguratorInstrumentation(),
        new ContainerInstrumentation(),
        new TyrusSessionInstrumentation());
  }

  @Override
  public List<String> getAdditionalHelperClassNames() {
    return HelperClasses.of(this);
  }
}
