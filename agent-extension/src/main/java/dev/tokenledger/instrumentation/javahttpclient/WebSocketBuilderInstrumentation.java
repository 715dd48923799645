package dev.tokenledger.instrumentation.javahttpclient;

import static net.bytebuddy.matcher.ElementMatchers.isPublic;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import java.net.URI;
import java.net.http.WebSocket;
import java.util.concurrent.CompletableFuture;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.implementation.bytecode.assign.Assigner;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * The JDK's {@code WebSocket.Builder} implementation: {@code buildAsync(URI, Listener)} gets a
 * listener that shows the server's messages to a {@code RealtimeConnection} before passing each call
 * on unchanged; {@code header(name, value)} lets the handshake's credentials and project be
 * attributed (only the fingerprint of a key is ever kept).
 */
public final class WebSocketBuilderInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("jdk.internal.net.http.websocket.BuilderImpl");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(
        named("header")
            .and(isPublic())
            .and(takesArguments(2))
            .and(takesArgument(0, String.class))
            .and(takesArgument(1, String.class)),
        getClass().getName() + "$HeaderAdvice");
    transformer.applyAdviceToMethod(
        named("buildAsync")
            .and(isPublic())
            .and(takesArguments(2))
            .and(takesArgument(0, named("java.net.URI")))
            .and(takesArgument(1, named("java.net.http.WebSocket$Listener"))),
        getClass().getName() + "$BuildAsyncAdvice");
  }

  @SuppressWarnings("unused")
  public static class HeaderAdvice {

    /** Runs only when {@code header} returned (an illegal header name throws and is not kept). */
    @Advice.OnMethodExit(suppress = Throwable.class)
    public static void onExit(
        @Advice.This WebSocket.Builder builder, @Advice.Argument(0) String name, @Advice.Argument(1) String value) {
      JavaWebSockets.onHeader(builder, name, value);
    }
  }

  @SuppressWarnings("unused")
  public static class BuildAsyncAdvice {

    @Advice.OnMethodEnter(suppress = Throwable.class)
    @Advice.AssignReturned.ToArguments(
        @Advice.AssignReturned.ToArguments.ToArgument(
            value = 1,
            index = 0,
            typing = Assigner.Typing.DYNAMIC))
    public static Object[] onEnter(
        @Advice.This WebSocket.Builder builder,
        @Advice.Argument(0) URI uri,
        @Advice.Argument(1) WebSocket.Listener listener) {
      return JavaWebSockets.onBuildAsync(builder, uri, listener);
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    public static void onExit(
        @Advice.Enter Object[] state,
        @Advice.Return CompletableFuture<?> future,
        @Advice.Thrown Throwable thrown) {
      JavaWebSockets.onBuildAsyncReturned(state, future, thrown);
    }
  }
}
