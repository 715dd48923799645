package dev.tokenledger.agent;

import static dev.tokenledger.agent.TokenLedgerAttributes.*;

import dev.tokenledger.usage.ApiKeyFingerprint;
import dev.tokenledger.usage.ByteSink;
import dev.tokenledger.usage.OpenAiEndpoint;
import dev.tokenledger.usage.RateLimitedLog;
import dev.tokenledger.usage.RequestInfo;
import dev.tokenledger.usage.ResponseBodyCollector;
import dev.tokenledger.usage.ResponseUsage;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One OpenAI HTTP request as every transport sees it: started when the request leaves, fed the
 * response bytes as the application reads them, ended exactly once when the body ends, is closed,
 * or the transport fails. Transports only translate their own types into these calls; everything
 * about usage lives in {@link ResponseBodyCollector} and everything about telemetry in
 * {@link UsageEmitter}.
 *
 * <p>Every public method is safe to call from instrumentation: none throws.
 */
public final class OpenAiCall implements ByteSink {

  final OpenAiEndpoint endpoint;
  /** What the request body says; known at start for small bodies, else once the body is written. */
  volatile RequestInfo request;
  final String serverAddress;
  final int serverPort;
  final String providerName;
  final String apiKeyFingerprint;
  final Attribution attribution;
  final long startNanos;
  final Context context;
  final Span span;

  String project;
  String organization;
  String requestId;
  int httpStatus;
  volatile long firstChunkNanos;
  private volatile RequestInfo.Scanner requestScanner;
  private volatile ResponseBodyCollector collector;
  private final AtomicBoolean ended = new AtomicBoolean();

  private OpenAiCall(
      OpenAiEndpoint endpoint,
      RequestInfo request,
      String serverAddress,
      int serverPort,
      Headers requestHeaders,
      Context parent) {
    this.endpoint = endpoint;
    this.request = request;
    this.serverAddress = serverAddress;
    this.serverPort = serverPort;
    this.providerName = endpoint.isAzure() || isAzureHost(serverAddress) ? "azure.ai.openai" : "openai";
    this.apiKeyFingerprint = fingerprint(requestHeaders);
    this.project = requestHeaders.get("OpenAI-Project");
    this.organization = requestHeaders.get("OpenAI-Organization");
    this.attribution = Attribution.of(parent, TokenLedgerConfig.get().useCaseRules());
    this.startNanos = System.nanoTime();

    SpanBuilder builder =
        TokenLedgerTelemetry.get()
            .tracer
            .spanBuilder(spanName())
            .setSpanKind(SpanKind.CLIENT)
            .setParent(parent)
            // Set at creation: samplers may decide on them.
            .setAttribute(GEN_AI_OPERATION_NAME, endpoint.operationName())
            .setAttribute(GEN_AI_PROVIDER_NAME, providerName)
            .setAttribute(SERVER_ADDRESS, serverAddress)
            .setAttribute(API, endpoint.api());
    if (requestModel() != null) {
      builder.setAttribute(GEN_AI_REQUEST_MODEL, requestModel());
    }
    if (serverPort > 0) {
      builder.setAttribute(SERVER_PORT, (long) serverPort);
    }
    this.span = builder.startSpan();
    if ("chat.completions".equals(endpoint.api())) {
      span.setAttribute(OPENAI_API_TYPE, "chat_completions");
    } else if ("responses".equals(endpoint.api())) {
      span.setAttribute(OPENAI_API_TYPE, "responses");
    }
    describeRequest();
    this.context = parent.with(span);
  }

  /**
   * Starts tracking a request, or returns {@code null} when it is not a billable call to a host
   * configured as OpenAI. {@code body} may be null when the transport cannot read the request body
   * without side effects; the record then lacks what only the request says (e.g. the requested
   * model, speech characters).
   */
  public static OpenAiCall start(
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
      if (host == null || !TokenLedgerConfig.get().hosts().matches(host)) {
        return null;
      }
      OpenAiEndpoint endpoint = OpenAiEndpoint.classify(method, path, rawQuery);
      if (endpoint == null) {
        return null;
      }
      RequestInfo request =
          body == null ? RequestInfo.unknown() : RequestInfo.parse(endpoint, body, bodyLength, contentType);
      return new OpenAiCall(endpoint, request, host, port, requestHeaders, Context.current());
    } catch (Throwable t) {
      RateLimitedLog.warn("call-start", "TokenLedger could not start tracking an OpenAI call: " + t);
      return null;
    }
  }

  /**
   * For a request body the transport could not copy up front (one-shot, or large): the transport
   * feeds it to the returned scanner as the client writes it, and the call reads the result when the
   * response arrives.
   */
  public RequestInfo.Scanner scanRequestBody(String contentType) {
    RequestInfo.Scanner scanner = RequestInfo.scanner(endpoint, contentType);
    requestScanner = scanner;
    return scanner;
  }

  private void describeRequest() {
    RequestInfo info = request;
    if (info.stream()) {
      span.setAttribute(GEN_AI_REQUEST_STREAM, true);
    }
    if (info.requestedServiceTier() != null) {
      span.setAttribute(OPENAI_REQUEST_SERVICE_TIER, info.requestedServiceTier());
    }
  }

  private String spanName() {
    String model = requestModel();
    return model == null ? endpoint.operationName() : endpoint.operationName() + " " + model;
  }

  /** The context the transport's own work (its HTTP client span) should run in. */
  public Context context() {
    return context;
  }

  public Scope makeCurrent() {
    return context.makeCurrent();
  }

  /** The response status line and headers have arrived; the body has not been read yet. */
  public void onResponse(int status, Headers responseHeaders) {
    try {
      httpStatus = status;
      RequestInfo.Scanner scanner = requestScanner;
      if (scanner != null) {
        request = scanner.finish();
        if (request.model() != null) {
          span.updateName(spanName());
          span.setAttribute(GEN_AI_REQUEST_MODEL, requestModel());
        }
        describeRequest();
      }
      requestId = responseHeaders.get("x-request-id");
      String responseProject = responseHeaders.get("openai-project");
      if (responseProject != null && project == null) {
        project = responseProject;
      }
      String responseOrganization = responseHeaders.get("openai-organization");
      if (responseOrganization != null && organization == null) {
        organization = responseOrganization;
      }
      collector =
          ResponseBodyCollector.create(
              endpoint,
              request,
              status,
              responseHeaders.get("Content-Type"),
              responseHeaders.get("Content-Encoding"));
    } catch (Throwable t) {
      RateLimitedLog.warn("call-response", "TokenLedger could not read an OpenAI response head: " + t);
    }
  }

  /** Bytes of the response body, exactly as the application is reading them. */
  @Override
  public void onBytes(byte[] bytes, int offset, int length) {
    if (length <= 0) {
      return;
    }
    markFirstChunk();
    ResponseBodyCollector current = collector;
    if (current != null) {
      current.onBytes(bytes, offset, length);
    }
  }

  /** Bytes of the response body; the buffer's position and limit are left untouched. */
  public void onBytes(ByteBuffer buffer) {
    if (!buffer.hasRemaining()) {
      return;
    }
    markFirstChunk();
    ResponseBodyCollector current = collector;
    if (current != null) {
      current.onBytes(buffer);
    }
  }

  private void markFirstChunk() {
    if (firstChunkNanos == 0) {
      firstChunkNanos = System.nanoTime();
    }
  }

  /**
   * The body is over: {@code reachedEnd} when it was read to its end, false when the application
   * closed it early or the transport failed mid-body. Emits the usage record(s); later calls do
   * nothing.
   */
  public void end(boolean reachedEnd) {
    endResponse(reachedEnd, null);
  }

  private void endResponse(boolean reachedEnd, Throwable error) {
    if (!ended.compareAndSet(false, true)) {
      return;
    }
    try {
      ResponseBodyCollector current = collector;
      List<ResponseUsage> usages = current == null ? null : current.finish(reachedEnd);
      if (usages == null || usages.isEmpty()) {
        // A response head without a collector (it could not be built): still never silent.
        usages = java.util.Collections.singletonList(ResponseUsage.missing("response could not be read"));
      }
      UsageEmitter.emit(this, usages);
    } catch (Throwable t) {
      RateLimitedLog.warn("call-end", "TokenLedger could not record an OpenAI response: " + t);
    } finally {
      endSpan(error);
    }
  }

  /**
   * The transport failed. Before any response head, that is a failed request with no tokens. After
   * one, the provider answered and may bill the call: the body failed, which makes a response
   * without readable usage (a client can report the body's failure to the caller before its body
   * subscriber hears of it, so this path must give the same record as the subscriber's).
   */
  public void endWithError(Throwable error) {
    if (collector != null) {
      endResponse(false, error);
      return;
    }
    if (!ended.compareAndSet(false, true)) {
      return;
    }
    try {
      UsageEmitter.emitTransportFailure(this, error);
    } catch (Throwable t) {
      RateLimitedLog.warn("call-end", "TokenLedger could not record a failed OpenAI call: " + t);
    } finally {
      endSpan(error);
    }
  }

  private void endSpan(Throwable error) {
    try {
      if (error != null) {
        span.setStatus(StatusCode.ERROR);
        span.setAttribute(ERROR_TYPE, error.getClass().getName());
      } else if (httpStatus >= 400) {
        span.setStatus(StatusCode.ERROR);
        span.setAttribute(ERROR_TYPE, Integer.toString(httpStatus));
      }
      span.end();
    } catch (Throwable t) {
      RateLimitedLog.warn("call-end", "TokenLedger could not end a span: " + t);
    }
  }

  String requestModel() {
    String model = request.model();
    if (model == null && endpoint.azureDeployment() != null) {
      // Azure names the deployment in the path; the model behind it comes back in the response.
      model = endpoint.azureDeployment();
    }
    return model;
  }

  double secondsSinceStart() {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  /** Attributes every signal carries, low-cardinality ones only (metrics get exactly these). */
  void putCommonMetricAttributes(AttributesBuilder attributes) {
    attributes.put(GEN_AI_PROVIDER_NAME, providerName);
    attributes.put(GEN_AI_OPERATION_NAME, endpoint.operationName());
    attributes.put(API, endpoint.api());
    attributes.put(SERVER_ADDRESS, serverAddress);
    putIfPresent(attributes, GEN_AI_REQUEST_MODEL, requestModel());
    putIfPresent(attributes, OPENAI_PROJECT, project);
    putIfPresent(attributes, API_KEY_FINGERPRINT, apiKeyFingerprint);
    putIfPresent(attributes, USE_CASE, attribution.useCase);
  }

  static <T> void putIfPresent(AttributesBuilder attributes, io.opentelemetry.api.common.AttributeKey<T> key, T value) {
    if (isPresent(value)) {
      attributes.put(key, value);
    }
  }

  /** An attribute value worth writing: telemetry carries no nulls and no empty strings. */
  static boolean isPresent(Object value) {
    return value != null && !(value instanceof String && ((String) value).isEmpty());
  }

  private static String fingerprint(Headers headers) {
    String authorization = headers.get("Authorization");
    if (authorization == null) {
      authorization = headers.get("api-key");
    }
    return ApiKeyFingerprint.of(authorization);
  }

  private static boolean isAzureHost(String host) {
    String lower = host.toLowerCase(java.util.Locale.ROOT);
    return lower.endsWith(".openai.azure.com") || lower.endsWith(".cognitiveservices.azure.com");
  }
}
