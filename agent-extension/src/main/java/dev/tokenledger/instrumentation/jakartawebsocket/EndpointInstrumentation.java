package dev.tokenledger.instrumentation.jakartawebsocket;

import static io.opentelemetry.javaagent.extension.matcher.AgentElementMatchers.extendsClass;
import static io.opentelemetry.javaagent.extension.matcher.AgentElementMatchers.hasClassesNamed;
import static net.bytebuddy.matcher.ElementMatchers.isAbstract;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.not;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import jakarta.websocket.Session;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * {@code jakarta.websocket.Endpoint} and the application's subclasses: the container calls
 * {@code onOpen} with the endpoint's configuration (whose configurator saw the handshake headers),
 * {@code onClose} when the connection closes (from either side) and {@code onError} when it fails;
 * both end the Realtime connection, before the application's code runs. {@code Endpoint} itself is
 * instrumented too, for subclasses that do not override these methods.
 */
public final class EndpointInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<ClassLoader> classLoaderOptimization() {
    return hasClassesNamed("jakarta.websocket.Endpoint");
  }

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return extendsClass(named("jakarta.websocket.Endpoint"));
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(
        named("onOpen")
            .and(not(isAbstract()))
            .and(takesArguments(2))
            .and(takesArgument(0, named("jakarta.websocket.Session")))
            .and(takesArgument(1, named("jakarta.websocket.EndpointConfig"))),
        getClass().getName() + "$OnOpenAdvice");
    transformer.applyAdviceToMethod(
        named("onClose")
            .and(not(isAbstract()))
            .and(takesArguments(2))
            .and(takesArgument(0, named("jakarta.websocket.Session")))
            .and(takesArgument(1, named("jakarta.websocket.CloseReason"))),
        getClass().getName() + "$OnCloseAdvice");
    transformer.applyAdviceToMethod(
        named("onError")
            .and(not(isAbstract()))
            .and(takesArguments(2))
            .and(takesArgument(0, named("jakarta.websocket.Session")))
            .and(takesArgument(1, Throwable.class)),
        getClass().getName() + "$OnErrorAdvice");
  }

  @SuppressWarnings("unused")
  public static class OnOpenAdvice {

    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static void onEnter(@Advice.Argument(0) Session session, @Advice.Argument(1) Object config) {
      JakartaWebSockets.opened(session, config);
    }
  }

  @SuppressWarnings("unused")
  public static class OnCloseAdvice {

    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static void onEnter(@Advice.Argument(0) Session session, @Advice.Argument(1) Object closeReason) {
      JakartaWebSockets.closed(session, closeReason);
    }
  }

  @SuppressWarnings("unused")
  public static class OnErrorAdvice {

    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static void onEnter(@Advice.Argument(0) Session session, @Advice.Argument(1) Throwable error) {
      JakartaWebSockets.failed(session, error);
    }
  }
}
