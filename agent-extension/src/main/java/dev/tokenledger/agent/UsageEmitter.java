package dev.tokenledger.agent;

import static dev.tokenledger.agent.TokenLedgerAttributes.*;

import dev.tokenledger.usage.OpenAiApi;
import dev.tokenledger.usage.ResponseUsage;
import dev.tokenledger.usage.TokenUsage;
import dev.tokenledger.usage.UsageField;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.logs.LogRecordBuilder;
import io.opentelemetry.api.logs.Severity;
import io.opentelemetry.api.trace.Span;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Turns usage records into signals (docs/signals.md): the {@code tokenledger.usage} event (the
 * ledger row), the metrics, and the GenAI span attributes. It takes values — {@link UsageRecord}s
 * and the origin of what it counts — and knows nothing of HTTP calls or WebSocket connections. The
 * ledger event carries every export-vocabulary field under {@code tokenledger.usage.*}; the span
 * carries the conventions' {@code gen_ai.usage.*} names with the conventions' meaning (modality input
 * counts include their cached part).
 */
final class UsageEmitter {

  static final String USAGE_EVENT_NAME = "tokenledger.usage";

  private static final AttributeKey<Long> USAGE_INPUT_TOKENS = USAGE_FIELDS.get(UsageField.INPUT_TOKENS);
  private static final AttributeKey<Long> USAGE_OUTPUT_TOKENS = USAGE_FIELDS.get(UsageField.OUTPUT_TOKENS);
  /** The token fields other than the two totals, and their attribute keys, in the vocabulary's order. */
  private static final UsageField[] BREAKDOWN_FIELDS = breakdownFields();
  private static final AttributeKey<Long>[] BREAKDOWN_KEYS = keysOf(BREAKDOWN_FIELDS);

  /** Token series by the values of their common attributes (bounded as {@link TokenSeries} is). */
  private static final ConcurrentHashMap<SeriesKey, TokenSeries> SERIES =
      new ConcurrentHashMap<SeriesKey, TokenSeries>();
  /** Calls' common attribute sets by their values (the operation duration's). */
  private static final ConcurrentHashMap<SeriesKey, Attributes> CALL_ATTRIBUTES =
      new ConcurrentHashMap<SeriesKey, Attributes>();

  private final TokenLedgerTelemetry telemetry;
  private final boolean captureRawUsage;

  UsageEmitter(TokenLedgerTelemetry telemetry, boolean captureRawUsage) {
    this.telemetry = telemetry;
    this.captureRawUsage = captureRawUsage;
  }

  /**
   * One record: counted as a request; unless it is an error response (source {@code none}, no
   * tokens, no ledger row), its token metrics and its ledger event; and its usage stated on the
   * record's span, if it has one.
   */
  void emit(UsageRecord record) {
    ResponseUsage usage = record.usage;
    TokenSeries series = seriesOf(record);
    telemetry.requests.add(1, series.common);
    if (!ResponseUsage.SOURCE_NONE.equals(usage.source())) {
      recordTokenMetrics(usage, series);
      emitLedgerEvent(record, series.common);
    }
    if (record.span != null) {
      annotate(record.span, usage);
    }
  }

  /** A request that failed without a response to bill (transport failure, Realtime error event). */
  void countFailedRequest(UsageOrigin origin, OpenAiApi api, String requestModel, String errorType) {
    AttributesBuilder attributes = commonAttributes(origin, api, requestModel);
    attributes.put(STATUS, ResponseUsage.STATUS_ERROR);
    attributes.put(USAGE_SOURCE, ResponseUsage.SOURCE_NONE);
    putIfPresent(attributes, ERROR_TYPE, errorType);
    telemetry.requests.add(1, attributes.build());
  }

  /**
   * The conventions' operation duration of a call answered without error, and its time to the first
   * chunk when it streamed ({@code firstChunkSeconds} below 0: none).
   */
  void recordDuration(
      UsageOrigin origin, OpenAiApi api, String requestModel, double seconds, double firstChunkSeconds) {
    Attributes attributes = callAttributes(SeriesKey.ofCall(origin, api, requestModel));
    telemetry.operationDuration.record(seconds, attributes);
    if (firstChunkSeconds >= 0) {
      telemetry.timeToFirstChunk.record(firstChunkSeconds, attributes);
    }
  }

  /** tokenledger.realtime.connections: one per WebSocket connection to a Realtime endpoint. */
  void countRealtimeConnection(UsageOrigin origin, String requestModel) {
    AttributesBuilder attributes = Attributes.builder();
    attributes.put(SERVER_ADDRESS, origin.serverAddress);
    putIfPresent(attributes, GEN_AI_REQUEST_MODEL, requestModel);
    attributes.put(API, OpenAiApi.REALTIME.apiName());
    telemetry.realtimeConnections.add(1, attributes.build());
  }

  /** Attributes every signal carries, low-cardinality ones only (metrics get exactly these). */
  private static AttributesBuilder commonAttributes(UsageOrigin origin, OpenAiApi api, String requestModel) {
    AttributesBuilder attributes = Attributes.builder();
    attributes.put(GEN_AI_PROVIDER_NAME, origin.providerName);
    attributes.put(GEN_AI_OPERATION_NAME, api.operationName());
    attributes.put(API, api.apiName());
    attributes.put(SERVER_ADDRESS, origin.serverAddress);
    putIfPresent(attributes, GEN_AI_REQUEST_MODEL, requestModel);
    putIfPresent(attributes, OPENAI_PROJECT, origin.project);
    putIfPresent(attributes, API_KEY_FINGERPRINT, origin.apiKeyFingerprint);
    putIfPresent(attributes, USE_CASE, origin.attribution.useCase);
    return attributes;
  }

  /**
   * The metric attributes of a record (the common ones plus response model, service tier, status,
   * usage source and batch) and their token series. The records of one origin (a Realtime
   * connection) nearly all have the same ones, so the origin keeps the last while they still
   * describe the record: finding them then costs a few comparisons. Otherwise (every HTTP call has
   * its own origin) they are found by their values ({@link SeriesKey}), without building and sorting
   * the set again. What is kept is the instance shared by every origin with the same set, so an
   * origin holds a reference, not a copy.
   */
  private static TokenSeries seriesOf(UsageRecord record) {
    UsageOrigin origin = record.origin;
    TokenSeries last = origin.lastSeries;
    if (last != null && describes(last.common, record)) {
      return last;
    }
    SeriesKey key = SeriesKey.ofRecord(record);
    TokenSeries series = SERIES.get(key);
    if (series == null) {
      series = TokenSeries.of(key.build());
      if (series.shared && SERIES.size() < TokenSeries.MAX_CACHED) {
        SERIES.putIfAbsent(key, series);
      }
    }
    if (series.shared) {
      origin.lastSeries = series;
    }
    return series;
  }

  /** A call's common attributes, found by their values (built the first time only, while cached). */
  private static Attributes callAttributes(SeriesKey key) {
    Attributes attributes = CALL_ATTRIBUTES.get(key);
    if (attributes == null) {
      attributes = key.build();
      if (CALL_ATTRIBUTES.size() < TokenSeries.MAX_CACHED) {
        Attributes raced = CALL_ATTRIBUTES.putIfAbsent(key, attributes);
        if (raced != null) {
          attributes = raced;
        }
      }
    }
    return attributes;
  }

  /**
   * True when {@code attributes} are what {@link #seriesOf} builds for this record: the members that
   * vary per record, each as it is put (absent when not present). The others are the origin's own,
   * and only a set built for this origin is kept on it.
   */
  private static boolean describes(Attributes attributes, UsageRecord record) {
    ResponseUsage usage = record.usage;
    return same(attributes.get(API), record.api.apiName())
        && same(attributes.get(STATUS), record.status)
        && same(attributes.get(USAGE_SOURCE), usage.source())
        && same(attributes.get(GEN_AI_RESPONSE_MODEL), presentOrNull(usage.responseModel()))
        && same(attributes.get(GEN_AI_REQUEST_MODEL), presentOrNull(record.requestModel))
        && same(attributes.get(OPENAI_RESPONSE_SERVICE_TIER), presentOrNull(usage.serviceTier()))
        && (attributes.get(BATCH) != null) == usage.batch();
  }

  private void recordTokenMetrics(ResponseUsage usage, TokenSeries series) {
    TokenUsage tokens = usage.usage();
    if (ResponseUsage.SOURCE_REPORTED.equals(usage.source())) {
      // The conventions' histogram: billable totals, one point per token type, reported usage only.
      telemetry.tokenUsage.record(tokens.get(UsageField.INPUT_TOKENS), series.get(TokenSeries.INPUT_TOTAL));
      telemetry.tokenUsage.record(tokens.get(UsageField.OUTPUT_TOKENS), series.get(TokenSeries.OUTPUT_TOTAL));
    }
    // Partitions that add up to the totals: each token is counted in exactly one series.
    for (int slot = TokenSeries.FIRST_PARTITION; slot < TokenSeries.SLOTS; slot++) {
      long count = tokens.get(TokenSeries.field(slot));
      if (count > 0) {
        telemetry.tokens.add(count, series.get(slot));
      }
    }
    if (tokens.audioSeconds() > 0) {
      telemetry.audioDuration.add(tokens.audioSeconds(), series.common);
    }
    if (tokens.inputCharacters() > 0) {
      telemetry.speechCharacters.add(tokens.inputCharacters(), series.common);
    }
  }

  /** The ledger row: the record's numbers, ids, origin and diagnostic. */
  private void emitLedgerEvent(UsageRecord record, Attributes common) {
    ResponseUsage usage = record.usage;
    TokenUsage tokens = usage.usage();
    UsageOrigin origin = record.origin;
    LogRecordBuilder event =
        telemetry
            .logger
            .logRecordBuilder()
            .setEventName(USAGE_EVENT_NAME)
            .setTimestamp(record.timestamp != null ? record.timestamp : Instant.now())
            .setContext(record.context)
            .setSeverity(Severity.INFO)
            .setAllAttributes(common)
            .setAttribute(RECORD_ID, record.recordId);
    // The totals always; a breakdown only when it is not zero (the ledger reads an absent field as
    // 0): a typical record has a handful of non-zero fields out of sixteen, and each attribute costs
    // the application its share of building, queueing and exporting the record.
    event.setAttribute(USAGE_INPUT_TOKENS, tokens.get(UsageField.INPUT_TOKENS));
    event.setAttribute(USAGE_OUTPUT_TOKENS, tokens.get(UsageField.OUTPUT_TOKENS));
    for (int i = 0; i < BREAKDOWN_FIELDS.length; i++) {
      long count = tokens.get(BREAKDOWN_FIELDS[i]);
      if (count != 0) {
        event.setAttribute(BREAKDOWN_KEYS[i], count);
      }
    }
    event.setAttribute(USAGE_SPLIT, tokens.splitInferred() ? "inferred" : "reported");
    if (tokens.audioSeconds() > 0) {
      event.setAttribute(USAGE_AUDIO_SECONDS, tokens.audioSeconds());
    }
    if (tokens.inputCharacters() > 0) {
      event.setAttribute(USAGE_INPUT_CHARACTERS, tokens.inputCharacters());
    }
    setIfPresent(event, USAGE_RAW, captureRawUsage ? tokens.rawJson() : null);
    setIfPresent(event, USAGE_DIAGNOSTIC, usage.diagnostic());
    setIfPresent(event, GEN_AI_RESPONSE_ID, usage.responseId());
    setIfPresent(event, OPENAI_RESPONSE_SYSTEM_FINGERPRINT, usage.systemFingerprint());
    if (!usage.batch()) {
      event.setAttribute(BATCH, false);
    }
    setIfPresent(event, SESSION_ID, record.sessionId);
    setIfPresent(event, CONNECTION_ID, record.connectionId);
    setIfPresent(event, OPENAI_REQUEST_ID, origin.requestId);
    setIfPresent(event, OPENAI_ORGANIZATION, origin.organization);
    setIfPresent(event, ENDUSER_ID, origin.attribution.enduserId);
    setIfPresent(event, AZURE_DEPLOYMENT, origin.azureDeployment);
    setIfPresent(event, AZURE_API_VERSION, origin.azureApiVersion);
    if (record.stream) {
      event.setAttribute(GEN_AI_REQUEST_STREAM, true);
    }
    if (record.httpStatus > 0) {
      event.setAttribute(HTTP_RESPONSE_STATUS_CODE, (long) record.httpStatus);
    }
    if (origin.serverPort > 0) {
      event.setAttribute(SERVER_PORT, (long) origin.serverPort);
    }
    event.emit();
  }

  private static UsageField[] breakdownFields() {
    java.util.List<UsageField> fields = new java.util.ArrayList<UsageField>();
    for (UsageField field : UsageField.values()) {
      if (field != UsageField.INPUT_TOKENS && field != UsageField.OUTPUT_TOKENS) {
        fields.add(field);
      }
    }
    return fields.toArray(new UsageField[0]);
  }

  @SuppressWarnings("unchecked")
  private static AttributeKey<Long>[] keysOf(UsageField[] fields) {
    AttributeKey<Long>[] keys = new AttributeKey[fields.length];
    for (int i = 0; i < fields.length; i++) {
      keys[i] = USAGE_FIELDS.get(fields[i]);
    }
    return keys;
  }

  /** What one response says about itself, and its usage in the conventions' terms. */
  private static void annotate(Span span, ResponseUsage usage) {
    setIfPresent(span, GEN_AI_RESPONSE_MODEL, usage.responseModel());
    setIfPresent(span, GEN_AI_RESPONSE_ID, usage.responseId());
    setIfPresent(span, OPENAI_RESPONSE_SERVICE_TIER, usage.serviceTier());
    setIfPresent(span, OPENAI_RESPONSE_SYSTEM_FINGERPRINT, usage.systemFingerprint());
    span.setAttribute(USAGE_SOURCE, usage.source());
    if (!usage.finishReasons().isEmpty()) {
      span.setAttribute(GEN_AI_RESPONSE_FINISH_REASONS, usage.finishReasons());
    }
    if (ResponseUsage.SOURCE_REPORTED.equals(usage.source())) {
      setUsageAttributes(span, usage.usage());
    }
  }

  /**
   * The GenAI conventions' {@code gen_ai.usage.*} span attributes, with the conventions' meaning: the
   * input and output totals always, the breakdowns when not zero (the span is forensics, and each
   * attribute is paid for per call).
   */
  private static void setUsageAttributes(Span span, TokenUsage tokens) {
    long cachedText = tokens.get(UsageField.INPUT_CACHED_TEXT_TOKENS);
    long cachedAudio = tokens.get(UsageField.INPUT_CACHED_AUDIO_TOKENS);
    long cachedImage = tokens.get(UsageField.INPUT_CACHED_IMAGE_TOKENS);
    span.setAttribute(GEN_AI_USAGE_INPUT_TOKENS, tokens.get(UsageField.INPUT_TOKENS));
    span.setAttribute(GEN_AI_USAGE_OUTPUT_TOKENS, tokens.get(UsageField.OUTPUT_TOKENS));
    setIfNonZero(span, GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, tokens.get(UsageField.INPUT_CACHED_TOKENS));
    setIfNonZero(span, GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS, tokens.get(UsageField.INPUT_CACHE_WRITE_TOKENS));
    setIfNonZero(span, GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, tokens.get(UsageField.OUTPUT_REASONING_TOKENS));
    // The conventions' modality input counts include their cached part (and cache writes are text).
    setIfNonZero(
        span,
        GEN_AI_USAGE_TEXT_INPUT_TOKENS,
        tokens.get(UsageField.INPUT_TEXT_TOKENS) + cachedText + tokens.get(UsageField.INPUT_CACHE_WRITE_TOKENS));
    setIfNonZero(span, GEN_AI_USAGE_AUDIO_INPUT_TOKENS, tokens.get(UsageField.INPUT_AUDIO_TOKENS) + cachedAudio);
    setIfNonZero(span, GEN_AI_USAGE_IMAGE_INPUT_TOKENS, tokens.get(UsageField.INPUT_IMAGE_TOKENS) + cachedImage);
    setIfNonZero(span, GEN_AI_USAGE_TEXT_CACHE_READ_INPUT_TOKENS, cachedText);
    setIfNonZero(span, GEN_AI_USAGE_AUDIO_CACHE_READ_INPUT_TOKENS, cachedAudio);
    setIfNonZero(span, GEN_AI_USAGE_IMAGE_CACHE_READ_INPUT_TOKENS, cachedImage);
    setIfNonZero(span, GEN_AI_USAGE_TEXT_OUTPUT_TOKENS, tokens.get(UsageField.OUTPUT_TEXT_TOKENS));
    setIfNonZero(span, GEN_AI_USAGE_AUDIO_OUTPUT_TOKENS, tokens.get(UsageField.OUTPUT_AUDIO_TOKENS));
    setIfNonZero(span, GEN_AI_USAGE_IMAGE_OUTPUT_TOKENS, tokens.get(UsageField.OUTPUT_IMAGE_TOKENS));
  }

  private static void setIfNonZero(Span span, AttributeKey<Long> key, long value) {
    if (value != 0) {
      span.setAttribute(key, value);
    }
  }

  /** An attribute value worth writing: telemetry carries no nulls and no empty strings. */
  static boolean isPresent(Object value) {
    return value != null && !(value instanceof String && ((String) value).isEmpty());
  }

  private static String presentOrNull(String value) {
    return isPresent(value) ? value : null;
  }

  private static boolean same(String a, String b) {
    return a == null ? b == null : a.equals(b);
  }

  static <T> void putIfPresent(AttributesBuilder attributes, AttributeKey<T> key, T value) {
    if (isPresent(value)) {
      attributes.put(key, value);
    }
  }

  static <T> void setIfPresent(LogRecordBuilder event, AttributeKey<T> key, T value) {
    if (isPresent(value)) {
      event.setAttribute(key, value);
    }
  }

  static <T> void setIfPresent(Span span, AttributeKey<T> key, T value) {
    if (isPresent(value)) {
      span.setAttribute(key, value);
    }
  }
}
