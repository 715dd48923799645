-- 005_usage_events: the typed ledger — one row per `tokenledger.usage` log record — and the
-- materialized view that fills it from otel_logs at insert time.
--
-- Token columns carry the export vocabulary of docs/token-vocabulary.md under exactly those names (OpenAI's
-- completions-usage-export meaning: the per-modality input columns are *uncached*), so a row here
-- and a row of OpenAI's export compare field by field. Dimensions are columns named after what
-- they hold (project_id = openai.project, like the export). The raw provider usage JSON is kept
-- (usage_raw) so a corrected mapping can be replayed from the ledger.
--
-- The view recognises usage records by EventName, and also by the always-present
-- `tokenledger.usage.source` attribute when EventName is empty: the exporter silently leaves
-- EventName out of its inserts if ClickHouse was unreachable when the Collector started
-- (docs/clickhouse.md, exporter), and a billing ledger must not lose those rows.
--
-- Attribute values arrive as strings (the exporter flattens every attribute with AsString):
-- counts are parsed with toUInt64OrZero, and malformed_fields counts the token attributes that
-- were present but not a valid number, so a bad value can never zero a bill silently.
-- record_id is a hash of the whole source row: a backstop for reconciliation queries
-- (`LIMIT 1 BY record_id`) should a duplicate ever get past insert de-duplication.
--
-- Retention: 400 days (whole parts, monthly partitions). Insert de-duplication: the window below
-- plus deduplicate_blocks_in_dependent_materialized_views (default on since ClickHouse 26.2, set
-- explicitly in the writer's profile) make a retried otel_logs block skipped here too.

-- cluster: sharding_key = record_id
CREATE TABLE IF NOT EXISTS tokenledger.usage_events
(
    Timestamp                 DateTime64(9, 'UTC') COMMENT 'log record time (UTC)' CODEC(Delta(8), ZSTD(1)),
    record_id                 UInt64 COMMENT 'sipHash64 of the source otel_logs row',
    ServiceName               LowCardinality(String) COMMENT 'resource service.name',
    TraceId                   String CODEC(ZSTD(1)),
    SpanId                    String CODEC(ZSTD(1)),
    provider                  LowCardinality(String) COMMENT 'gen_ai.provider.name',
    operation                 LowCardinality(String) COMMENT 'gen_ai.operation.name',
    api                       LowCardinality(String) COMMENT 'tokenledger.api',
    request_model             LowCardinality(String) COMMENT 'gen_ai.request.model',
    response_model            LowCardinality(String) COMMENT 'gen_ai.response.model',
    model                     LowCardinality(String) COMMENT 'the billed model: response model, else request model',
    response_id               String COMMENT 'gen_ai.response.id' CODEC(ZSTD(1)),
    service_tier              LowCardinality(String) COMMENT 'openai.response.service_tier',
    batch                     Bool COMMENT 'tokenledger.batch',
    status                    LowCardinality(String) COMMENT 'tokenledger.status',
    http_status_code          UInt16 COMMENT 'http.response.status_code',
    usage_source              LowCardinality(String) COMMENT 'tokenledger.usage.source: reported | missing | counted',
    usage_split               LowCardinality(String) COMMENT 'tokenledger.usage.split: reported | inferred',
    diagnostic                String COMMENT 'tokenledger.usage.diagnostic' CODEC(ZSTD(1)),
    request_id                String COMMENT 'openai.request.id (x-request-id)' CODEC(ZSTD(1)),
    project_id                LowCardinality(String) COMMENT 'openai.project',
    organization_id           LowCardinality(String) COMMENT 'openai.organization',
    server_address            LowCardinality(String) COMMENT 'server.address',
    api_key_fingerprint       LowCardinality(String) COMMENT 'tokenledger.api_key.fingerprint (see api_key_map)',
    session_id                String COMMENT 'tokenledger.session.id' CODEC(ZSTD(1)),
    connection_id             String COMMENT 'tokenledger.connection.id' CODEC(ZSTD(1)),
    use_case                  LowCardinality(String) COMMENT 'tokenledger.use_case',
    entrypoint                LowCardinality(String) COMMENT 'tokenledger.entrypoint',
    enduser_id                String COMMENT 'enduser.id' CODEC(ZSTD(1)),
    input_tokens              UInt64 CODEC(T64, ZSTD(1)),
    output_tokens             UInt64 CODEC(T64, ZSTD(1)),
    input_cached_tokens       UInt64 CODEC(T64, ZSTD(1)),
    input_cache_write_tokens  UInt64 CODEC(T64, ZSTD(1)),
    input_uncached_tokens     UInt64 CODEC(T64, ZSTD(1)),
    input_text_tokens         UInt64 COMMENT 'uncached text input' CODEC(T64, ZSTD(1)),
    input_audio_tokens        UInt64 COMMENT 'uncached audio input' CODEC(T64, ZSTD(1)),
    input_image_tokens        UInt64 COMMENT 'uncached image input' CODEC(T64, ZSTD(1)),
    input_cached_text_tokens  UInt64 CODEC(T64, ZSTD(1)),
    input_cached_audio_tokens UInt64 CODEC(T64, ZSTD(1)),
    input_cached_image_tokens UInt64 CODEC(T64, ZSTD(1)),
    output_text_tokens        UInt64 CODEC(T64, ZSTD(1)),
    output_audio_tokens       UInt64 CODEC(T64, ZSTD(1)),
    output_image_tokens       UInt64 CODEC(T64, ZSTD(1)),
    output_reasoning_tokens   UInt64 COMMENT 'subset of output_text_tokens: never add it again' CODEC(T64, ZSTD(1)),
    audio_seconds             Float64 COMMENT 'duration-billed transcription' CODEC(ZSTD(1)),
    input_characters          UInt64 COMMENT 'speech input characters' CODEC(T64, ZSTD(1)),
    usage_raw                 String COMMENT 'tokenledger.usage.raw: the provider usage JSON as received' CODEC(ZSTD(3)),
    malformed_fields          UInt8 COMMENT 'numeric usage attributes present but not parseable (each counted as 0)'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(Timestamp)
ORDER BY (toStartOfHour(Timestamp), api, model, project_id, Timestamp)
TTL toDateTime(Timestamp) + toIntervalDay(400) /* ttl:ledger_days */
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, non_replicated_deduplication_window = 1000;

CREATE MATERIALIZED VIEW IF NOT EXISTS tokenledger.usage_events_mv
TO tokenledger.usage_events
AS
SELECT
    Timestamp,
    sipHash64(Timestamp, ServiceName, TraceId, SpanId, EventName, LogAttributes) AS record_id,
    ServiceName,
    TraceId,
    SpanId,
    LogAttributes['gen_ai.provider.name'] AS provider,
    LogAttributes['gen_ai.operation.name'] AS operation,
    LogAttributes['tokenledger.api'] AS api,
    LogAttributes['gen_ai.request.model'] AS request_model,
    LogAttributes['gen_ai.response.model'] AS response_model,
    if(LogAttributes['gen_ai.response.model'] != '', LogAttributes['gen_ai.response.model'],
       LogAttributes['gen_ai.request.model']) AS model,
    LogAttributes['gen_ai.response.id'] AS response_id,
    LogAttributes['openai.response.service_tier'] AS service_tier,
    LogAttributes['tokenledger.batch'] = 'true' AS batch,
    LogAttributes['tokenledger.status'] AS status,
    toUInt16OrZero(LogAttributes['http.response.status_code']) AS http_status_code,
    LogAttributes['tokenledger.usage.source'] AS usage_source,
    LogAttributes['tokenledger.usage.split'] AS usage_split,
    LogAttributes['tokenledger.usage.diagnostic'] AS diagnostic,
    LogAttributes['openai.request.id'] AS request_id,
    LogAttributes['openai.project'] AS project_id,
    LogAttributes['openai.organization'] AS organization_id,
    LogAttributes['server.address'] AS server_address,
    LogAttributes['tokenledger.api_key.fingerprint'] AS api_key_fingerprint,
    LogAttributes['tokenledger.session.id'] AS session_id,
    LogAttributes['tokenledger.connection.id'] AS connection_id,
    LogAttributes['tokenledger.use_case'] AS use_case,
    LogAttributes['tokenledger.entrypoint'] AS entrypoint,
    LogAttributes['enduser.id'] AS enduser_id,
    toUInt64OrZero(LogAttributes['tokenledger.usage.input_tokens']) AS input_tokens,
    toUInt64OrZero(LogAttributes['tokenledger.usage.output_tokens']) AS output_tokens,
    toUInt64OrZero(LogAttributes['tokenledger.usage.input_cached_tokens']) AS input_cached_tokens,
    toUInt64OrZero(LogAttributes['tokenledger.usage.input_cache_write_tokens']) AS input_cache_write_tokens,
    toUInt64OrZero(LogAttributes['tokenledger.usage.input_uncached_tokens']) AS input_uncached_tokens,
    toUInt64OrZero(LogAttributes['tokenledger.usage.input_text_tokens']) AS input_text_tokens,
    toUInt64OrZero(LogAttributes['tokenledger.usage.input_audio_tokens']) AS input_audio_tokens,
    toUInt64OrZero(LogAttributes['tokenledger.usage.input_image_tokens']) AS input_image_tokens,
    toUInt64OrZero(LogAttributes['tokenledger.usage.input_cached_text_tokens']) AS input_cached_text_tokens,
    toUInt64OrZero(LogAttributes['tokenledger.usage.input_cached_audio_tokens']) AS input_cached_audio_tokens,
    toUInt64OrZero(LogAttributes['tokenledger.usage.input_cached_image_tokens']) AS input_cached_image_tokens,
    toUInt64OrZero(LogAttributes['tokenledger.usage.output_text_tokens']) AS output_text_tokens,
    toUInt64OrZero(LogAttributes['tokenledger.usage.output_audio_tokens']) AS output_audio_tokens,
    toUInt64OrZero(LogAttributes['tokenledger.usage.output_image_tokens']) AS output_image_tokens,
    toUInt64OrZero(LogAttributes['tokenledger.usage.output_reasoning_tokens']) AS output_reasoning_tokens,
    toFloat64OrZero(LogAttributes['tokenledger.usage.audio_seconds']) AS audio_seconds,
    toUInt64OrZero(LogAttributes['tokenledger.usage.input_characters']) AS input_characters,
    LogAttributes['tokenledger.usage.raw'] AS usage_raw,
    toUInt8(
        arrayCount(k -> mapContains(LogAttributes, k) AND isNull(toUInt64OrNull(LogAttributes[k])),
            ['tokenledger.usage.input_tokens', 'tokenledger.usage.output_tokens',
             'tokenledger.usage.input_cached_tokens', 'tokenledger.usage.input_cache_write_tokens',
             'tokenledger.usage.input_uncached_tokens', 'tokenledger.usage.input_text_tokens',
             'tokenledger.usage.input_audio_tokens', 'tokenledger.usage.input_image_tokens',
             'tokenledger.usage.input_cached_text_tokens', 'tokenledger.usage.input_cached_audio_tokens',
             'tokenledger.usage.input_cached_image_tokens', 'tokenledger.usage.output_text_tokens',
             'tokenledger.usage.output_audio_tokens', 'tokenledger.usage.output_image_tokens',
             'tokenledger.usage.output_reasoning_tokens', 'tokenledger.usage.input_characters'])
        + (mapContains(LogAttributes, 'tokenledger.usage.audio_seconds')
           AND isNull(toFloat64OrNull(LogAttributes['tokenledger.usage.audio_seconds'])))
    ) AS malformed_fields
FROM tokenledger.otel_logs
WHERE EventName = 'tokenledger.usage'
   OR (EventName = '' AND mapContains(LogAttributes, 'tokenledger.usage.source'));
