package dev.tokenledger.agent;

import static dev.tokenledger.agent.TokenLedgerAttributes.*;
import static dev.tokenledger.agent.UsageEmitter.setIfPresent;

import dev.tokenledger.usage.ByteSink;
import dev.tokenledger.usage.OpenAiApi;
import dev.tokenledger.usage.OpenAiEndpoint;
import dev.tokenledger.usage.RateLimitedLog;
import dev.tokenledger.usage.RequestInfo;
import dev.tokenledger.usage.ResponseBodyCollector;
import dev.tokenledger.usage.ResponseUsage;
import dev.tokenledger.usage.ResponseUsageSink;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One OpenAI HTTP request as every transport sees it: started when the request leaves
 * ({@link OpenAiInstrumenter#startCall}), fed the response bytes as the application reads them, ended
 * exactly once when the body ends, is closed, or the transport fails. Transports only translate
 * their own types into these calls; reading usage lives in {@link ResponseBodyCollector}, and at the
 * end this call makes its {@link UsageRecord}s and hands them to the {@link UsageEmitter}. A Batch
 * output download is the exception: each line's record is emitted as soon as its line has been read,
 * so that a download holds no records whatever the file's size.
 *
 * <p>Every public method is safe to call from instrumentation: none throws.
 */
public final class OpenAiCall implements ByteSink {

  private final OpenAiEndpoint endpoint;
  private final UsageEmitter emitter;
  private final long startNanos;
  private final Context context;
  private final Span span;
  /** What the request body says; known at start for small bodies, else once the body is written. */
  private volatile RequestInfo request;
  /** The request's origin, completed from the response head when it arrives. */
  private volatile UsageOrigin origin;
  private volatile int httpStatus;
  private volatile long firstChunkNanos;
  private volatile RequestInfo.Scanner requestScanner;
  private volatile ResponseBodyCollector collector;
  private final AtomicBoolean ended = new AtomicBoolean();

  /** A Batch output line's record, emitted on the thread reading the file, when its line ends. */
  private final ResponseUsageSink batchLines =
      new ResponseUsageSink() {
        @Override
        public void accept(ResponseUsage usage) {
          emitter.emit(record(usage, origin, request, httpStatus, null));
        }
      };

  /** Response time of a Batch line further ahead of this clock than this is not believed. */
  static final long MAX_LINE_TIME_AHEAD_SECONDS = 3600;

  OpenAiCall(
      OpenAiEndpoint endpoint,
      RequestInfo request,
      UsageOrigin origin,
      Context parent,
      Tracer tracer,
      UsageEmitter emitter) {
    this.endpoint = endpoint;
    this.request = request;
    this.origin = origin;
    this.emitter = emitter;
    this.startNanos = System.nanoTime();

    SpanBuilder builder =
        tracer
            .spanBuilder(spanName())
            .setSpanKind(SpanKind.CLIENT)
            .setParent(parent)
            // Set at creation: samplers may decide on them.
            .setAttribute(GEN_AI_OPERATION_NAME, endpoint.operationName())
            .setAttribute(GEN_AI_PROVIDER_NAME, origin.providerName)
            .setAttribute(SERVER_ADDRESS, origin.serverAddress)
            .setAttribute(API, endpoint.api().apiName());
    if (requestModel() != null) {
      builder.setAttribute(GEN_AI_REQUEST_MODEL, requestModel());
    }
    if (origin.serverPort > 0) {
      builder.setAttribute(SERVER_PORT, (long) origin.serverPort);
    }
    this.span = builder.startSpan();
    setIfPresent(span, OPENAI_API_TYPE, endpoint.api().openaiApiType());
    describeRequest();
    this.context = parent.with(span);
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

  /**
   * The request's headers as the client sent them, when they can differ from those the call
   * started with (a client's own interceptors add a key or a project later): the key, project and
   * organization they name attribute the call. Before {@link #onResponse}.
   */
  public void onRequestSent(Headers sentHeaders) {
    try {
      origin = origin.withSentRequest(sentHeaders);
    } catch (Throwable t) {
      RateLimitedLog.warn("call-request", "TokenLedger could not read the headers of a sent OpenAI request: " + t);
    }
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
      origin = origin.withResponse(responseHeaders);
      collector =
          ResponseBodyCollector.create(
              endpoint,
              request,
              status,
              responseHeaders.get("Content-Type"),
              responseHeaders.get("Content-Encoding"));
      if (isBatchOutput()) {
        collector.streamRecordsTo(batchLines);
      }
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
   * closed it early or the transport failed. Emits the usage record(s); later calls do nothing.
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
      if (usages == null || (usages.isEmpty() && !isBatchOutput())) {
        // A response head without a collector (it could not be built): still never silent. A Batch
        // download has emitted its lines' records already, and a file without usage lines (or a
        // failed download) is not a model request.
        usages = Collections.singletonList(ResponseUsage.missing("response could not be read"));
      }
      emitRecords(usages);
    } catch (Throwable t) {
      RateLimitedLog.warn("call-end", "TokenLedger could not record an OpenAI response: " + t);
    } finally {
      endSpan(error);
    }
  }

  private void emitRecords(List<ResponseUsage> usages) {
    UsageOrigin origin = this.origin;
    RequestInfo request = this.request;
    int status = httpStatus;
    // One response, one span to state its usage on; a Batch file's many lines each have their own.
    Span usageSpan = usages.size() == 1 && !isBatchOutput() ? span : null;
    for (ResponseUsage usage : usages) {
      emitter.emit(record(usage, origin, request, status, usageSpan));
    }
    if (usageSpan != null || isBatchOutput()) {
      describeOrigin(origin, status, request.stream());
    }
    if (status > 0 && status < 400) {
      long firstChunk = firstChunkNanos;
      emitter.recordDuration(
          origin, endpoint.api(), requestModel(), secondsSince(startNanos, System.nanoTime()),
          request.stream() && firstChunk != 0 ? secondsSince(startNanos, firstChunk) : -1);
    }
  }

  private UsageRecord record(ResponseUsage usage, UsageOrigin origin, RequestInfo request, int status, Span usageSpan) {
    UsageRecord.Builder record =
        UsageRecord.builder(origin, endpoint.api(), usage, context)
            .requestModel(requestModel())
            .status(usage.status() != null ? usage.status() : status >= 400 ? "error" : "completed")
            .stream(request.stream())
            .httpStatus(status)
            .span(usageSpan);
    if (usage.batch()) {
      record.recordId(RecordIds.ofBatchLine(endpoint.fileId(), batchLineKey(usage))).timestamp(lineTime(usage));
    }
    return record.build();
  }

  /** What tells a Batch line from the other lines of its file: its id, else its custom id, else its place. */
  static String batchLineKey(ResponseUsage usage) {
    if (usage.batchRequestId() != null) {
      return usage.batchRequestId();
    }
    if (usage.batchCustomId() != null) {
      return "custom_id:" + usage.batchCustomId();
    }
    return "line:" + usage.batchLine();
  }

  /**
   * When a Batch line's response was made, as the line says it; null (the time it is read) when it
   * does not say, or says a time more than {@link #MAX_LINE_TIME_AHEAD_SECONDS} ahead of this clock.
   */
  static Instant lineTime(ResponseUsage usage) {
    long seconds = usage.completedAtEpochSeconds();
    if (seconds <= 0) {
      return null;
    }
    Instant time = Instant.ofEpochSecond(seconds);
    return time.isAfter(Instant.now().plusSeconds(MAX_LINE_TIME_AHEAD_SECONDS)) ? null : time;
  }

  private boolean isBatchOutput() {
    return endpoint.api() == OpenAiApi.BATCH_OUTPUT;
  }

  /** The call's own attributes on its span, beside the response's usage the emitter states. */
  private void describeOrigin(UsageOrigin origin, int status, boolean stream) {
    setIfPresent(span, OPENAI_REQUEST_ID, origin.requestId);
    setIfPresent(span, OPENAI_PROJECT, origin.project);
    setIfPresent(span, API_KEY_FINGERPRINT, origin.apiKeyFingerprint);
    setIfPresent(span, USE_CASE, origin.attribution.useCase);
    setIfPresent(span, ENDUSER_ID, origin.attribution.enduserId);
    if (status > 0) {
      span.setAttribute(HTTP_RESPONSE_STATUS_CODE, (long) status);
    }
    long firstChunk = firstChunkNanos;
    if (stream && firstChunk != 0) {
      span.setAttribute(GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, secondsSince(startNanos, firstChunk));
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
      emitter.countFailedRequest(origin, endpoint.api(), requestModel(), error.getClass().getName());
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

  private String requestModel() {
    String model = request.model();
    if (model == null && endpoint.azureDeployment() != null) {
      // Azure names the deployment in the path; the model behind it comes back in the response.
      model = endpoint.azureDeployment();
    }
    return model;
  }

  private static double secondsSince(long startNanos, long nanos) {
    return (nanos - startNanos) / 1e9;
  }
}
