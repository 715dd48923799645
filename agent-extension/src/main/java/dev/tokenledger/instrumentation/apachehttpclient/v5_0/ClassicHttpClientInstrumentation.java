package dev.tokenledger.instrumentation.apachehttpclient.v5_0;

import static net.bytebuddy.matcher.ElementMatchers.isAbstract;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.namedOneOf;
import static net.bytebuddy.matcher.ElementMatchers.not;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;
import org.apache.hc.client5.http.impl.classic.CloseableHttpResponse;
import org.apache.hc.core5.http.ClassicHttpRequest;
import org.apache.hc.core5.http.HttpHost;

/**
 * The classic clients: the {@code execute} overloads of {@code CloseableHttpClient} start the call
 * (the outermost one wins), and {@code doExecute} — which every entry point reaches once per
 * logical request, retries and redirects happening inside — hands over the response.
 */
public final class ClassicHttpClientInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return namedOneOf(
        "org.apache.hc.client5.http.impl.classic.CloseableHttpClient",
        "org.apache.hc.client5.http.impl.classic.InternalHttpClient",
        "org.apache.hc.client5.http.impl.classic.MinimalHttpClient");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(
        named("execute")
            .and(not(isAbstract()))
            .and(takesArgument(0, named("org.apache.hc.core5.http.ClassicHttpRequest"))),
        getClass().getName() + "$ExecuteRequestAdvice");
    transformer.applyAdviceToMethod(
        named("execute")
            .and(not(isAbstract()))
            .and(takesArgument(0, named("org.apache.hc.core5.http.HttpHost")))
            .and(takesArgument(1, named("org.apache.hc.core5.http.ClassicHttpRequest"))),
        getClass().getName() + "$ExecuteHostRequestAdvice");
    transformer.applyAdviceToMethod(
        named("doExecute").and(not(isAbstract())).and(takesArguments(3)),
        getClass().getName() + "$DoExecuteAdvice");
  }

  @SuppressWarnings("unused")
  public static class ExecuteRequestAdvice {

    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static ApacheHttpClientCalls.Started onEnter(@Advice.Argument(0) ClassicHttpRequest request) {
      return ApacheHttpClientCalls.enter(null, request);
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    public static void onExit(@Advice.Enter ApacheHttpClientCalls.Started state, @Advice.Thrown Throwable thrown) {
      ApacheHttpClientCalls.exit(state, thrown);
    }
  }

  @SuppressWarnings("unused")
  public static class ExecuteHostRequestAdvice {

    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static ApacheHttpClientCalls.Started onEnter(
        @Advice.Argument(0) HttpHost target, @Advice.Argument(1) ClassicHttpRequest request) {
      return ApacheHttpClientCalls.enter(target, request);
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    public static void onExit(@Advice.Enter ApacheHttpClientCalls.Started state, @Advice.Thrown Throwable thrown) {
      ApacheHttpClientCalls.exit(state, thrown);
    }
  }

  @SuppressWarnings("unused")
  public static class DoExecuteAdvice {

    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static ApacheHttpClientCalls.Started onEnter(
        @Advice.Argument(0) HttpHost target, @Advice.Argument(1) ClassicHttpRequest request) {
      return ApacheHttpClientCalls.enter(target, request);
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    public static void onExit(
        @Advice.Argument(1) ClassicHttpRequest request,
        @Advice.Enter ApacheHttpClientCalls.Started state,
        @Advice.Return CloseableHttpResponse response,
        @Advice.Thrown Throwable thrown) {
      if (thrown == null) {
        ApacheHttpClientCalls.onResponse(request, response);
      }
      ApacheHttpClientCalls.exit(state, thrown);
    }
  }
}
