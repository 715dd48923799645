package dev.tokenledger.instrumentation.apachehttpclient.v4_0;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;
import org.apache.http.HttpResponse;

/**
 * {@code close()} of the response the builder's and the minimal client return: it lets go of the
 * connection without touching the entity, so a body closed unread would otherwise never end its
 * call. (The deprecated clients' responses consume the entity on close, which the tee sees.)
 */
public final class ResponseCloseInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("org.apache.http.impl.execchain.HttpResponseProxy");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(named("close").and(takesArguments(0)), getClass().getName() + "$CloseAdvice");
  }

  @SuppressWarnings("unused")
  public static class CloseAdvice {

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    public static void onExit(@Advice.This HttpResponse response) {
      ApacheHttpClientCalls.onResponseClosed(response);
    }
  }
}
