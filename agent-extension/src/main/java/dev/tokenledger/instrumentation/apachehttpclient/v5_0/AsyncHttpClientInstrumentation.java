package dev.tokenledger.instrumentation.apachehttpclient.v5_0;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.implementation.bytecode.assign.Assigner;
import net.bytebuddy.matcher.ElementMatcher;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.nio.AsyncRequestProducer;
import org.apache.hc.core5.http.nio.AsyncResponseConsumer;
import org.apache.hc.core5.http.protocol.HttpContext;

/**
 * The async clients ({@code CloseableHttpAsyncClient}: HTTP/1.1, HTTP/2 and the minimal ones): its
 * two final {@code execute} methods that call {@code doExecute}, one with a target host and one
 * without, which every other public {@code execute} (simple requests, producer and consumer
 * pairs, with or without a context or callback) reaches once. The upstream agent instruments the
 * one without a target; ours wraps it (see the module's {@code order()}).
 */
public final class AsyncHttpClientInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(
        named("execute")
            .and(takesArguments(5))
            .and(takesArgument(0, named("org.apache.hc.core5.http.nio.AsyncRequestProducer")))
            .and(takesArgument(1, named("org.apache.hc.core5.http.nio.AsyncResponseConsumer")))
            .and(takesArgument(3, named("org.apache.hc.core5.http.protocol.HttpContext")))
            .and(takesArgument(4, named("org.apache.hc.core5.concurrent.FutureCallback"))),
        getClass().getName() + "$ExecuteAdvice");
    transformer.applyAdviceToMethod(
        named("execute")
            .and(takesArguments(6))
            .and(takesArgument(0, named("org.apache.hc.core5.http.HttpHost")))
            .and(takesArgument(1, named("org.apache.hc.core5.http.nio.AsyncRequestProducer")))
            .and(takesArgument(2, named("org.apache.hc.core5.http.nio.AsyncResponseConsumer")))
            .and(takesArgument(4, named("org.apache.hc.core5.http.protocol.HttpContext")))
            .and(takesArgument(5, named("org.apache.hc.core5.concurrent.FutureCallback"))),
        getClass().getName() + "$ExecuteTargetAdvice");
  }

  @SuppressWarnings("unused")
  public static class ExecuteAdvice {

    @Advice.OnMethodEnter(suppress = Throwable.class)
    @Advice.AssignReturned.ToArguments({
      @Advice.AssignReturned.ToArguments.ToArgument(value = 0, index = 0, typing = Assigner.Typing.DYNAMIC),
      @Advice.AssignReturned.ToArguments.ToArgument(value = 1, index = 1, typing = Assigner.Typing.DYNAMIC),
      @Advice.AssignReturned.ToArguments.ToArgument(value = 4, index = 2, typing = Assigner.Typing.DYNAMIC)
    })
    public static Object[] onEnter(
        @Advice.Argument(0) AsyncRequestProducer producer,
        @Advice.Argument(1) AsyncResponseConsumer<?> consumer,
        @Advice.Argument(3) HttpContext context,
        @Advice.Argument(4) FutureCallback<?> callback) {
      return AsyncHttpClientCalls.onExecute(null, producer, consumer, context, callback);
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    public static void onExit(@Advice.Enter Object[] state, @Advice.Thrown Throwable thrown) {
      AsyncHttpClientCalls.onExit(state, thrown);
    }
  }

  @SuppressWarnings("unused")
  public static class ExecuteTargetAdvice {

    @Advice.OnMethodEnter(suppress = Throwable.class)
    @Advice.AssignReturned.ToArguments({
      @Advice.AssignReturned.ToArguments.ToArgument(value = 1, index = 0, typing = Assigner.Typing.DYNAMIC),
      @Advice.AssignReturned.ToArguments.ToArgument(value = 2, index = 1, typing = Assigner.Typing.DYNAMIC),
      @Advice.AssignReturned.ToArguments.ToArgument(value = 5, index = 2, typing = Assigner.Typing.DYNAMIC)
    })
    public static Object[] onEnter(
        @Advice.Argument(0) HttpHost target,
        @Advice.Argument(1) AsyncRequestProducer producer,
        @Advice.Argument(2) AsyncResponseConsumer<?> consumer,
        @Advice.Argument(4) HttpContext context,
        @Advice.Argument(5) FutureCallback<?> callback) {
      return AsyncHttpClientCalls.onExecute(target, producer, consumer, context, callback);
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    public static void onExit(@Advice.Enter Object[] state, @Advice.Thrown Throwable thrown) {
      AsyncHttpClientCalls.onExit(state, thrown);
    }
  }
}
