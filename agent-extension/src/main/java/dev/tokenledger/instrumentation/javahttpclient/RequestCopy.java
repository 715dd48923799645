package dev.tokenledger.instrumentation.javahttpclient;

import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BiPredicate;

/**
 * A copy of an {@code HttpRequest} with another body publisher, everything else as the application
 * built it: method, URI, headers (names, values and order), timeout, expect-continue and version.
 * On Java 16+ the JDK's own copy ({@code HttpRequest.newBuilder(HttpRequest, BiPredicate)}) makes
 * it, so properties a later JDK adds to requests are kept too; on Java 11 to 15 it is copied by
 * hand, property by property, with the Java 11 API.
 */
final class RequestCopy {

  /** {@code HttpRequest.newBuilder(HttpRequest, BiPredicate)}, or null before Java 16. */
  private static final MethodHandle JDK_COPY = jdkCopy();

  private static final BiPredicate<String, String> EVERY_HEADER = new BiPredicate<String, String>() {
    @Override
    public boolean test(String name, String value) {
      return true;
    }
  };

  private static MethodHandle jdkCopy() {
    try {
      return MethodHandles.publicLookup().findStatic(
          HttpRequest.class,
          "newBuilder",
          MethodType.methodType(HttpRequest.Builder.class, HttpRequest.class, BiPredicate.class));
    } catch (Throwable t) {
      return null;
    }
  }

  static HttpRequest withPublisher(HttpRequest request, HttpRequest.BodyPublisher publisher) throws Throwable {
    // The agent's HTTP client instrumentation adds the current trace context to what headers()
    // returns; read under the root context, the copy holds only the application's own headers.
    Scope scope = Context.root().makeCurrent();
    try {
      HttpRequest.Builder builder = JDK_COPY != null ? jdkBuilder(request) : handBuilder(request);
      return builder.method(request.method(), publisher).build();
    } finally {
      scope.close();
    }
  }

  private static HttpRequest.Builder jdkBuilder(HttpRequest request) throws Throwable {
    return (HttpRequest.Builder) JDK_COPY.invoke(request, EVERY_HEADER);
  }

  /** What {@code newBuilder(HttpRequest, BiPredicate)} copies, with the Java 11 API. */
  static HttpRequest.Builder handBuilder(HttpRequest request) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(request.uri());
    builder.expectContinue(request.expectContinue());
    for (Map.Entry<String, List<String>> header : request.headers().map().entrySet()) {
      for (String value : header.getValue()) {
        builder.header(header.getKey(), value);
      }
    }
    HttpClient.Version version = request.version().orElse(null);
    if (version != null) {
      builder.version(version);
    }
    Duration timeout = request.timeout().orElse(null);
    if (timeout != null) {
      builder.timeout(timeout);
    }
    return builder;
  }

  private RequestCopy() {}
}
