package dev.tokenledger.instrumentation.httpurlconnection;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.instrument.Instrumentation;
import java.lang.invoke.MethodHandles;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.URL;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.agent.ByteBuddyAgent;
import net.bytebuddy.description.modifier.Visibility;
import net.bytebuddy.dynamic.loading.ClassLoadingStrategy;
import net.bytebuddy.dynamic.scaffold.subclass.ConstructorStrategy;
import net.bytebuddy.implementation.FieldAccessor;
import net.bytebuddy.implementation.MethodDelegation;
import net.bytebuddy.implementation.bind.annotation.Argument;
import net.bytebuddy.implementation.bind.annotation.FieldValue;
import net.bytebuddy.implementation.bind.annotation.RuntimeType;
import net.bytebuddy.implementation.bind.annotation.SuperCall;
import net.bytebuddy.implementation.bind.annotation.Origin;
import net.bytebuddy.implementation.bind.annotation.This;

/**
 * A real JDK {@code HttpURLConnection} (a subclass of the JDK's own class, made at run time) whose
 * {@code getInputStream}, {@code getOutputStream} and request-property setters call {@link
 * HttpUrlConnectionCalls} as the advice does, every time they run: also when the JDK calls them
 * itself, as it does from {@code getResponseCode} after each response head it reads while following
 * redirects. {@link AdvisedConnection} wraps only the application's calls and cannot show that.
 */
public final class ReenteringConnection {

  /** What the generated class adds: the calls it reports to, and the status field as it stands. */
  public interface Advised {
    void calls(Object calls);

    int responseCodeField();
  }

  private static Class<?> type;

  /** A connection to {@code url} whose methods are advised with {@code calls}. */
  static HttpURLConnection open(URL url, HttpUrlConnectionCalls calls) throws Exception {
    HttpURLConnection connection =
        (HttpURLConnection) type().getConstructor(URL.class, Proxy.class).newInstance(url, null);
    ((Advised) connection).calls(calls);
    return connection;
  }

  private static synchronized Class<?> type() throws Exception {
    if (type != null) {
      return type;
    }
    Class<?> jdkConnection = Class.forName("sun.net.www.protocol.http.HttpURLConnection");
    // The JDK's class is in a package java.base does not export: export it to these tests.
    Instrumentation jvm = ByteBuddyAgent.install();
    Module tests = ReenteringConnection.class.getModule();
    jvm.redefineModule(
        jdkConnection.getModule(),
        Set.of(),
        Map.of(jdkConnection.getPackageName(), Set.of(tests)),
        Map.of(),
        Set.of(),
        Map.of());
    type = new ByteBuddy()
        .subclass(jdkConnection, ConstructorStrategy.Default.IMITATE_SUPER_CLASS_PUBLIC)
        .name(ReenteringConnection.class.getName() + "$Generated")
        .implement(Advised.class)
        .defineField("calls", Object.class, Visibility.PRIVATE)
        .method(named("calls"))
        .intercept(FieldAccessor.ofField("calls"))
        .method(named("responseCodeField"))
        .intercept(FieldAccessor.ofField("responseCode"))
        .method(named("getInputStream")
            .and(takesArguments(0)))
        .intercept(MethodDelegation.to(Interceptor.class))
        .method(named("getOutputStream")
            .and(takesArguments(0)))
        .intercept(MethodDelegation.to(Interceptor.class))
        .method(named("setRequestProperty")
            .or(named("addRequestProperty"))
            .and(takesArguments(2)))
        .intercept(MethodDelegation.to(PropertyInterceptor.class))
        .make()
        .load(ReenteringConnection.class.getClassLoader(), ClassLoadingStrategy.UsingLookup.of(MethodHandles.lookup()))
        .getLoaded();
    return type;
  }

  /** What the advice does around each method; see {@code HttpUrlConnectionInstrumentation}. */
  public static final class Interceptor {

    @RuntimeType
    public static Object sending(
        @This HttpURLConnection connection,
        @FieldValue("calls") Object calls,
        @SuperCall Callable<?> method,
        @Origin String signature)
        throws Exception {
      HttpUrlConnectionCalls advised = (HttpUrlConnectionCalls) calls;
      boolean input = signature.contains("getInputStream");
      Object entered = advised.enter(connection, !input);
      Object returned;
      try {
        returned = method.call();
      } catch (IOException | RuntimeException e) {
        if (input) {
          advised.inputStreamReturned(connection, entered, null, e, ((Advised) connection).responseCodeField());
        } else {
          advised.outputStreamReturned(connection, entered, null, e);
        }
        throw e;
      }
      Object[] replaced = input
          ? advised.inputStreamReturned(
              connection, entered, (InputStream) returned, null, ((Advised) connection).responseCodeField())
          : advised.outputStreamReturned(connection, entered, (OutputStream) returned, null);
      return replaced == null ? returned : replaced[0];
    }

    private Interceptor() {}
  }

  /** The request-property setters' advice. */
  public static final class PropertyInterceptor {

    public static void property(
        @This HttpURLConnection connection,
        @FieldValue("calls") Object calls,
        @SuperCall Callable<?> method,
        @Origin String signature,
        @Argument(0) String name,
        @Argument(1) String value)
        throws Exception {
      method.call();
      ((HttpUrlConnectionCalls) calls).requestPropertySet(connection, name, value, signature.contains("setRequestProperty"));
    }

    private PropertyInterceptor() {}
  }

  private ReenteringConnection() {}
}
