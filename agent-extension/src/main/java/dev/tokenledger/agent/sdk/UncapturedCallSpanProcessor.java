package dev.tokenledger.agent.sdk;

import static io.opentelemetry.api.common.AttributeKey.longKey;
import static io.opentelemetry.api.common.AttributeKey.stringKey;

import dev.tokenledger.agent.OpenAiInstrumenter;
import dev.tokenledger.agent.TokenLedgerTelemetry;
import dev.tokenledger.realtime.RealtimeEndpoint;
import dev.tokenledger.usage.HostMatcher;
import dev.tokenledger.usage.OpenAiEndpoint;
import dev.tokenledger.usage.RateLimitedLog;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * No OpenAI call goes unseen, whatever the transport: every span of every instrumentation passes
 * through here, and an HTTP client span to a host configured as OpenAI, for a billable endpoint or
 * a Realtime handshake, that ends with no TokenLedger span related to it becomes a {@code missing}
 * usage record naming the instrumentation that saw it ({@code uncaptured transport: reactor-netty-1.0}).
 *
 * <p>Related means through the span tree, in either direction. A TokenLedger span above the HTTP
 * span: our hook ran first and the client's span is inside our call (OkHttp, the JDK client,
 * Apache). A TokenLedger span started beneath the HTTP span, or beneath one of its descendants,
 * while it is open: our hook runs below the library that opened the HTTP span (a Netty pipeline
 * under Reactor Netty, Vert.x or AsyncHttpClient). So only the open spans of those trees are kept,
 * keyed by span id: TokenLedger spans with their foreign descendants, and uncovered candidates with
 * theirs. An HTTP span nested in a candidate is part of the same call; the record then names the
 * innermost instrumentation, the one closest to the wire.
 *
 * <p>Or related as siblings: a client that starts its HTTP span from the context it captured when
 * the application called it, while our hook starts the call in that same context (Apache's async
 * client with a request producer of the application's own), makes the two spans children of one
 * parent. A TokenLedger span and an open candidate with the same parent span id, the same
 * {@code server.address} and the same {@code server.port} (where both have one) are one call,
 * whichever starts first: the candidate is read. One TokenLedger span pairs with one candidate, so
 * two calls side by side stay two; a TokenLedger span that has an HTTP span of its own beneath it
 * pairs with none. Only followed TokenLedger spans and candidates wait to be paired, keyed by
 * parent span id, each until it is paired or ends: the cap on followed spans bounds them too. A call whose spans
 * have no parent (each the root of a trace of its own) cannot be told from a call beside it.
 *
 * <p>This runs for every span the application records, on the thread that starts or ends it: a
 * span that is not a CLIENT span and whose parent is not kept costs a few field reads and at most
 * one map lookup. The map has a hard cap; what does not fit is not followed, counted and logged.
 * Span processors see only recorded spans: a call whose span a sampler dropped is not seen.
 */
final class UncapturedCallSpanProcessor implements SpanProcessor {

  /** Open spans followed at most; a call has its TokenLedger span, the HTTP span and a few more. */
  static final int MAX_OPEN_SPANS = 10_000;
  /** Instrumentation names warned about; there are a few dozen HTTP client instrumentations. */
  static final int MAX_WARNED = 64;

  static final AttributeKey<String> HTTP_REQUEST_METHOD = stringKey("http.request.method");
  static final AttributeKey<String> SERVER_ADDRESS = stringKey("server.address");
  static final AttributeKey<Long> SERVER_PORT = longKey("server.port");
  static final AttributeKey<String> URL_FULL = stringKey("url.full");
  static final AttributeKey<Long> HTTP_RESPONSE_STATUS_CODE = longKey("http.response.status_code");
  static final AttributeKey<String> ERROR_TYPE = stringKey("error.type");

  private static final String UPSTREAM_SCOPE_PREFIX = "io.opentelemetry.";

  /** The node of a foreign span beneath a TokenLedger span: an HTTP span there was read. */
  private static final Object UNDER_TOKENLEDGER = new Object();

  private final HostMatcher hosts;
  private final Supplier<OpenAiInstrumenter> instrumenterFactory;
  private final int maxOpenSpans;
  /** Span id → {@link #UNDER_TOKENLEDGER}, or the {@link Candidate} the span is (or is beneath). */
  private final ConcurrentHashMap<String, Object> open = new ConcurrentHashMap<String, Object>();
  /** Parent span id → the open TokenLedger spans and candidates beneath it not yet paired as siblings. */
  private final ConcurrentHashMap<String, List<Sibling>> siblings = new ConcurrentHashMap<String, List<Sibling>>();
  private final AtomicLong notFollowed = new AtomicLong();
  private final Set<String> warned = ConcurrentHashMap.<String>newKeySet();
  private volatile OpenAiInstrumenter instrumenter;

  /**
   * {@code instrumenterFactory} is asked once, when the first uncaptured call ends: the global
   * OpenTelemetry is not set yet while the SDK that holds this processor is being built.
   */
  UncapturedCallSpanProcessor(HostMatcher hosts, Supplier<OpenAiInstrumenter> instrumenterFactory) {
    this(hosts, instrumenterFactory, MAX_OPEN_SPANS);
  }

  UncapturedCallSpanProcessor(HostMatcher hosts, Supplier<OpenAiInstrumenter> instrumenterFactory, int maxOpenSpans) {
    this.hosts = hosts;
    this.instrumenterFactory = instrumenterFactory;
    this.maxOpenSpans = maxOpenSpans;
  }

  @Override
  public void onStart(Context parentContext, ReadWriteSpan span) {
    try {
      Object parent = parentNode(span);
      InstrumentationScopeInfo scope = span.getInstrumentationScopeInfo();
      if (TokenLedgerTelemetry.SCOPE.equals(scope.getName())) {
        if (parent instanceof Candidate) {
          Candidate candidate = (Candidate) parent;
          candidate.read = true;
          unpair(candidate.sibling);
          follow(span, UNDER_TOKENLEDGER);
        } else {
          startTokenLedgerSpan(span);
        }
      } else if (parent instanceof TokenLedgerSpan) {
        if (span.getKind() == SpanKind.CLIENT && span.getAttribute(HTTP_REQUEST_METHOD) != null) {
          // The call's own HTTP span is beneath it: no sibling of it is this call's.
          unpair(((TokenLedgerSpan) parent).sibling);
        }
        follow(span, UNDER_TOKENLEDGER);
      } else if (parent == UNDER_TOKENLEDGER) {
        follow(span, UNDER_TOKENLEDGER);
      } else if (parent instanceof Candidate) {
        if (span.getKind() == SpanKind.CLIENT && span.getAttribute(HTTP_REQUEST_METHOD) != null) {
          ((Candidate) parent).instrumentation = instrumentationName(scope);
        }
        follow(span, parent);
      } else if (span.getKind() == SpanKind.CLIENT) {
        Candidate candidate = candidate(parentContext, span, scope);
        if (candidate != null && follow(span, candidate)) {
          Sibling sibling = sibling(span, candidate.host, candidate.port, candidate);
          if (sibling != null && pair(sibling) != null) {
            candidate.read = true;
          } else {
            candidate.sibling = sibling;
          }
        }
      }
    } catch (Throwable t) {
      RateLimitedLog.warn("uncaptured-watch", "TokenLedger could not follow a span: " + t);
    }
  }

  @Override
  public boolean isStartRequired() {
    return true;
  }

  @Override
  public void onEnd(ReadableSpan span) {
    try {
      if (open.isEmpty()) {
        return;
      }
      String spanId = span.getSpanContext().getSpanId();
      Object node = open.remove(spanId);
      if (node instanceof TokenLedgerSpan) {
        unpair(((TokenLedgerSpan) node).sibling);
      } else if (node instanceof Candidate) {
        Candidate candidate = (Candidate) node;
        if (candidate.spanId.equals(spanId)) {
          unpair(candidate.sibling);
          if (!candidate.read) {
            record(candidate, span);
          }
        }
      }
    } catch (Throwable t) {
      RateLimitedLog.warn("uncaptured-watch", "TokenLedger could not check a span for an uncaptured call: " + t);
    }
  }

  @Override
  public boolean isEndRequired() {
    return true;
  }

  /** Open spans followed now. */
  int openSpans() {
    return open.size();
  }

  /** Spans not followed because {@link #maxOpenSpans} were open. */
  long notFollowed() {
    return notFollowed.get();
  }

  private Object parentNode(ReadableSpan span) {
    SpanContext parent = span.getParentSpanContext();
    // A remote parent is looked up too: a transport that takes its parent from the request's
    // traceparent header may hand the SDK a remote span context for a span of this process.
    if (!parent.isValid() || open.isEmpty()) {
      return null;
    }
    return open.get(parent.getSpanId());
  }

  /** Spans waiting to be paired as siblings now. */
  int unpairedSiblings() {
    int count = 0;
    for (List<Sibling> waiting : siblings.values()) {
      synchronized (waiting) {
        count += waiting.size();
      }
    }
    return count;
  }

  /**
   * A TokenLedger span not beneath a candidate: followed, and paired with an open candidate that is
   * its sibling, or left to be found by one that starts later.
   */
  private void startTokenLedgerSpan(ReadWriteSpan span) {
    TokenLedgerSpan node = new TokenLedgerSpan();
    if (!follow(span, node)) {
      return;
    }
    Long port = span.getAttribute(SERVER_PORT);
    Sibling sibling = sibling(span, span.getAttribute(SERVER_ADDRESS), port == null ? -1 : port.intValue(), null);
    if (sibling == null) {
      return;
    }
    Sibling candidate = pair(sibling);
    if (candidate != null) {
      candidate.candidate.read = true;
    } else {
      node.sibling = sibling;
    }
  }

  /** The sibling entry of a span with a parent and a server address; else null. */
  private static Sibling sibling(ReadableSpan span, String host, int port, Candidate candidate) {
    SpanContext parent = span.getParentSpanContext();
    if (!parent.isValid() || host == null) {
      return null;
    }
    return new Sibling(parent.getSpanId(), host, port, candidate);
  }

  /**
   * Takes the first waiting sibling of the other kind for the same server and returns it; or, when
   * there is none, leaves {@code entry} waiting and returns null.
   */
  private Sibling pair(final Sibling entry) {
    final Sibling[] paired = new Sibling[1];
    siblings.compute(entry.parentSpanId, (parentSpanId, waiting) -> {
      if (waiting != null) {
        synchronized (waiting) {
          for (Iterator<Sibling> it = waiting.iterator(); it.hasNext(); ) {
            Sibling other = it.next();
            if (other.pairsWith(entry)) {
              it.remove();
              paired[0] = other;
              return waiting.isEmpty() ? null : waiting;
            }
          }
          waiting.add(entry);
          return waiting;
        }
      }
      List<Sibling> first = new ArrayList<Sibling>(2);
      first.add(entry);
      return first;
    });
    return paired[0];
  }

  /** {@code entry} no longer waits to be paired (null: nothing to do). */
  private void unpair(final Sibling entry) {
    if (entry == null) {
      return;
    }
    siblings.computeIfPresent(entry.parentSpanId, (parentSpanId, waiting) -> {
      synchronized (waiting) {
        waiting.remove(entry);
        return waiting.isEmpty() ? null : waiting;
      }
    });
  }

  private boolean follow(ReadableSpan span, Object node) {
    if (open.size() >= maxOpenSpans) {
      long count = notFollowed.incrementAndGet();
      RateLimitedLog.warn(
          "uncaptured-capacity",
          "TokenLedger follows at most " + maxOpenSpans + " open spans to find OpenAI calls it did not read;"
              + " " + count + " span(s) were not followed, so such a call may go unrecorded, or a call"
              + " that was read be recorded as missing too (spans that are never ended fill this)");
      return false;
    }
    open.put(span.getSpanContext().getSpanId(), node);
    return true;
  }

  /** The candidate this span is: a foreign HTTP client span of a billable OpenAI call; else null. */
  private Candidate candidate(Context parentContext, ReadWriteSpan span, InstrumentationScopeInfo scope) {
    String method = span.getAttribute(HTTP_REQUEST_METHOD);
    if (method == null) {
      return null;
    }
    String host = span.getAttribute(SERVER_ADDRESS);
    String url = span.getAttribute(URL_FULL);
    if (host == null || url == null || !hosts.matches(host)) {
      return null;
    }
    String path = pathOf(url);
    String rawQuery = queryOf(url);
    if (OpenAiEndpoint.classify(method, host, path, rawQuery) == null
        && !("GET".equalsIgnoreCase(method) && RealtimeEndpoint.classify(path, rawQuery) != null)) {
      return null;
    }
    Long port = span.getAttribute(SERVER_PORT);
    return new Candidate(
        span.getSpanContext().getSpanId(), span, parentContext, instrumentationName(scope), method, host,
        port == null ? -1 : port.intValue(), path, rawQuery);
  }

  private void record(Candidate candidate, ReadableSpan span) {
    warnAtFirstSight(candidate);
    Long status = span.getAttribute(HTTP_RESPONSE_STATUS_CODE);
    instrumenter()
        .recordUncaptured(
            candidate.parentContext.with(candidate.span),
            candidate.instrumentation,
            candidate.method,
            candidate.host,
            candidate.port,
            candidate.path,
            candidate.rawQuery,
            status == null ? 0 : status.intValue(),
            span.getAttribute(ERROR_TYPE));
  }

  private void warnAtFirstSight(Candidate candidate) {
    String name = candidate.instrumentation;
    if (warned.size() >= MAX_WARNED || !warned.add(name)) {
      return;
    }
    RateLimitedLog.warn(
        "uncaptured-transport " + name,
        "TokenLedger did not read a call to " + candidate.host + " that the instrumentation " + name + " saw:"
            + " its usage is recorded as missing, with the diagnostic '" + OpenAiInstrumenter.UNCAPTURED_DIAGNOSTIC
            + name + "'. Every such call is recorded; this is logged once per instrumentation. If TokenLedger"
            + " hooks this client, check that its switch (otel.instrumentation.tokenledger-<name>.enabled) is on.");
  }

  private OpenAiInstrumenter instrumenter() {
    OpenAiInstrumenter current = instrumenter;
    if (current == null) {
      synchronized (this) {
        current = instrumenter;
        if (current == null) {
          current = instrumenterFactory.get();
          instrumenter = current;
        }
      }
    }
    return current;
  }

  /** The scope's name without the upstream prefix: {@code reactor-netty-1.0}. */
  static String instrumentationName(InstrumentationScopeInfo scope) {
    String name = scope.getName();
    if (name == null || name.isEmpty()) {
      return "(unnamed)";
    }
    return name.startsWith(UPSTREAM_SCOPE_PREFIX) && name.length() > UPSTREAM_SCOPE_PREFIX.length()
        ? name.substring(UPSTREAM_SCOPE_PREFIX.length())
        : name;
  }

  /** The raw path of an absolute URL ({@code /} when it has none), without query or fragment. */
  static String pathOf(String url) {
    int start = authorityStart(url);
    int end = endOfPath(url, start);
    int slash = url.indexOf('/', start);
    return slash < 0 || slash >= end ? "/" : url.substring(slash, end);
  }

  /** The raw query of a URL, null when it has none. */
  static String queryOf(String url) {
    int start = authorityStart(url);
    int fragment = url.indexOf('#', start);
    int query = url.indexOf('?', start);
    if (query < 0 || (fragment >= 0 && query > fragment)) {
      return null;
    }
    return url.substring(query + 1, fragment < 0 ? url.length() : fragment);
  }

  private static int authorityStart(String url) {
    int scheme = url.indexOf("://");
    return scheme < 0 ? 0 : scheme + 3;
  }

  private static int endOfPath(String url, int from) {
    for (int i = from; i < url.length(); i++) {
      char c = url.charAt(i);
      if (c == '?' || c == '#') {
        return i;
      }
    }
    return url.length();
  }

  /** The node of an open TokenLedger span. */
  private static final class TokenLedgerSpan {
    /** Its entry while it waits for a sibling candidate; null when it has none. */
    volatile Sibling sibling;
  }

  /** A TokenLedger span or a candidate waiting for its sibling of the other kind. */
  private static final class Sibling {
    final String parentSpanId;
    final String host;
    final int port;
    /** Null for a TokenLedger span. */
    final Candidate candidate;

    Sibling(String parentSpanId, String host, int port, Candidate candidate) {
      this.parentSpanId = parentSpanId;
      this.host = host;
      this.port = port;
      this.candidate = candidate;
    }

    /** One call: one of each kind, to the same server (ports compared where both are known). */
    boolean pairsWith(Sibling other) {
      return (candidate == null) != (other.candidate == null)
          && host.equalsIgnoreCase(other.host)
          && (port <= 0 || other.port <= 0 || port == other.port);
    }
  }

  /** A foreign HTTP client span of an OpenAI call, open, not yet known to be read. */
  private static final class Candidate {
    final String spanId;
    final Span span;
    final Context parentContext;
    final String method;
    final String host;
    final int port;
    final String path;
    final String rawQuery;
    /** The instrumentation that saw the call: the innermost HTTP span's. */
    volatile String instrumentation;
    /** A TokenLedger span started beneath it or beside it: a transport read the call. */
    volatile boolean read;
    /** Its entry while it waits for a sibling TokenLedger span; null when it has none. */
    volatile Sibling sibling;

    Candidate(
        String spanId,
        Span span,
        Context parentContext,
        String instrumentation,
        String method,
        String host,
        int port,
        String path,
        String rawQuery) {
      this.spanId = spanId;
      this.span = span;
      this.parentContext = parentContext;
      this.instrumentation = instrumentation;
      this.method = method;
      this.host = host;
      this.port = port;
      this.path = path;
      this.rawQuery = rawQuery;
    }
  }
}
