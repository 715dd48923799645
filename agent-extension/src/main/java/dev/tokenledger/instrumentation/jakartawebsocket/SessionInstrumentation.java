package dev.tokenledger.instrumentation.jakartawebsocket;

import static io.opentelemetry.javaagent.extension.matcher.AgentElementMatchers.hasClassesNamed;
import static io.opentelemetry.javaagent.extension.matcher.AgentElementMatchers.implementsInterface;
import static net.bytebuddy.matcher.ElementMatchers.isAbstract;
import static net.bytebuddy.matcher.ElementMatchers.isInterface;
import static net.bytebuddy.matcher.ElementMatchers.isPublic;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.not;
import static net.bytebuddy.matcher.ElementMatchers.returns;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import jakarta.websocket.MessageHandler;
import jakarta.websocket.Session;
import java.util.Set;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.implementation.bytecode.assign.Assigner;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * Every implementation of {@code jakarta.websocket.Session}: text handlers registered on a session to
 * a Realtime endpoint are wrapped ({@code addMessageHandler}), the application keeps seeing its own
 * handlers ({@code getMessageHandlers}, {@code removeMessageHandler}). A handler whose message type
 * only the container knows is noted once the container has accepted it, for
 * {@link TyrusSessionInstrumentation}. The connection ends when the
 * container calls the endpoint's {@code onClose} (also after the application's own {@code close}, once
 * the server has answered it: events still in flight are read first).
 */
public final class SessionInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<ClassLoader> classLoaderOptimization() {
    return hasClassesNamed("jakarta.websocket.Session");
  }

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return implementsInterface(named("jakarta.websocket.Session")).and(not(isInterface()));
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(
        named("addMessageHandler")
            .and(isPublic())
            .and(not(isAbstract()))
            .and(takesArguments(1))
            .and(takesArgument(0, named("jakarta.websocket.MessageHandler"))),
        getClass().getName() + "$AddHandlerAdvice");
    transformer.applyAdviceToMethod(
        named("addMessageHandler")
            .and(isPublic())
            .and(not(isAbstract()))
            .and(takesArguments(2))
            .and(takesArgument(0, Class.class)),
        getClass().getName() + "$AddTypedHandlerAdvice");
    transformer.applyAdviceToMethod(
        named("removeMessageHandler")
            .and(isPublic())
            .and(not(isAbstract()))
            .and(takesArguments(1)),
        getClass().getName() + "$RemoveHandlerAdvice");
    transformer.applyAdviceToMethod(
        named("getMessageHandlers").and(isPublic()).and(not(isAbstract())).and(takesArguments(0))
            .and(returns(Set.class)),
        getClass().getName() + "$GetHandlersAdvice");
  }

  @SuppressWarnings("unused")
  public static class AddHandlerAdvice {

    @Advice.OnMethodEnter(suppress = Throwable.class)
    @Advice.AssignReturned.ToArguments(
        @Advice.AssignReturned.ToArguments.ToArgument(value = 0, index = 0, typing = Assigner.Typing.DYNAMIC))
    public static Object[] onEnter(@Advice.This Session session, @Advice.Argument(0) MessageHandler handler) {
      return new Object[] {JakartaWebSockets.wrap(session, null, handler)};
    }

    /** Sees the handler the session now holds: ours, or the application's when it was not wrapped. */
    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    public static void onExit(
        @Advice.This Session session, @Advice.Argument(0) MessageHandler handler, @Advice.Thrown Throwable thrown) {
      if (thrown == null) {
        JakartaWebSockets.added(session, handler);
      }
    }
  }

  @SuppressWarnings("unused")
  public static class AddTypedHandlerAdvice {

    @Advice.OnMethodEnter(suppress = Throwable.class)
    @Advice.AssignReturned.ToArguments(
        @Advice.AssignReturned.ToArguments.ToArgument(value = 1, index = 0, typing = Assigner.Typing.DYNAMIC))
    public static Object[] onEnter(
        @Advice.This Session session, @Advice.Argument(0) Class<?> type, @Advice.Argument(1) Object handler) {
      return new Object[] {JakartaWebSockets.wrap(session, type, handler)};
    }
  }

  @SuppressWarnings("unused")
  public static class RemoveHandlerAdvice {

    @Advice.OnMethodEnter(suppress = Throwable.class)
    @Advice.AssignReturned.ToArguments(
        @Advice.AssignReturned.ToArguments.ToArgument(value = 0, index = 0, typing = Assigner.Typing.DYNAMIC))
    public static Object[] onEnter(@Advice.This Session session, @Advice.Argument(0) Object handler) {
      return new Object[] {JakartaWebSockets.registered(session, handler)};
    }
  }

  @SuppressWarnings("unused")
  public static class GetHandlersAdvice {

    @Advice.OnMethodExit(suppress = Throwable.class)
    @Advice.AssignReturned.ToReturned(index = 0, typing = Assigner.Typing.DYNAMIC)
    public static Object[] onExit(@Advice.Return Set<?> handlers) {
      return new Object[] {JakartaWebSockets.unwrap(handlers)};
    }
  }
}
