package dev.tokenledger.instrumentation.javahttpclient;

import static net.bytebuddy.matcher.ElementMatchers.isPublic;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.implementation.bytecode.assign.Assigner;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * {@code send} and {@code sendAsync} of the JDK's client implementation (the public facade only
 * delegates here). The application's {@code BodyHandler} is swapped for one that copies the body
 * into the call as the application's own subscriber consumes it, and a request whose body was not
 * copied up front for one whose body publisher shows the body to the call as the client sends it.
 */
public final class HttpClientImplInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("jdk.internal.net.http.HttpClientImpl");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(
        named("send")
            .and(isPublic())
            .and(takesArguments(2))
            .and(takesArgument(0, named("java.net.http.HttpRequest"))),
        getClass().getName() + "$SendAdvice");
    transformer.applyAdviceToMethod(
        named("sendAsync")
            .and(isPublic())
            .and(takesArgument(0, named("java.net.http.HttpRequest")))
            .and(takesArguments(2).or(takesArguments(3))),
        getClass().getName() + "$SendAsyncAdvice");
  }

  @SuppressWarnings("unused")
  public static class SendAdvice {

    @Advice.OnMethodEnter(suppress = Throwable.class)
    @Advice.AssignReturned.ToArguments({
      @Advice.AssignReturned.ToArguments.ToArgument(value = 0, index = 0, typing = Assigner.Typing.DYNAMIC),
      @Advice.AssignReturned.ToArguments.ToArgument(value = 1, index = 1, typing = Assigner.Typing.DYNAMIC)
    })
    public static Object[] onEnter(
        @Advice.Argument(0) HttpRequest request, @Advice.Argument(1) HttpResponse.BodyHandler<?> handler) {
      return JavaHttpClientCalls.onSend(request, handler);
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    public static void onExit(@Advice.Enter Object[] state, @Advice.Thrown Throwable thrown) {
      JavaHttpClientCalls.onSendReturned(state, thrown);
    }
  }

  @SuppressWarnings("unused")
  public static class SendAsyncAdvice {

    @Advice.OnMethodEnter(suppress = Throwable.class)
    @Advice.AssignReturned.ToArguments({
      @Advice.AssignReturned.ToArguments.ToArgument(value = 0, index = 0, typing = Assigner.Typing.DYNAMIC),
      @Advice.AssignReturned.ToArguments.ToArgument(value = 1, index = 1, typing = Assigner.Typing.DYNAMIC)
    })
    public static Object[] onEnter(
        @Advice.Argument(0) HttpRequest request, @Advice.Argument(1) HttpResponse.BodyHandler<?> handler) {
      return JavaHttpClientCalls.onSend(request, handler);
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    public static void onExit(
        @Advice.Enter Object[] state,
        @Advice.Return CompletableFuture<?> future,
        @Advice.Thrown Throwable thrown) {
      JavaHttpClientCalls.onSendAsyncReturned(state, future, thrown);
    }
  }
}
