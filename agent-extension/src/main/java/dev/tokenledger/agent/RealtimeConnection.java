package dev.tokenledger.agent;

import static dev.tokenledger.agent.UsageEmitter.setIfPresent;
import static dev.tokenledger.agent.TokenLedgerAttributes.*;

import dev.tokenledger.realtime.RealtimeConnectionState;
import dev.tokenledger.realtime.RealtimeEndpoint;
import dev.tokenledger.realtime.RealtimeMessageReader;
import dev.tokenledger.usage.OpenAiApi;
import dev.tokenledger.usage.RateLimitedLog;
import dev.tokenledger.usage.ResponseUsage;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
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

  static final String OPERATION = OpenAiApi.REALTIME.operationName();

  private final RealtimeEndpoint endpoint;
  private final String connectionId;
  private final Tracer tracer;
  private final UsageEmitter emitter;
  private final Context context;
  private final Span span;
  /** The handshake's origin, completed from the 101 response when the client shows it. */
  private volatile UsageOrigin origin;

  private final RealtimeConnectionState state;
  private final RealtimeMessageReader reader;
  // Field updaters rather than AtomicBooleans: this object lives as long as the connection.
  private static final AtomicIntegerFieldUpdater<RealtimeConnection> OPENED =
      AtomicIntegerFieldUpdater.newUpdater(RealtimeConnection.class, "opened");
  private static final AtomicIntegerFieldUpdater<RealtimeConnection> ENDED =
      AtomicIntegerFieldUpdater.newUpdater(RealtimeConnection.class, "ended");
  private volatile int opened;
  private volatile int ended;

  RealtimeConnection(
      RealtimeEndpoint endpoint, UsageOrigin origin, Context parent, Tracer tracer, UsageEmitter emitter) {
    this.endpoint = endpoint;
    this.origin = origin;
    this.tracer = tracer;
    this.emitter = emitter;
    this.connectionId = newConnectionId();
    this.state = new RealtimeConnectionState(this, endpoint.requestModel());
    this.reader = new RealtimeMessageReader(state);

    String model = endpoint.requestModel();
    SpanBuilder builder =
        tracer
            .spanBuilder(model == null ? OPERATION : OPERATION + " " + model)
            .setSpanKind(SpanKind.CLIENT)
            .setParent(parent)
            .setAttribute(GEN_AI_OPERATION_NAME, OPERATION)
            .setAttribute(GEN_AI_PROVIDER_NAME, origin.providerName)
            .setAttribute(SERVER_ADDRESS, origin.serverAddress)
            .setAttribute(API, OpenAiApi.REALTIME.apiName())
            .setAttribute(CONNECTION_ID, connectionId);
    if (model != null) {
      builder.setAttribute(GEN_AI_REQUEST_MODEL, model);
    }
    if (origin.serverPort > 0) {
      builder.setAttribute(SERVER_PORT, (long) origin.serverPort);
    }
    this.span = builder.startSpan();
    this.context = parent.with(span);
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
   * The handshake request's headers as the client sent them, when they can differ from those the
   * connection started with (a client's own interceptors add a key or a project later): the key,
   * project and organization they name attribute the connection. Before {@link #onOpen}.
   */
  public void onRequestSent(Headers sentHeaders) {
    try {
      if (opened == 0) {
        origin = origin.withSentRequest(sentHeaders);
      }
    } catch (Throwable t) {
      RateLimitedLog.warn("realtime-open", "TokenLedger could not read the headers of a sent Realtime handshake: " + t);
    }
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
      UsageOrigin opened = origin.withResponse(responseHeaders);
      origin = opened;
      setIfPresent(span, OPENAI_PROJECT, opened.project);
      setIfPresent(span, OPENAI_REQUEST_ID, opened.requestId);
      setIfPresent(span, API_KEY_FINGERPRINT, opened.apiKeyFingerprint);
      emitter.countRealtimeConnection(opened, endpoint.requestModel());
    } catch (Throwable t) {
      RateLimitedLog.warn("realtime-open", "TokenLedger could not record an opened Realtime connection: " + t);
    }
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
        tracer
            .spanBuilder(model == null ? "response" : "response " + model)
            .setSpanKind(SpanKind.INTERNAL)
            .setParent(context)
            .setAttribute(GEN_AI_OPERATION_NAME, OPERATION)
            .setAttribute(GEN_AI_PROVIDER_NAME, origin.providerName)
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
      if (responseSpan == null && usage.api() == OpenAiApi.REALTIME) {
        // No response.created was seen: the response's span starts at its response.done.
        responseSpan = startResponseSpan(usage.responseId(), requestModel);
      }
      if (responseSpan != null) {
        responseSpan.setAttribute(STATUS, usage.status());
      }
      emitter.emit(
          UsageRecord.builder(
                  origin, usage.api(), usage, responseSpan != null ? context.with(responseSpan) : context)
              .requestModel(requestModel)
              .session(state.sessionId(), connectionId)
              .span(responseSpan)
              .build());
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
      emitter.countFailedRequest(origin, OpenAiApi.REALTIME, model, errorCode != null ? errorCode : errorType);
    } catch (Throwable t) {
      RateLimitedLog.warn("realtime-record", "TokenLedger could not record a Realtime error: " + t);
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
}
