package dev.tokenledger.agent;

import static dev.tokenledger.agent.OpenAiCall.putIfPresent;
import static dev.tokenledger.agent.TokenLedgerAttributes.*;

import dev.tokenledger.realtime.RealtimeConnectionState;
import dev.tokenledger.usage.ResponseUsage;
import dev.tokenledger.usage.TokenUsage;
import dev.tokenledger.usage.UsageField;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.logs.LogRecordBuilder;
import io.opentelemetry.api.logs.Severity;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import java.time.Instant;
import java.util.List;

/**
 * Turns the usage of one response into the signals of DESIGN §2.2: the {@code tokenledger.usage}
 * event (the ledger row), the metrics, and the GenAI span attributes. The ledger event carries every
 * export-vocabulary field under {@code tokenledger.usage.*}; the span carries the conventions'
 * {@code gen_ai.usage.*} names with the conventions' meaning (modality input counts include their
 * cached part).
 */
final class UsageEmitter {

  static final String USAGE_EVENT_NAME = "tokenledger.usage";

  /** Sources of a usage record; "none" marks an error response, which carries no tokens. */
  static final String SOURCE_NONE = "none";

  static void emit(OpenAiCall call, List<ResponseUsage> usages) {
    TokenLedgerTelemetry telemetry = TokenLedgerTelemetry.get();
    for (ResponseUsage usage : usages) {
      AttributesBuilder metricAttributes = Attributes.builder();
      call.putCommonMetricAttributes(metricAttributes);
      putIfPresent(metricAttributes, GEN_AI_RESPONSE_MODEL, usage.responseModel());
      putIfPresent(metricAttributes, OPENAI_RESPONSE_SERVICE_TIER, usage.serviceTier());
      metricAttributes.put(STATUS, status(call, usage));
      metricAttributes.put(USAGE_SOURCE, usage.source());
      if (usage.batch()) {
        metricAttributes.put(BATCH, true);
      }
      Attributes common = metricAttributes.build();

      telemetry.requests.add(1, common);
      if (SOURCE_NONE.equals(usage.source())) {
        continue; // an error response: counted as a request, no ledger row, no tokens
      }
      recordTokenMetrics(telemetry, usage, common);
      emitLedgerEvent(telemetry, call, usage, common);
    }
    if (usages.size() == 1) {
      annotateSpan(call, usages.get(0));
    }
    if (call.httpStatus > 0 && call.httpStatus < 400) {
      AttributesBuilder duration = Attributes.builder();
      call.putCommonMetricAttributes(duration);
      telemetry.operationDuration.record(call.secondsSinceStart(), duration.build());
      long firstChunk = call.firstChunkNanos;
      if (call.request.stream() && firstChunk != 0) {
        telemetry.timeToFirstChunk.record((firstChunk - call.startNanos) / 1e9, duration.build());
      }
    }
  }

  static void emitTransportFailure(OpenAiCall call, Throwable error) {
    AttributesBuilder attributes = Attributes.builder();
    call.putCommonMetricAttributes(attributes);
    attributes.put(STATUS, "error");
    attributes.put(USAGE_SOURCE, SOURCE_NONE);
    attributes.put(ERROR_TYPE, error.getClass().getName());
    TokenLedgerTelemetry.get().requests.add(1, attributes.build());
  }

  private static String status(OpenAiCall call, ResponseUsage usage) {
    if (usage.status() != null) {
      return usage.status();
    }
    return call.httpStatus >= 400 ? "error" : "completed";
  }

  private static void recordTokenMetrics(TokenLedgerTelemetry telemetry, ResponseUsage usage, Attributes common) {
    recordTokenMetrics(telemetry, usage, TokenSeries.of(common));
  }

  private static void recordTokenMetrics(TokenLedgerTelemetry telemetry, ResponseUsage usage, TokenSeries series) {
    TokenUsage tokens = usage.usage();
    if ("reported".equals(usage.source())) {
      // The conventions' histogram: billable totals, one point per token type, reported usage only.
      telemetry.tokenUsage.record(tokens.get(UsageField.INPUT_TOKENS), series.get(TokenSeries.INPUT_TOTAL));
      telemetry.tokenUsage.record(tokens.get(UsageField.OUTPUT_TOKENS), series.get(TokenSeries.OUTPUT_TOTAL));
    }
    // Partitions that add up to the totals: each token is counted in exactly one series.
    addTokens(telemetry, series, TokenSeries.INPUT_TEXT_UNCACHED, tokens.get(UsageField.INPUT_TEXT_TOKENS));
    addTokens(telemetry, series, TokenSeries.INPUT_AUDIO_UNCACHED, tokens.get(UsageField.INPUT_AUDIO_TOKENS));
    addTokens(telemetry, series, TokenSeries.INPUT_IMAGE_UNCACHED, tokens.get(UsageField.INPUT_IMAGE_TOKENS));
    addTokens(telemetry, series, TokenSeries.INPUT_TEXT_CACHED, tokens.get(UsageField.INPUT_CACHED_TEXT_TOKENS));
    addTokens(telemetry, series, TokenSeries.INPUT_AUDIO_CACHED, tokens.get(UsageField.INPUT_CACHED_AUDIO_TOKENS));
    addTokens(telemetry, series, TokenSeries.INPUT_IMAGE_CACHED, tokens.get(UsageField.INPUT_CACHED_IMAGE_TOKENS));
    // Providers report cache writes without a modality: they are text prompts in practice.
    addTokens(telemetry, series, TokenSeries.INPUT_TEXT_CACHE_WRITE, tokens.get(UsageField.INPUT_CACHE_WRITE_TOKENS));
    addTokens(telemetry, series, TokenSeries.OUTPUT_TEXT, tokens.get(UsageField.OUTPUT_TEXT_TOKENS));
    addTokens(telemetry, series, TokenSeries.OUTPUT_AUDIO, tokens.get(UsageField.OUTPUT_AUDIO_TOKENS));
    addTokens(telemetry, series, TokenSeries.OUTPUT_IMAGE, tokens.get(UsageField.OUTPUT_IMAGE_TOKENS));
    if (tokens.audioSeconds() > 0) {
      telemetry.audioDuration.add(tokens.audioSeconds(), series.common);
    }
    if (tokens.inputCharacters() > 0) {
      telemetry.speechCharacters.add(tokens.inputCharacters(), series.common);
    }
  }

  private static void addTokens(TokenLedgerTelemetry telemetry, TokenSeries series, int slot, long count) {
    if (count > 0) {
      telemetry.tokens.add(count, series.get(slot));
    }
  }

  private static void emitLedgerEvent(
      TokenLedgerTelemetry telemetry, OpenAiCall call, ResponseUsage usage, Attributes common) {
    LogRecordBuilder event = ledgerEvent(telemetry, usage, common, call.context);
    setIfPresent(event, OPENAI_REQUEST_ID, call.requestId);
    setIfPresent(event, OPENAI_ORGANIZATION, call.organization);
    setIfPresent(event, ENDUSER_ID, call.attribution.enduserId);
    setIfPresent(event, AZURE_DEPLOYMENT, call.endpoint.azureDeployment());
    setIfPresent(event, AZURE_API_VERSION, call.endpoint.azureApiVersion());
    if (call.request.stream()) {
      event.setAttribute(GEN_AI_REQUEST_STREAM, true);
    }
    if (call.httpStatus > 0) {
      event.setAttribute(HTTP_RESPONSE_STATUS_CODE, (long) call.httpStatus);
    }
    if (call.serverPort > 0) {
      event.setAttribute(SERVER_PORT, (long) call.serverPort);
    }
    event.emit();
  }

  /** The ledger row every transport writes: the record's numbers, ids and diagnostic. */
  private static LogRecordBuilder ledgerEvent(
      TokenLedgerTelemetry telemetry, ResponseUsage usage, Attributes common, Context context) {
    TokenUsage tokens = usage.usage();
    LogRecordBuilder event =
        telemetry
            .logger
            .logRecordBuilder()
            .setEventName(USAGE_EVENT_NAME)
            .setTimestamp(Instant.now())
            .setContext(context)
            .setSeverity(Severity.INFO)
            .setAllAttributes(common);
    for (UsageField field : UsageField.values()) {
      event.setAttribute(USAGE_FIELDS.get(field), tokens.get(field));
    }
    event.setAttribute(USAGE_SPLIT, tokens.splitInferred() ? "inferred" : "reported");
    if (tokens.audioSeconds() > 0) {
      event.setAttribute(USAGE_AUDIO_SECONDS, tokens.audioSeconds());
    }
    if (tokens.inputCharacters() > 0) {
      event.setAttribute(USAGE_INPUT_CHARACTERS, tokens.inputCharacters());
    }
    setIfPresent(event, USAGE_RAW, TokenLedgerConfig.get().captureRawUsage() ? tokens.rawJson() : null);
    setIfPresent(event, USAGE_DIAGNOSTIC, usage.diagnostic());
    setIfPresent(event, GEN_AI_RESPONSE_ID, usage.responseId());
    setIfPresent(event, OPENAI_RESPONSE_SYSTEM_FINGERPRINT, usage.systemFingerprint());
    if (!usage.batch()) {
      event.setAttribute(BATCH, false);
    }
    return event;
  }

  // ---- Realtime ----

  /**
   * One Realtime usage record (a {@code response.done} or an input transcription), emitted the
   * moment its event was read; {@code responseSpan} is the response's span, still open (the caller
   * ends it), or null (transcriptions).
   */
  static void emitRealtime(RealtimeConnection connection, ResponseUsage usage, String requestModel, Span responseSpan) {
    TokenLedgerTelemetry telemetry = TokenLedgerTelemetry.get();
    TokenSeries series = connection.metricSeries(usage, requestModel);
    Attributes common = series.common;
    telemetry.requests.add(1, common);
    recordTokenMetrics(telemetry, usage, series);
    Context context = responseSpan != null ? connection.context.with(responseSpan) : connection.context;
    LogRecordBuilder event = ledgerEvent(telemetry, usage, common, context);
    setIfPresent(event, SESSION_ID, connection.sessionId());
    event.setAttribute(CONNECTION_ID, connection.connectionId);
    setIfPresent(event, OPENAI_REQUEST_ID, connection.requestId);
    setIfPresent(event, OPENAI_ORGANIZATION, connection.organization);
    setIfPresent(event, ENDUSER_ID, connection.attribution.enduserId);
    setIfPresent(event, AZURE_DEPLOYMENT, connection.endpoint.azureDeployment());
    setIfPresent(event, AZURE_API_VERSION, connection.endpoint.azureApiVersion());
    if (connection.serverPort > 0) {
      event.setAttribute(SERVER_PORT, (long) connection.serverPort);
    }
    event.emit();
    if (responseSpan != null) {
      setIfPresent(responseSpan, GEN_AI_RESPONSE_MODEL, usage.responseModel());
      setIfPresent(responseSpan, GEN_AI_RESPONSE_ID, usage.responseId());
      responseSpan.setAttribute(STATUS, usage.status());
      responseSpan.setAttribute(USAGE_SOURCE, usage.source());
      if (ResponseUsage.SOURCE_REPORTED.equals(usage.source())) {
        setUsageAttributes(responseSpan, usage.usage());
      }
    }
  }

  /** A Realtime {@code error} event: a failed request, no ledger row, no tokens. */
  static void emitRealtimeError(RealtimeConnection connection, String requestModel, String errorType) {
    AttributesBuilder attributes = Attributes.builder();
    connection.putCommonMetricAttributes(attributes, RealtimeConnectionState.API_REALTIME, requestModel);
    attributes.put(STATUS, "error");
    attributes.put(USAGE_SOURCE, SOURCE_NONE);
    putIfPresent(attributes, ERROR_TYPE, errorType);
    TokenLedgerTelemetry.get().requests.add(1, attributes.build());
  }

  /** tokenledger.realtime.connections: one per WebSocket connection to a Realtime endpoint. */
  static void countRealtimeConnection(RealtimeConnection connection) {
    AttributesBuilder attributes = Attributes.builder();
    attributes.put(SERVER_ADDRESS, connection.serverAddress);
    putIfPresent(attributes, GEN_AI_REQUEST_MODEL, connection.endpoint.requestModel());
    attributes.put(API, RealtimeConnectionState.API_REALTIME);
    TokenLedgerTelemetry.get().realtimeConnections.add(1, attributes.build());
  }

  private static void annotateSpan(OpenAiCall call, ResponseUsage usage) {
    Span span = call.span;
    TokenUsage tokens = usage.usage();
    setIfPresent(span, GEN_AI_RESPONSE_MODEL, usage.responseModel());
    setIfPresent(span, GEN_AI_RESPONSE_ID, usage.responseId());
    setIfPresent(span, OPENAI_RESPONSE_SERVICE_TIER, usage.serviceTier());
    setIfPresent(span, OPENAI_RESPONSE_SYSTEM_FINGERPRINT, usage.systemFingerprint());
    setIfPresent(span, OPENAI_REQUEST_ID, call.requestId);
    setIfPresent(span, OPENAI_PROJECT, call.project);
    setIfPresent(span, API_KEY_FINGERPRINT, call.apiKeyFingerprint);
    setIfPresent(span, USE_CASE, call.attribution.useCase);
    setIfPresent(span, ENDUSER_ID, call.attribution.enduserId);
    span.setAttribute(USAGE_SOURCE, usage.source());
    if (call.httpStatus > 0) {
      span.setAttribute(HTTP_RESPONSE_STATUS_CODE, (long) call.httpStatus);
    }
    if (usage.finishReasons() != null && !usage.finishReasons().isEmpty()) {
      span.setAttribute(GEN_AI_RESPONSE_FINISH_REASONS, usage.finishReasons());
    }
    if (call.request.stream() && call.firstChunkNanos != 0) {
      span.setAttribute(GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, (call.firstChunkNanos - call.startNanos) / 1e9);
    }
    if (!"reported".equals(usage.source())) {
      return; // no usage numbers to state
    }
    setUsageAttributes(span, tokens);
  }

  /** The GenAI conventions' {@code gen_ai.usage.*} span attributes, with the conventions' meaning. */
  private static void setUsageAttributes(Span span, TokenUsage tokens) {
    long cachedText = tokens.get(UsageField.INPUT_CACHED_TEXT_TOKENS);
    long cachedAudio = tokens.get(UsageField.INPUT_CACHED_AUDIO_TOKENS);
    long cachedImage = tokens.get(UsageField.INPUT_CACHED_IMAGE_TOKENS);
    span.setAttribute(GEN_AI_USAGE_INPUT_TOKENS, tokens.get(UsageField.INPUT_TOKENS));
    span.setAttribute(GEN_AI_USAGE_OUTPUT_TOKENS, tokens.get(UsageField.OUTPUT_TOKENS));
    span.setAttribute(GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, tokens.get(UsageField.INPUT_CACHED_TOKENS));
    span.setAttribute(GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS, tokens.get(UsageField.INPUT_CACHE_WRITE_TOKENS));
    span.setAttribute(GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, tokens.get(UsageField.OUTPUT_REASONING_TOKENS));
    // The conventions' modality input counts include their cached part (and cache writes are text).
    span.setAttribute(
        GEN_AI_USAGE_TEXT_INPUT_TOKENS,
        tokens.get(UsageField.INPUT_TEXT_TOKENS) + cachedText + tokens.get(UsageField.INPUT_CACHE_WRITE_TOKENS));
    span.setAttribute(GEN_AI_USAGE_AUDIO_INPUT_TOKENS, tokens.get(UsageField.INPUT_AUDIO_TOKENS) + cachedAudio);
    span.setAttribute(GEN_AI_USAGE_IMAGE_INPUT_TOKENS, tokens.get(UsageField.INPUT_IMAGE_TOKENS) + cachedImage);
    span.setAttribute(GEN_AI_USAGE_TEXT_CACHE_READ_INPUT_TOKENS, cachedText);
    span.setAttribute(GEN_AI_USAGE_AUDIO_CACHE_READ_INPUT_TOKENS, cachedAudio);
    span.setAttribute(GEN_AI_USAGE_IMAGE_CACHE_READ_INPUT_TOKENS, cachedImage);
    span.setAttribute(GEN_AI_USAGE_TEXT_OUTPUT_TOKENS, tokens.get(UsageField.OUTPUT_TEXT_TOKENS));
    span.setAttribute(GEN_AI_USAGE_AUDIO_OUTPUT_TOKENS, tokens.get(UsageField.OUTPUT_AUDIO_TOKENS));
    span.setAttribute(GEN_AI_USAGE_IMAGE_OUTPUT_TOKENS, tokens.get(UsageField.OUTPUT_IMAGE_TOKENS));
  }

  private static <T> void setIfPresent(LogRecordBuilder event, AttributeKey<T> key, T value) {
    if (OpenAiCall.isPresent(value)) {
      event.setAttribute(key, value);
    }
  }

  private static <T> void setIfPresent(Span span, AttributeKey<T> key, T value) {
    if (OpenAiCall.isPresent(value)) {
      span.setAttribute(key, value);
    }
  }

  private UsageEmitter() {}
}
