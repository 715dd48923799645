package dev.tokenledger.instrumentation.jakartawebsocket;

import static io.opentelemetry.javaagent.extension.matcher.AgentElementMatchers.extendsClass;
import static io.opentelemetry.javaagent.extension.matcher.AgentElementMatchers.hasClassesNamed;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import jakarta.websocket.ClientEndpointConfig;
import jakarta.websocket.HandshakeResponse;
import java.util.Map;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * {@code ClientEndpointConfig.Configurator} (the default one and the application's): the only place
 * the Jakarta API shows a client's handshake headers. After the application's {@code beforeRequest}
 * has set them, and after {@code afterResponse}, the attributing ones (credential, project,
 * organization, request id) are noted for the session that this configurator's endpoint opens.
 */
public final class ConfiguratorInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<ClassLoader> classLoaderOptimization() {
    return hasClassesNamed("jakarta.websocket.ClientEndpointConfig$Configurator");
  }

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return extendsClass(named("jakarta.websocket.ClientEndpointConfig$Configurator"));
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(
        named("beforeRequest").and(takesArguments(1)).and(takesArgument(0, Map.class)),
        getClass().getName() + "$BeforeRequestAdvice");
    transformer.applyAdviceToMethod(
        named("afterResponse").and(takesArguments(1)).and(takesArgument(0, named("jakarta.websocket.HandshakeResponse"))),
        getClass().getName() + "$AfterResponseAdvice");
  }

  @SuppressWarnings("unused")
  public static class BeforeRequestAdvice {

    @Advice.OnMethodExit(suppress = Throwable.class)
    public static void onExit(
        @Advice.This ClientEndpointConfig.Configurator configurator, @Advice.Argument(0) Map<String, ?> headers) {
      JakartaWebSockets.onBeforeRequest(configurator, headers);
    }
  }

  @SuppressWarnings("unused")
  public static class AfterResponseAdvice {

    @Advice.OnMethodExit(suppress = Throwable.class)
    public static void onExit(
        @Advice.This ClientEndpointConfig.Configurator configurator, @Advice.Argument(0) HandshakeResponse response) {
      JakartaWebSockets.onAfterResponse(configurator, response);
    }
  }
}
