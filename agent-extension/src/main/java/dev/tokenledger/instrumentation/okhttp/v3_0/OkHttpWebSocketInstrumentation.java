package dev.tokenledger.instrumentation.okhttp.v3_0;

import static net.bytebuddy.matcher.ElementMatchers.isPublic;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.implementation.bytecode.assign.Assigner;
import net.bytebuddy.matcher.ElementMatcher;
import okhttp3.Request;
import okhttp3.WebSocketListener;

/**
 * {@code OkHttpClient.newWebSocket(Request, WebSocketListener)}: for a Realtime endpoint the
 * application's listener is wrapped so the server's messages are shown to a
 * {@code RealtimeConnection} before the application gets them. The upgrade request itself
 * ({@code GET …/realtime}) passes the HTTP interceptor without a record: it is not a billable HTTP
 * call.
 */
public final class OkHttpWebSocketInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("okhttp3.OkHttpClient");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(
        named("newWebSocket")
            .and(isPublic())
            .and(takesArguments(2))
            .and(takesArgument(0, named("okhttp3.Request")))
            .and(takesArgument(1, named("okhttp3.WebSocketListener"))),
        getClass().getName() + "$NewWebSocketAdvice");
  }

  @SuppressWarnings("unused")
  public static class NewWebSocketAdvice {

    @Advice.OnMethodEnter(suppress = Throwable.class)
    @Advice.AssignReturned.ToArguments(
        @Advice.AssignReturned.ToArguments.ToArgument(
            value = 1,
            index = 0,
            typing = Assigner.Typing.DYNAMIC))
    public static Object[] onEnter(@Advice.Argument(0) Request request, @Advice.Argument(1) WebSocketListener listener) {
      return OkHttpWebSockets.onNewWebSocket(request, listener);
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    public static void onExit(@Advice.Enter Object[] state, @Advice.Thrown Throwable thrown) {
      OkHttpWebSockets.onNewWebSocketReturned(state, thrown);
    }
  }
}
