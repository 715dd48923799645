package dev.tokenledger.instrumentation.httpurlconnection;

import static io.opentelemetry.javaagent.extension.matcher.AgentElementMatchers.extendsClass;
import static net.bytebuddy.matcher.ElementMatchers.isPublic;
import static net.bytebuddy.matcher.ElementMatchers.nameStartsWith;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.not;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.implementation.bytecode.assign.Assigner;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * The JDK's connection classes: {@code sun.net.www.protocol.http.HttpURLConnection}, which does the
 * work for plain HTTP and, as the delegate of {@code HttpsURLConnectionImpl}, for HTTPS, and the
 * HTTPS delegate's own {@code connect}. {@code HttpsURLConnectionImpl} itself only forwards every
 * call to its delegate and is left alone, so that one connection is one object here.
 *
 * <p>The methods that send the request ({@code connect}, {@code getOutputStream},
 * {@code getInputStream}; {@code getResponseCode} and the header getters go through
 * {@code getInputStream}) start the call and run in its context; the streams they return are
 * wrapped; {@code getErrorStream} wraps the error body; {@code disconnect} ends the call; the
 * request-property setters keep the credential the class later hides from its getters. The advice
 * methods return arrays so that a suppressed failure, which returns null, replaces nothing.
 */
public final class HttpUrlConnectionInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return nameStartsWith("sun.net.www.protocol.")
        .and(not(named("sun.net.www.protocol.https.HttpsURLConnectionImpl")))
        .and(extendsClass(named("java.net.HttpURLConnection")));
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(
        named("connect").and(isPublic()).and(takesArguments(0)), getClass().getName() + "$ConnectAdvice");
    transformer.applyAdviceToMethod(
        named("getOutputStream").and(isPublic()).and(takesArguments(0)),
        getClass().getName() + "$GetOutputStreamAdvice");
    transformer.applyAdviceToMethod(
        named("getInputStream").and(isPublic()).and(takesArguments(0)),
        getClass().getName() + "$GetInputStreamAdvice");
    transformer.applyAdviceToMethod(
        named("getErrorStream").and(isPublic()).and(takesArguments(0)),
        getClass().getName() + "$GetErrorStreamAdvice");
    transformer.applyAdviceToMethod(
        named("disconnect").and(isPublic()).and(takesArguments(0)), getClass().getName() + "$DisconnectAdvice");
    transformer.applyAdviceToMethod(
        named("setRequestProperty")
            .and(isPublic())
            .and(takesArguments(2))
            .and(takesArgument(0, String.class))
            .and(takesArgument(1, String.class)),
        getClass().getName() + "$SetRequestPropertyAdvice");
    transformer.applyAdviceToMethod(
        named("addRequestProperty")
            .and(isPublic())
            .and(takesArguments(2))
            .and(takesArgument(0, String.class))
            .and(takesArgument(1, String.class)),
        getClass().getName() + "$AddRequestPropertyAdvice");
  }

  @SuppressWarnings("unused")
  public static class ConnectAdvice {

    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static Object onEnter(@Advice.This HttpURLConnection connection) {
      return HttpUrlConnectionSingletons.calls().enter(connection, false);
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    public static void onExit(@Advice.Enter Object entered, @Advice.Thrown Throwable thrown) {
      HttpUrlConnectionSingletons.calls().connectReturned(entered, thrown);
    }
  }

  @SuppressWarnings("unused")
  public static class GetOutputStreamAdvice {

    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static Object onEnter(@Advice.This HttpURLConnection connection) {
      return HttpUrlConnectionSingletons.calls().enter(connection, true);
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    @Advice.AssignReturned.ToReturned(index = 0, typing = Assigner.Typing.DYNAMIC)
    public static Object[] onExit(
        @Advice.This HttpURLConnection connection,
        @Advice.Enter Object entered,
        @Advice.Return OutputStream returned,
        @Advice.Thrown Throwable thrown) {
      return HttpUrlConnectionSingletons.calls().outputStreamReturned(connection, entered, returned, thrown);
    }
  }

  @SuppressWarnings("unused")
  public static class GetInputStreamAdvice {

    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static Object onEnter(@Advice.This HttpURLConnection connection) {
      return HttpUrlConnectionSingletons.calls().enter(connection, false);
    }

    /** {@code responseCode} is read from the field: calling {@code getResponseCode()} here would re-enter. */
    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    @Advice.AssignReturned.ToReturned(index = 0, typing = Assigner.Typing.DYNAMIC)
    public static Object[] onExit(
        @Advice.This HttpURLConnection connection,
        @Advice.Enter Object entered,
        @Advice.Return InputStream returned,
        @Advice.Thrown Throwable thrown,
        @Advice.FieldValue("responseCode") int responseCode) {
      return HttpUrlConnectionSingletons.calls()
          .inputStreamReturned(connection, entered, returned, thrown, responseCode);
    }
  }

  @SuppressWarnings("unused")
  public static class GetErrorStreamAdvice {

    @Advice.OnMethodExit(suppress = Throwable.class)
    @Advice.AssignReturned.ToReturned(index = 0, typing = Assigner.Typing.DYNAMIC)
    public static Object[] onExit(
        @Advice.This HttpURLConnection connection,
        @Advice.Return InputStream returned,
        @Advice.FieldValue("responseCode") int responseCode) {
      return HttpUrlConnectionSingletons.calls().errorStreamReturned(connection, returned, responseCode);
    }
  }

  @SuppressWarnings("unused")
  public static class DisconnectAdvice {

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    public static void onExit(@Advice.This HttpURLConnection connection) {
      HttpUrlConnectionSingletons.calls().disconnected(connection);
    }
  }

  @SuppressWarnings("unused")
  public static class SetRequestPropertyAdvice {

    /** Runs only when the property was set (a connected connection throws and keeps nothing). */
    @Advice.OnMethodExit(suppress = Throwable.class)
    public static void onExit(
        @Advice.This HttpURLConnection connection,
        @Advice.Argument(0) String name,
        @Advice.Argument(1) String value) {
      HttpUrlConnectionSingletons.calls().requestPropertySet(connection, name, value, true);
    }
  }

  @SuppressWarnings("unused")
  public static class AddRequestPropertyAdvice {

    @Advice.OnMethodExit(suppress = Throwable.class)
    public static void onExit(
        @Advice.This HttpURLConnection connection,
        @Advice.Argument(0) String name,
        @Advice.Argument(1) String value) {
      HttpUrlConnectionSingletons.calls().requestPropertySet(connection, name, value, false);
    }
  }
}
