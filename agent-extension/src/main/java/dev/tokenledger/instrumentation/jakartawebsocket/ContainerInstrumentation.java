package dev.tokenledger.instrumentation.jakartawebsocket;

import static io.opentelemetry.javaagent.extension.matcher.AgentElementMatchers.hasClassesNamed;
import static io.opentelemetry.javaagent.extension.matcher.AgentElementMatchers.implementsInterface;
import static net.bytebuddy.matcher.ElementMatchers.isAbstract;
import static net.bytebuddy.matcher.ElementMatchers.isInterface;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.not;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * {@code WebSocketContainer.connectToServer} with a {@code ClientEndpointConfig} (an endpoint
 * instance or class): when it throws, the handshake its configurator saw opens no session, and the
 * headers noted for it are dropped ({@link JakartaWebSockets#connectFailed}). Annotated endpoints
 * get a new configurator from the container on each connect, which a failed handshake cannot leave
 * anything on for the next one.
 */
public final class ContainerInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<ClassLoader> classLoaderOptimization() {
    return hasClassesNamed("jakarta.websocket.WebSocketContainer");
  }

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return implementsInterface(named("jakarta.websocket.WebSocketContainer")).and(not(isInterface()));
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(
        named("connectToServer")
            .and(not(isAbstract()))
            .and(takesArguments(3))
            .and(takesArgument(1, named("jakarta.websocket.ClientEndpointConfig"))),
        getClass().getName() + "$ConnectAdvice");
  }

  @SuppressWarnings("unused")
  public static class ConnectAdvice {

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    public static void onExit(@Advice.Argument(1) Object config, @Advice.Thrown Throwable thrown) {
      if (thrown != null) {
        JakartaWebSockets.connectFailed(config);
      }
    }
  }
}
