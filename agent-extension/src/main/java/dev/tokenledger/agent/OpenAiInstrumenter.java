package dev.tokenledger.agent;

import dev.tokenledger.realtime.RealtimeEndpoint;
import dev.tokenledger.usage.OpenAiApi;
import dev.tokenledger.usage.OpenAiEndpoint;
import dev.tokenledger.usage.RateLimitedLog;
import dev.tokenledger.usage.RequestInfo;
import dev.tokenledger.usage.ResponseUsage;
import dev.tokenledger.usage.TokenUsage;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.context.Context;
import java.net.URI;

/**
 * Where every transport starts tracking: an OpenAI HTTP call ({@link #startCall}) or a Realtime
 * WebSocket connection ({@link #startConnection}). Built once per instrumented library from the
 * agent's OpenTelemetry and the extension's settings (its {@code *Singletons} class holds it, as
 * upstream instrumentations hold their {@code Instrumenter}), and passed down to what it starts:
 * nothing below reaches for a global.
 */
public final class OpenAiInstrumenter {

  /** The diagnostic of a call no transport read, before the name of the instrumentation that saw it. */
  public static final String UNCAPTURED_DIAGNOSTIC = "uncaptured transport: ";

  private final TokenLedgerConfig config;
  private final TokenLedgerTelemetry telemetry;
  private final UsageEmitter emitter;

  private OpenAiInstrumenter(OpenTelemetry openTelemetry, TokenLedgerConfig config) {
    this.config = config;
    this.telemetry = new TokenLedgerTelemetry(openTelemetry);
    this.emitter = new UsageEmitter(telemetry, config.captureRawUsage());
  }

  /** An instrumenter writing to {@code openTelemetry} with {@code config}'s settings. */
  public static OpenAiInstrumenter create(OpenTelemetry openTelemetry, TokenLedgerConfig config) {
    return new OpenAiInstrumenter(openTelemetry, config);
  }

  /** An instrumenter with the settings of this JVM's system properties and environment. */
  public static OpenAiInstrumenter create(OpenTelemetry openTelemetry) {
    return create(openTelemetry, TokenLedgerConfig.fromEnvironment());
  }

  /**
   * True when {@code host} is configured as OpenAI: for a transport that must keep something of a
   * request (a header its client hides later) before the call can start. Never throws.
   */
  public boolean isOpenAiHost(String host) {
    try {
      return host != null && config.hosts().matches(host);
    } catch (Throwable t) {
      return false;
    }
  }

  /**
   * Starts tracking a request, or returns {@code null} when it is not a billable call to a host
   * configured as OpenAI. {@code body} may be null when the transport cannot read the request body
   * without side effects; the record then lacks what only the request says (e.g. the requested
   * model, speech characters) unless the transport feeds {@link OpenAiCall#scanRequestBody}. Never
   * throws.
   */
  public OpenAiCall startCall(
      String method,
      String host,
      int port,
      String path,
      String rawQuery,
      Headers requestHeaders,
      byte[] body,
      int bodyLength,
      String contentType) {
    try {
      if (host == null || !config.hosts().matches(host)) {
        return null;
      }
      OpenAiEndpoint endpoint = OpenAiEndpoint.classify(method, path, rawQuery);
      if (endpoint == null) {
        return null;
      }
      RequestInfo request =
          body == null ? RequestInfo.unknown() : RequestInfo.parse(endpoint, body, bodyLength, contentType);
      Context parent = Context.current();
      UsageOrigin origin =
          UsageOrigin.ofRequest(host, port, endpoint, requestHeaders, Attribution.of(parent, config.useCaseRules()));
      return new OpenAiCall(endpoint, request, origin, parent, telemetry.tracer, emitter);
    } catch (Throwable t) {
      RateLimitedLog.warn("call-start", "TokenLedger could not start tracking an OpenAI call: " + t);
      return null;
    }
  }

  /**
   * Starts tracking a WebSocket connection, or returns null when the URI is not a Realtime endpoint
   * on a host configured as OpenAI. {@code requestHeaders} may be null when the client does not show
   * them. Never throws.
   */
  public RealtimeConnection startConnection(
      String host, int port, String path, String rawQuery, Headers requestHeaders) {
    try {
      if (host == null || !config.hosts().matches(host)) {
        return null;
      }
      RealtimeEndpoint endpoint = RealtimeEndpoint.classify(path, rawQuery);
      if (endpoint == null) {
        return null;
      }
      Context parent = Context.current();
      UsageOrigin origin =
          UsageOrigin.ofRequest(
              host, port, endpoint.isAzure(), endpoint.azureDeployment(), endpoint.azureApiVersion(),
              requestHeaders, rawQuery, Attribution.of(parent, config.useCaseRules()));
      return new RealtimeConnection(endpoint, origin, parent, telemetry.tracer, emitter);
    } catch (Throwable t) {
      RateLimitedLog.warn("realtime-start", "TokenLedger could not start tracking a Realtime connection: " + t);
      return null;
    }
  }

  /** As {@link #startConnection(String, int, String, String, Headers)} for a {@code ws:}/{@code wss:} URI. */
  public RealtimeConnection startConnection(URI uri, Headers requestHeaders) {
    if (uri == null) {
      return null;
    }
    return startConnection(uri.getHost(), uri.getPort(), uri.getRawPath(), uri.getRawQuery(), requestHeaders);
  }

  /**
   * Records a call to a host configured as OpenAI that another instrumentation saw (its HTTP client
   * span, named {@code instrumentation}) and no TokenLedger transport read. It is recorded as a
   * transport records a response it could not read: source {@code missing}, zero tokens, the
   * diagnostic {@code uncaptured transport: <instrumentation>}; an error response (HTTP &ge; 400)
   * and a failure before any response ({@code httpStatus} 0 and an {@code errorType}) are counted as
   * the transports count theirs, without a ledger row. A Realtime handshake ({@code GET} of a
   * Realtime path) the server accepted (101, or no status and no error) makes one such record for the
   * whole connection. {@code context} holds the other instrumentation's span, so the record links to
   * its trace. Starts no span. Never throws.
   */
  public void recordUncaptured(
      Context context,
      String instrumentation,
      String method,
      String host,
      int port,
      String path,
      String rawQuery,
      int httpStatus,
      String errorType) {
    try {
      if (host == null || !config.hosts().matches(host)) {
        return;
      }
      ResponseUsage missing = ResponseUsage.missing(UNCAPTURED_DIAGNOSTIC + instrumentation);
      boolean failedBeforeResponse = httpStatus <= 0 && errorType != null;
      OpenAiEndpoint endpoint = OpenAiEndpoint.classify(method, host, path, rawQuery);
      if (endpoint != null) {
        UsageOrigin origin =
            UsageOrigin.ofRequest(host, port, endpoint, null, Attribution.of(context, config.useCaseRules()));
        // What the path says; the request body that would name the model was not read.
        String requestModel = endpoint.azureDeployment();
        OpenAiApi api = endpoint.api();
        if (failedBeforeResponse) {
          emitter.countFailedRequest(origin, api, requestModel, errorType);
        } else if (httpStatus >= 400) {
          // A failed Batch file download is not a model request (see ErrorBodyReader).
          if (api != OpenAiApi.BATCH_OUTPUT) {
            ResponseUsage error =
                ResponseUsage.of(
                    api, TokenUsage.zero(), ResponseUsage.SOURCE_NONE, ResponseUsage.STATUS_ERROR, null, null,
                    missing.diagnostic());
            emitter.emit(
                UsageRecord.builder(origin, api, error, context)
                    .requestModel(requestModel)
                    .status(ResponseUsage.STATUS_ERROR)
                    .httpStatus(httpStatus)
                    .build());
          }
        } else {
          emitter.emit(
              UsageRecord.builder(origin, api, missing, context)
                  .requestModel(requestModel)
                  .status(ResponseUsage.STATUS_COMPLETED)
                  .httpStatus(httpStatus)
                  .build());
        }
        return;
      }
      RealtimeEndpoint realtime = "GET".equalsIgnoreCase(method) ? RealtimeEndpoint.classify(path, rawQuery) : null;
      if (realtime != null && (httpStatus == 101 || (httpStatus <= 0 && !failedBeforeResponse))) {
        UsageOrigin origin =
            UsageOrigin.ofRequest(
                host, port, realtime.isAzure(), realtime.azureDeployment(), realtime.azureApiVersion(), null,
                rawQuery, Attribution.of(context, config.useCaseRules()));
        emitter.countRealtimeConnection(origin, realtime.requestModel());
        emitter.emit(
            UsageRecord.builder(
                    origin,
                    realtime.transcriptionIntent() ? OpenAiApi.REALTIME_TRANSCRIPTION : OpenAiApi.REALTIME,
                    missing,
                    context)
                .requestModel(realtime.requestModel())
                .status(ResponseUsage.STATUS_COMPLETED)
                .build());
      }
    } catch (Throwable t) {
      RateLimitedLog.warn("uncaptured-record", "TokenLedger could not record an uncaptured OpenAI call: " + t);
    }
  }
}
