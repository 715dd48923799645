package dev.tokenledger.agent;

import static dev.tokenledger.agent.OpenAiCall.putIfPresent;
import static dev.tokenledger.agent.TokenLedgerAttributes.*;

import dev.tokenledger.realtime.RealtimeConnectionState;
import dev.tokenledger.realtime.RealtimeEndpoint;
import dev.tokenledger.realtime.RealtimeMessageReader;
import dev.tokenledger.usage.ApiKeyFingerprint;
import dev.tokenledger.usage.OpenAiEndpoint;
import dev.tokenledger.usage.RateLimitedLog;
import dev.tokenledger.usage.ResponseUsage;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * One WebSocket connection to an OpenAI Realtime endpoint as every WebSocket transport sees it:
 * started at the handshake, fed the server's text messages as the application's listener receives
 * them, ended once when either side closes it or it fails. Transports translate their listener
 * callbacks into these calls; reading events lives in {@link RealtimeMessageReader}, the per-connection
 * bookkeeping in {@link RealtimeConnectionState}, and the signals in {@link UsageEmitter}.
 *
 * <p>Signals: a CLIENT span {@code realtime {model}} for the connection with one child span
 * {@code response {model}} per response, a usage record per billable event (emitted at once), an
 * error count per {@code error} event, and {@code tokenledger.realtime.connections} +1 when the
 * handshake succeeds. Each connection gets a fresh random {@code tokenledger.connection.id}; a
 * reconnect is a new connection of the same server session.
 *
 * <p>Every public method is safe to call from instrumentation: none throws.
 */
public final class RealtimeConnection implements RealtimeConnectionState.Sink {

  static final String OPERATION = "realtime";

  final RealtimeEndpoint endpoint;
  final String serverAddress;
  final int serverPort;
  final String providerName;
  final String connectionId;
  final String apiKeyFingerprint;
  final Attribution attribution;
  final Context context;
  final Span span;
  volatile String project;
  volatile String organization;
  volatile String requestId;

  private final RealtimeConnectionState state;
  private final RealtimeMessageReader reader;
  // Field updaters rather than AtomicBooleans: this object lives as long as the connection.
  private static final AtomicIntegerFieldUpdater<RealtimeConnection> OPENED =
      AtomicIntegerFieldUpdater.newUpdater(RealtimeConnection.class, "opened");
  private static final AtomicIntegerFieldUpdater<RealtimeConnection> ENDED =
      AtomicIntegerFieldUpdater.newUpdater(RealtimeConnection.class, "ended");
  private volatile int opened;
  private volatile int ended;
  /** The token series of the last record (see {@link #metricSeries}). */
  private volatile TokenSeries lastMetricSeries;

  private RealtimeConnection(
      RealtimeEndpoint endpoint, String host, int port, String rawQuery, Headers requestHeaders, Context parent) {
    this.endpoint = endpoint;
    this.serverAddress = host;
    this.serverPort = port;
    this.providerName = endpoint.isAzure() || isAzureHost(host) ? "azure.ai.openai" : "openai";
    this.connectionId = newConnectionId();
    this.apiKeyFingerprint = fingerprint(requestHeaders, rawQuery);
    this.project = header(requestHeaders, "OpenAI-Project");
    this.organization = header(requestHeaders, "OpenAI-Organization");
    this.attribution = Attribution.of(parent, TokenLedgerConfig.get().useCaseRules());
    this.state = new RealtimeConnectionState(this, endpoint.requestModel());
    this.reader = new RealtimeMessageReader(state);

    String model = endpoint.requestModel();
    SpanBuilder builder =
        TokenLedgerTelemetry.get()
            .tracer
            .spanBuilder(model == null ? OPERATION : OPERATION + " " + model)
            .setSpanKind(SpanKind.CLIENT)
            .setParent(parent)
            .setAttribute(GEN_AI_OPERATION_NAME, OPERATION)
            .setAttribute(GEN_AI_PROVIDER_NAME, providerName)
            .setAttribute(SERVER_ADDRESS, host)
            .setAttribute(API, RealtimeConnectionState.API_REALTIME)
            .setAttribute(CONNECTION_ID, connectionId);
    if (model != null) {
      builder.setAttribute(GEN_AI_REQUEST_MODEL, model);
    }
    if (port > 0) {
      builder.setAttribute(SERVER_PORT, (long) port);
    }
    this.span = builder.startSpan();
    this.context = parent.with(span);
  }

  /**
   * Starts tracking a WebSocket connection, or returns null when the URI is not a Realtime endpoint
   * on a host configured as OpenAI. {@code requestHeaders} may be null when the client does not show
   * them.
   */
  public static RealtimeConnection start(String host, int port, String path, String rawQuery, Headers requestHeaders) {
    try {
      if (host == null || !TokenLedgerConfig.get().hosts().matches(host)) {
        return null;
      }
      RealtimeEndpoint endpoint = RealtimeEndpoint.classify(path, rawQuery);
      if (endpoint == null) {
        return null;
      }
      return new RealtimeConnection(endpoint, host, port, rawQuery, requestHeaders, Context.current());
    } catch (Throwable t) {
      RateLimitedLog.warn("realtime-start", "TokenLedger could not start tracking a Realtime connection: " + t);
      return null;
    }
  }

  /** As {@link #start(String, int, String, String, Headers)} for a {@code ws:}/{@code wss:} URI. */
  public static RealtimeConnection start(java.net.URI uri, Headers requestHeaders) {
    if (uri == null) {
      return null;
    }
    return start(uri.getHost(), uri.getPort(), uri.getRawPath(), uri.getRawQuery(), requestHeaders);
  }

  /** The random id of this connection ({@code tokenledger.connection.id}). */
  public String connectionId() {
    return connectionId;
  }

  /** The server's session id, once {@code session.created} was read; else null. */
  public String sessionId() {
    return state.sessionId();
  }

  /** The context the application's work for this connection may run in (the connection span). */
  public Context context() {
    return context;
  }

  /**
   * The handshake succeeded: the connection counts from here. {@code responseHeaders} (may be null)
   * are the 101 response's, where the client shows them.
   */
  public void onOpen(Headers responseHeaders) {
    try {
      if (!OPENED.compareAndSet(this, 0, 1)) {
        return;
      }
      if (responseHeaders != null) {
        requestId = header(responseHeaders, "x-request-id");
        if (project == null) {
          project = header(responseHeaders, "openai-project");
        }
        if (organization == null) {
          organization = header(responseHeaders, "openai-organization");
        }
        putOnSpan();
      } else if (project != null || apiKeyFingerprint != null) {
        putOnSpan();
      }
      UsageEmitter.countRealtimeConnection(this);
    } catch (Throwable t) {
      RateLimitedLog.warn("realtime-open", "TokenLedger could not record an opened Realtime connection: " + t);
    }
  }

  private void putOnSpan() {
    setIfPresent(span, OPENAI_PROJECT, project);
    setIfPresent(span, OPENAI_REQUEST_ID, requestId);
    setIfPresent(span, API_KEY_FINGERPRINT, apiKeyFingerprint);
  }

  /** A whole text message, or a fragment of one ({@code last} ends it), as the application gets it. */
  public void onText(CharSequence text, boolean last) {
    if (ended == 0) {
      reader.onText(text, last); // never throws
    }
  }

  /** A binary message or fragment: not part of the Realtime protocol, reported and ignored. */
  public void onBinary(boolean last) {
    reader.onBinary(last);
  }

  /** The connection closed (either side's close frame, or the application closed it). */
  public void onClosed(int statusCode) {
    end("closed with status " + statusCode, null);
  }

  /** The connection failed: the handshake, or the transport afterwards. */
  public void onFailure(Throwable error) {
    end("failed" + (error == null ? "" : ": " + error.getClass().getSimpleName()), error);
  }

  private void end(String why, Throwable error) {
    if (!ENDED.compareAndSet(this, 0, 1)) {
      return;
    }
    try {
      state.end(why);
    } catch (Throwable t) {
      RateLimitedLog.warn("realtime-end", "TokenLedger could not end a Realtime connection: " + t);
    }
    try {
      if (error != null) {
        span.setStatus(StatusCode.ERROR);
        span.setAttribute(ERROR_TYPE, error.getClass().getName());
      }
      span.end();
    } catch (Throwable t) {
      RateLimitedLog.warn("realtime-end", "TokenLedger could not end a span: " + t);
    }
  }

  // ---- RealtimeConnectionState.Sink: called with the state's lock held, on the delivering thread ----

  @Override
  public Object responseStarted(String responseId, String model) {
    try {
      return startResponseSpan(responseId, model);
    } catch (Throwable t) {
      RateLimitedLog.warn("realtime-span", "TokenLedger could not start a Realtime response span: " + t);
      return null;
    }
  }

  private Span startResponseSpan(String responseId, String model) {
    SpanBuilder builder =
        TokenLedgerTelemetry.get()
            .tracer
            .spanBuilder(model == null ? "response" : "response " + model)
            .setSpanKind(SpanKind.INTERNAL)
            .setParent(context)
            .setAttribute(GEN_AI_OPERATION_NAME, OPERATION)
            .setAttribute(GEN_AI_PROVIDER_NAME, providerName)
            .setAttribute(CONNECTION_ID, connectionId);
    if (responseId != null) {
      builder.setAttribute(GEN_AI_RESPONSE_ID, responseId);
    }
    if (model != null) {
      builder.setAttribute(GEN_AI_REQUEST_MODEL, model);
    }
    String sessionId = state.sessionId();
    if (sessionId != null) {
      builder.setAttribute(SESSION_ID, sessionId);
    }
    return builder.startSpan();
  }

  @Override
  public void sessionIdentified(String sessionId, String model) {
    try {
      setIfPresent(span, SESSION_ID, sessionId);
      setIfPresent(span, GEN_AI_RESPONSE_MODEL, model);
      if (endpoint.requestModel() == null && model != null) {
        span.updateName(OPERATION + " " + model);
      }
    } catch (Throwable t) {
      RateLimitedLog.warn("realtime-span", "TokenLedger could not annotate a Realtime span: " + t);
    }
  }

  @Override
  public void record(ResponseUsage usage, String requestModel, Object handle) {
    Span responseSpan = handle instanceof Span ? (Span) handle : null;
    try {
      if (responseSpan == null && RealtimeConnectionState.API_REALTIME.equals(usage.api())) {
        // No response.created was seen: the response's span starts at its response.done.
        responseSpan = startResponseSpan(usage.responseId(), requestModel);
      }
      UsageEmitter.emitRealtime(this, usage, requestModel, responseSpan);
    } catch (Throwable t) {
      RateLimitedLog.warn("realtime-record", "TokenLedger could not record a Realtime response: " + t);
    } finally {
      if (responseSpan != null) {
        try {
          responseSpan.end();
        } catch (Throwable t) {
          RateLimitedLog.warn("realtime-span", "TokenLedger could not end a span: " + t);
        }
      }
    }
  }

  @Override
  public void error(String errorType, String errorCode) {
    try {
      String model = endpoint.requestModel() != null ? endpoint.requestModel() : state.sessionModel();
      UsageEmitter.emitRealtimeError(this, model, errorCode != null ? errorCode : errorType);
    } catch (Throwable t) {
      RateLimitedLog.warn("realtime-record", "TokenLedger could not record a Realtime error: " + t);
    }
  }

  /** Attributes every Realtime signal carries, low-cardinality ones only (metrics get exactly these). */
  void putCommonMetricAttributes(AttributesBuilder attributes, String api, String requestModel) {
    putCommonMetricAttributes(attributes, api, requestModel, project);
  }

  private void putCommonMetricAttributes(AttributesBuilder attributes, String api, String requestModel, String project) {
    attributes.put(GEN_AI_PROVIDER_NAME, providerName);
    attributes.put(GEN_AI_OPERATION_NAME, OPERATION);
    attributes.put(API, api);
    attributes.put(SERVER_ADDRESS, serverAddress);
    putIfPresent(attributes, GEN_AI_REQUEST_MODEL, requestModel);
    putIfPresent(attributes, OPENAI_PROJECT, project);
    putIfPresent(attributes, API_KEY_FINGERPRINT, apiKeyFingerprint);
    putIfPresent(attributes, USE_CASE, attribution.useCase);
  }

  /**
   * The metric attributes of a usage record (the common ones plus response model, status and usage
   * source) and their token series. A connection's records nearly all have the same ones, so the
   * last are reused while they still describe the record: building the set (sorting a dozen
   * attributes) and finding its series then cost a few lookups. What is kept is the instance shared
   * by every connection with the same set, so a connection holds one reference, not a copy.
   */
  TokenSeries metricSeries(ResponseUsage usage, String requestModel) {
    String project = this.project;
    TokenSeries last = lastMetricSeries;
    if (last != null && describes(last.common, usage, requestModel, project)) {
      return last;
    }
    AttributesBuilder attributes = Attributes.builder();
    putCommonMetricAttributes(attributes, usage.api(), requestModel, project);
    putIfPresent(attributes, GEN_AI_RESPONSE_MODEL, usage.responseModel());
    attributes.put(STATUS, usage.status());
    attributes.put(USAGE_SOURCE, usage.source());
    TokenSeries series = TokenSeries.of(attributes.build());
    if (series.shared) {
      lastMetricSeries = series;
    }
    return series;
  }

  /**
   * True when {@code attributes} are what {@link #metricSeries} builds for this record: the members
   * that vary per record, each as it is put (absent when not present). The others are this
   * connection's own and never change, and only a set built for this connection is kept.
   */
  private static boolean describes(Attributes attributes, ResponseUsage usage, String requestModel, String project) {
    return same(attributes.get(API), usage.api())
        && same(attributes.get(STATUS), usage.status())
        && same(attributes.get(USAGE_SOURCE), usage.source())
        && same(attributes.get(GEN_AI_RESPONSE_MODEL), presentOrNull(usage.responseModel()))
        && same(attributes.get(GEN_AI_REQUEST_MODEL), presentOrNull(requestModel))
        && same(attributes.get(OPENAI_PROJECT), presentOrNull(project));
  }

  private static String presentOrNull(String value) {
    return OpenAiCall.isPresent(value) ? value : null;
  }

  private static boolean same(String a, String b) {
    return a == null ? b == null : a.equals(b);
  }

  private static <T> void setIfPresent(Span span, io.opentelemetry.api.common.AttributeKey<T> key, T value) {
    if (OpenAiCall.isPresent(value)) {
      span.setAttribute(key, value);
    }
  }

  /** 128 random bits in hex, like a trace id: unique per connection, meaningless outside it. */
  private static String newConnectionId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    char[] id = new char[32];
    long bits = random.nextLong();
    for (int i = 0; i < 32; i++) {
      if (i == 16) {
        bits = random.nextLong();
      }
      id[i] = Character.forDigit((int) (bits & 0xF), 16);
      bits >>>= 4;
    }
    return new String(id);
  }

  private static String header(Headers headers, String name) {
    if (headers == null) {
      return null;
    }
    String value = headers.get(name);
    return value == null || value.isEmpty() ? null : value;
  }

  /** The key is never kept: only its fingerprint, from the header, else Azure's {@code api-key=} query. */
  private static String fingerprint(Headers headers, String rawQuery) {
    String credential = header(headers, "Authorization");
    if (credential == null) {
      credential = header(headers, "api-key");
    }
    if (credential == null) {
      credential = OpenAiEndpoint.queryParameter(rawQuery, "api-key");
    }
    return ApiKeyFingerprint.of(credential);
  }

  private static boolean isAzureHost(String host) {
    String lower = host.toLowerCase(Locale.ROOT);
    return lower.endsWith(".openai.azure.com") || lower.endsWith(".cognitiveservices.azure.com");
  }
}
