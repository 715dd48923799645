package dev.tokenledger.instrumentation.netty.v4_1;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * What a Netty client's {@code HttpRequest} says about where it goes, and which span it belongs to.
 */
final class NettyRequests {

  /** Where a request goes: host, port (-1 when unknown), raw path and raw query (null when none). */
  static final class Target {
    final String host;
    final int port;
    final String path;
    final String query;

    Target(String host, int port, String path, String query) {
      this.host = host;
      this.port = port;
      this.path = path;
      this.query = query;
    }
  }

  /**
   * The request's target: the host and port of an absolute URI (proxy form), else of the {@code Host}
   * header (HTTP/2 clients set it too; the stream codec turns it into {@code :authority}), else the
   * address the channel is connected to. Null when no host can be told.
   */
  static Target target(HttpRequest request, Channel channel) {
    String uri = request.uri();
    if (uri == null) {
      return null;
    }
    String authority = null;
    int schemeEnd = uri.indexOf("://");
    if (!uri.startsWith("/") && schemeEnd > 0) {
      // Absolute form, as sent to an HTTP proxy.
      int authorityStart = schemeEnd + 3;
      int authorityEnd = indexOfAny(uri, authorityStart, "/?#");
      authority = uri.substring(authorityStart, authorityEnd);
      uri = uri.substring(authorityEnd);
    }
    int fragment = uri.indexOf('#');
    if (fragment >= 0) {
      uri = uri.substring(0, fragment);
    }
    int question = uri.indexOf('?');
    String path = question < 0 ? uri : uri.substring(0, question);
    String query = question < 0 ? null : uri.substring(question + 1);
    if (path.isEmpty()) {
      path = "/";
    }
    if (authority == null) {
      authority = request.headers().get("Host");
    }
    InetSocketAddress remote = remoteAddress(channel);
    String host = null;
    int port = -1;
    if (authority != null && !authority.isEmpty()) {
      int at = authority.lastIndexOf('@');
      String hostPort = at < 0 ? authority : authority.substring(at + 1);
      int colon;
      if (hostPort.startsWith("[")) {
        int close = hostPort.indexOf(']');
        host = close < 0 ? hostPort.substring(1) : hostPort.substring(1, close);
        colon = close < 0 ? -1 : hostPort.indexOf(':', close);
      } else {
        colon = hostPort.lastIndexOf(':');
        host = colon < 0 ? hostPort : hostPort.substring(0, colon);
      }
      if (colon >= 0) {
        port = parsePort(hostPort.substring(colon + 1));
      }
    }
    if (host == null || host.isEmpty()) {
      if (remote == null) {
        return null;
      }
      host = remote.getHostString();
    }
    if (port < 0 && remote != null) {
      // No port named: the default port of the scheme, which is the one the channel connected to.
      port = remote.getPort();
    }
    return new Target(host, port, path, query);
  }

  private static InetSocketAddress remoteAddress(Channel channel) {
    SocketAddress address = channel == null ? null : channel.remoteAddress();
    return address instanceof InetSocketAddress ? (InetSocketAddress) address : null;
  }

  private static int parsePort(String s) {
    try {
      int port = Integer.parseInt(s);
      return port > 0 && port < 65536 ? port : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static int indexOfAny(String s, int from, String chars) {
    for (int i = from; i < s.length(); i++) {
      if (chars.indexOf(s.charAt(i)) >= 0) {
        return i;
      }
    }
    return s.length();
  }

  /**
   * The context a call on this request starts in. The clients' own upstream instrumentation (Reactor
   * Netty, Vert.x, AsyncHttpClient) opens its HTTP span before the request reaches the pipeline and
   * writes it into the request's headers with the configured propagators ({@code traceparent}, B3,
   * X-Ray, Jaeger …), while the event loop writing the request may have no context at all: that span
   * is the parent, read back with the same {@code propagator}. The current context keeps its baggage
   * (attribution), or when it has none, the baggage the propagator reads from the request gives it.
   * Without a span in the headers, the current context.
   */
  static Context parent(HttpHeaders headers, TextMapPropagator propagator) {
    Context current = Context.current();
    Context extracted = propagator.extract(Context.root(), headers, HeadersGetter.INSTANCE);
    SpanContext http = Span.fromContext(extracted).getSpanContext();
    if (!http.isValid()) {
      return current;
    }
    if (http.getSpanId().equals(Span.fromContext(current).getSpanContext().getSpanId())) {
      return current;
    }
    // The header's span lives in this process: the call's span is its local child, not the first span
    // of this process in a trace begun elsewhere (a remote parent would make it a local root).
    Context parent =
        current.with(
            Span.wrap(SpanContext.create(http.getTraceId(), http.getSpanId(), http.getTraceFlags(), http.getTraceState())));
    if (Baggage.fromContextOrNull(current) == null) {
      Baggage baggage = Baggage.fromContextOrNull(extracted);
      if (baggage != null) {
        parent = parent.with(baggage);
      }
    }
    return parent;
  }

  private enum HeadersGetter implements TextMapGetter<HttpHeaders> {
    INSTANCE;

    @Override
    public Iterable<String> keys(HttpHeaders carrier) {
      return carrier.names();
    }

    @Override
    public String get(HttpHeaders carrier, String key) {
      return carrier == null ? null : carrier.get(key);
    }
  }

  private NettyRequests() {}
}
