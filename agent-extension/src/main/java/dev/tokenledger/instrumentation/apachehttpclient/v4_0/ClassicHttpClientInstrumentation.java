package dev.tokenledger.instrumentation.apachehttpclient.v4_0;

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
import org.apache.http.HttpHost;
import org.apache.http.HttpRequest;
import org.apache.http.client.methods.CloseableHttpResponse;
import org.apache.http.client.methods.HttpUriRequest;

/**
 * HttpClient 4.3+ ({@code CloseableHttpClient}: the builder's client, the minimal one and the
 * deprecated {@code DefaultHttpClient} family): its eight {@code execute} overloads start the call
 * (the outermost one wins, as they delegate to each other), and {@code doExecute}, which every
 * overload reaches once, hands over the response.
 */
public final class ClassicHttpClientInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return namedOneOf(
        "org.apache.http.impl.client.CloseableHttpClient",
        "org.apache.http.impl.client.InternalHttpClient",
        "org.apache.http.impl.client.MinimalHttpClient",
        "org.apache.http.impl.client.AbstractHttpClient");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(
        named("execute")
            .and(not(isAbstract()))
            .and(takesArgument(0, named("org.apache.http.client.methods.HttpUriRequest"))),
        getClass().getName() + "$ExecuteRequestAdvice");
    transformer.applyAdviceToMethod(
        named("execute")
            .and(not(isAbstract()))
            .and(takesArgument(0, named("org.apache.http.HttpHost")))
            .and(takesArgument(1, named("org.apache.http.HttpRequest"))),
        getClass().getName() + "$ExecuteHostRequestAdvice");
    transformer.applyAdviceToMethod(
        named("doExecute")
            .and(not(isAbstract()))
            .and(takesArguments(3))
            .and(takesArgument(0, named("org.apache.http.HttpHost")))
            .and(takesArgument(1, named("org.apache.http.HttpRequest"))),
        getClass().getName() + "$DoExecuteAdvice");
  }

  @SuppressWarnings("unused")
  public static class ExecuteRequestAdvice {

    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static ApacheHttpClientCalls.Started onEnter(@Advice.Argument(0) HttpUriRequest request) {
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
        @Advice.Argument(0) HttpHost target, @Advice.Argument(1) HttpRequest request) {
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
        @Advice.Argument(0) HttpHost target, @Advice.Argument(1) HttpRequest request) {
      return ApacheHttpClientCalls.enter(target, request);
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    public static void onExit(
        @Advice.Argument(1) HttpRequest request,
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
