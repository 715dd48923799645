package dev.tokenledger.instrumentation.jakartawebsocket;

import static io.opentelemetry.javaagent.extension.matcher.AgentElementMatchers.hasClassesNamed;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import jakarta.websocket.Session;
import java.util.List;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * Tyrus's session, where it hands each incoming message to the session's handlers: whole messages
 * ({@code notifyMessageHandlers(Object, List)}, before decoding) and fragments
 * ({@code notifyMessageHandlers(Object, boolean)}). Tyrus registers an annotated
 * {@code @ClientEndpoint}'s {@code @OnMessage} methods, and accepts a lambda given to the
 * one-argument {@code addMessageHandler}, as handlers whose message type is its own to know (the
 * lambda's becomes {@code Object}, fed by the first decoder that accepts the text); the text of such
 * a Realtime session is read here, before the handler runs ({@link JakartaWebSockets#dispatched}).
 */
public final class TyrusSessionInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<ClassLoader> classLoaderOptimization() {
    return hasClassesNamed("org.glassfish.tyrus.core.TyrusSession");
  }

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("org.glassfish.tyrus.core.TyrusSession");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(
        named("notifyMessageHandlers").and(takesArguments(2)).and(takesArgument(0, Object.class))
            .and(takesArgument(1, List.class)),
        getClass().getName() + "$WholeMessageAdvice");
    transformer.applyAdviceToMethod(
        named("notifyMessageHandlers").and(takesArguments(2)).and(takesArgument(0, Object.class))
            .and(takesArgument(1, boolean.class)),
        getClass().getName() + "$PartialMessageAdvice");
  }

  @SuppressWarnings("unused")
  public static class WholeMessageAdvice {

    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static void onEnter(@Advice.This Session session, @Advice.Argument(0) Object message) {
      JakartaWebSockets.dispatched(session, message, true);
    }
  }

  @SuppressWarnings("unused")
  public static class PartialMessageAdvice {

    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static void onEnter(
        @Advice.This Session session, @Advice.Argument(0) Object message, @Advice.Argument(1) boolean last) {
      JakartaWebSockets.dispatched(session, message, last);
    }
  }
}
