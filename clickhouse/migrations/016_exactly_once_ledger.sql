-- 016_exactly_once_ledger: the ledger counts each usage record once, however the Collector batches,
-- retries or replays it (docs/clickhouse.md#exactly-once).
--
-- Insert de-duplication (the windows of 002–006) only recognises a block identical to an earlier
-- one. The Collector's sending queue merges and splits requests after its persistent queue, and a
-- request sent but never acknowledged is replayed at restart next to other neighbours, so a
-- record's second copy usually arrives in a different block: [r1, r2] inserted, then retried as
-- [r1, r2, r3]. A replay written without EventName (the exporter leaves it out when ClickHouse was
-- down at its start) differs as well. Each copy used to become one more ledger and rollup row.
--
-- Now the unit of de-duplication is the record:
--   * record_id is the agent's tokenledger.record.id (32 hex digits, one per usage record, the
--     same in every copy). A row without it (an agent from before the id) gets a hash of what
--     identifies the record: its time to the nanosecond, service, trace and span, API, model,
--     response and request ids, session and connection, status, usage source, diagnostic and raw
--     usage. EventName is not part of it, so a replay without EventName is the same record.
--   * usage_records, the new ledger table: a ReplacingMergeTree sorted by the old ledger's key plus
--     record_id. The copies of a record share its time and dimensions, so they have the same sort
--     key and collapse into one row: at merges, and at once for every reader through FINAL. The
--     copy kept is the latest (version ingested_at).
--   * usage_events becomes a view of usage_records FINAL with the same columns: every reader (the
--     priced views, the query library, the command, the rollup rebuild) counts each record once
--     with no change. A condition on the view still selects by usage_records' primary key (the
--     engine pushes it through the view and FINAL). Insert into usage_records, never the view.
--   * the rollup's view reads usage_records and also writes ingest_minute, the minute a row was
--     inserted (a key column, after ingest_hour), so that settled rows can be corrected minutes
--     rather than an hour after their insert (017). At insert time the rollup still adds every copy;
--     017 corrects the settled rows to the de-duplicated ledger.
--   * usage_priced keeps its columns; record_id is a String there too (empty on rollup rows).
--
-- The order keeps every row counted once while the Collector keeps inserting, and makes each
-- statement safe to run again:
--   1. usage_records and its view from otel_logs: from here on each insert reaches both ledgers;
--   2. the rollup's view switches to usage_records (one ALTER: each insert reaches the rollup
--      through exactly one of the two);
--   3. the old ledger's rows are copied in through a staging table attached partition by partition,
--      which fires no view, so the copy never reaches the rollup twice. Rows inserted while it runs
--      are in both ledgers and collapse. The copy recovers the agent's id of rows whose raw row is
--      still in otel_logs (their old record_id was a hash of that row), so a copy of such a record
--      inserted after this migration collapses with it; other rows get the hash above. A copy run
--      again (a failed run repeated) copies the same rows with the same ids, which collapse;
--   4. the old ledger's view is dropped and the old table replaced by the view (its rows are in
--      usage_records).
--
-- Cluster variant: usage_records is sharded by sipHash64(record_id), so every copy of a record is
-- on one shard and FINAL, which runs per shard, collapses it; the staging table is sharded the same
-- way so that each shard attaches its own rows. Dropping usage_events_local removes the old local
-- ledger tables (on a single node there is none: the statement does nothing).

-- cluster: sharding_key = sipHash64(record_id)
CREATE TABLE IF NOT EXISTS tokenledger.usage_records
(
    Timestamp                 DateTime64(9, 'UTC') COMMENT 'log record time (UTC)' CODEC(Delta(8), ZSTD(1)),
    record_id                 String COMMENT 'tokenledger.record.id (the agent''s id); for records without one, a hash of the record (docs/clickhouse.md#exactly-once)' CODEC(ZSTD(1)),
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
    malformed_fields          UInt8 COMMENT 'numeric usage attributes present but not parseable (each counted as 0)',
    ingested_at               DateTime('UTC') COMMENT 'when this copy was inserted: the copy kept is the latest' CODEC(Delta, ZSTD(1)),
    INDEX idx_ingested_at ingested_at TYPE minmax GRANULARITY 1
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(Timestamp)
ORDER BY (toStartOfHour(Timestamp), api, model, project_id, toUnixTimestamp64Nano(Timestamp), record_id)
TTL toDateTime(Timestamp) + toIntervalDay(400) /* ttl:ledger_days */
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, non_replicated_deduplication_window = 1000;


CREATE MATERIALIZED VIEW IF NOT EXISTS tokenledger.usage_records_mv
TO tokenledger.usage_records
AS
SELECT
    Timestamp,
    now('UTC') AS ingested_at,
    if(LogAttributes['tokenledger.record.id'] != '', LogAttributes['tokenledger.record.id'],
       lower(hex(sipHash128(toUnixTimestamp64Nano(Timestamp), ServiceName, TraceId, SpanId, api, model, response_id,
           request_id, session_id, connection_id, status, usage_source, diagnostic, usage_raw)))) AS record_id,
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

ALTER TABLE tokenledger.usage_hourly
    ADD COLUMN IF NOT EXISTS ingest_minute DateTime('UTC') AFTER ingest_hour,
    MODIFY ORDER BY (hour, api, model, project_id, api_key_fingerprint, service_tier, batch, status, usage_source,
                     usage_split, ServiceName, provider, operation, organization_id, use_case, entrypoint, ingest_hour,
                     ingest_minute);

-- The rollup's view of 013, reading usage_records, with ingest_minute.
ALTER TABLE tokenledger.usage_hourly_mv MODIFY QUERY
SELECT
    toStartOfHour(Timestamp, 'UTC') AS hour,
    toStartOfHour(ingested_at, 'UTC') AS ingest_hour,
    toStartOfMinute(ingested_at, 'UTC') AS ingest_minute,
    ServiceName,
    provider,
    api,
    operation,
    model,
    project_id,
    organization_id,
    api_key_fingerprint,
    service_tier,
    batch,
    status,
    usage_source,
    usage_split,
    use_case,
    entrypoint,
    count() AS num_model_requests,
    sum(input_tokens) AS input_tokens,
    sum(output_tokens) AS output_tokens,
    sum(input_cached_tokens) AS input_cached_tokens,
    sum(input_cache_write_tokens) AS input_cache_write_tokens,
    sum(input_uncached_tokens) AS input_uncached_tokens,
    sum(input_text_tokens) AS input_text_tokens,
    sum(input_audio_tokens) AS input_audio_tokens,
    sum(input_image_tokens) AS input_image_tokens,
    sum(input_cached_text_tokens) AS input_cached_text_tokens,
    sum(input_cached_audio_tokens) AS input_cached_audio_tokens,
    sum(input_cached_image_tokens) AS input_cached_image_tokens,
    sum(output_text_tokens) AS output_text_tokens,
    sum(output_audio_tokens) AS output_audio_tokens,
    sum(output_image_tokens) AS output_image_tokens,
    sum(output_reasoning_tokens) AS output_reasoning_tokens,
    sum(audio_seconds) AS audio_seconds,
    sum(input_characters) AS input_characters,
    sum(malformed_fields) AS malformed_fields
FROM tokenledger.usage_records
GROUP BY hour, ingest_hour, ingest_minute, ServiceName, provider, api, operation, model, project_id, organization_id,
         api_key_fingerprint, service_tier, batch, status, usage_source, usage_split, use_case, entrypoint;

-- The old ledger's rows, through a staging table of the same shape (emptied first, for a run again).
-- cluster: sharding_key = sipHash64(record_id)
CREATE TABLE IF NOT EXISTS tokenledger.usage_records_copy AS tokenledger.usage_records
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(Timestamp)
ORDER BY (toStartOfHour(Timestamp), api, model, project_id, toUnixTimestamp64Nano(Timestamp), record_id);

TRUNCATE TABLE IF EXISTS tokenledger.usage_records_copy;

-- Before this migration record_id was sipHash64 of the otel_logs row: where that row is still
-- there with the agent's id, the id is recovered. A String record_id is already a new id (this
-- statement run again after usage_events became the view).
INSERT INTO tokenledger.usage_records_copy SETTINGS distributed_foreground_insert = 1
SELECT e.* REPLACE (
    multiIf(toTypeName(e.record_id) = 'String', toString(e.record_id),
            ids.agent_record_id != '', ids.agent_record_id,
            lower(hex(sipHash128(toUnixTimestamp64Nano(Timestamp), ServiceName, TraceId, SpanId, api, model, response_id,
               request_id, session_id, connection_id, status, usage_source, diagnostic, usage_raw)))) AS record_id)
FROM tokenledger.usage_events AS e
GLOBAL LEFT JOIN
(
    SELECT
        toString(sipHash64(Timestamp, ServiceName, TraceId, SpanId, EventName, LogAttributes)) AS source_hash,
        any(LogAttributes['tokenledger.record.id']) AS agent_record_id
    FROM tokenledger.otel_logs
    WHERE LogAttributes['tokenledger.record.id'] != ''
      AND (EventName = 'tokenledger.usage' OR (EventName = '' AND mapContains(LogAttributes, 'tokenledger.usage.source')))
    GROUP BY source_hash
) AS ids ON toString(e.record_id) = ids.source_hash;

ALTER TABLE tokenledger.usage_records ATTACH PARTITION ALL FROM tokenledger.usage_records_copy;

DROP TABLE IF EXISTS tokenledger.usage_records_copy;

DROP VIEW IF EXISTS tokenledger.usage_events_mv;

CREATE OR REPLACE VIEW tokenledger.usage_events
AS
SELECT *
FROM tokenledger.usage_records FINAL;

DROP TABLE IF EXISTS tokenledger.usage_events_local;

-- The priced views of 015 with the same text, but for the rollup rows' record_id, now '' (a String,
-- as the ledger's).
CREATE OR REPLACE VIEW tokenledger.usage_priced
AS
SELECT
    u.*,
    if(p.model = '', NULL, p.valid_from) AS price_valid_from,
    -- The matched rates, in model_prices' order.
    p.COLUMNS('_per_mtok$|^audio_per_minute$|^characters_per_mchar$'),
    -- One component per billed quantity: exact Decimal arithmetic.
    if(u.input_text_tokens = 0, toDecimal128(0, 12),
       toDecimal128(u.input_text_tokens, 6) * p.input_text_per_mtok / 1000000) AS input_text_cost_usd,
    if(u.input_cached_text_tokens = 0, toDecimal128(0, 12),
       toDecimal128(u.input_cached_text_tokens, 6) * p.input_cached_text_per_mtok / 1000000) AS input_cached_text_cost_usd,
    if(u.input_cache_write_tokens = 0, toDecimal128(0, 12),
       toDecimal128(u.input_cache_write_tokens, 6) * p.input_cache_write_per_mtok / 1000000) AS input_cache_write_cost_usd,
    if(u.input_audio_tokens = 0, toDecimal128(0, 12),
       toDecimal128(u.input_audio_tokens, 6) * p.input_audio_per_mtok / 1000000) AS input_audio_cost_usd,
    if(u.input_cached_audio_tokens = 0, toDecimal128(0, 12),
       toDecimal128(u.input_cached_audio_tokens, 6) * p.input_cached_audio_per_mtok / 1000000) AS input_cached_audio_cost_usd,
    if(u.input_image_tokens = 0, toDecimal128(0, 12),
       toDecimal128(u.input_image_tokens, 6) * p.input_image_per_mtok / 1000000) AS input_image_cost_usd,
    if(u.input_cached_image_tokens = 0, toDecimal128(0, 12),
       toDecimal128(u.input_cached_image_tokens, 6) * p.input_cached_image_per_mtok / 1000000) AS input_cached_image_cost_usd,
    if(u.output_text_tokens = 0, toDecimal128(0, 12),
       toDecimal128(u.output_text_tokens, 6) * p.output_text_per_mtok / 1000000) AS output_text_cost_usd,
    if(u.output_audio_tokens = 0, toDecimal128(0, 12),
       toDecimal128(u.output_audio_tokens, 6) * p.output_audio_per_mtok / 1000000) AS output_audio_cost_usd,
    if(u.output_image_tokens = 0, toDecimal128(0, 12),
       toDecimal128(u.output_image_tokens, 6) * p.output_image_per_mtok / 1000000) AS output_image_cost_usd,
    if(u.audio_seconds = 0, toDecimal128(0, 12),
       toDecimal128(u.audio_seconds, 6) * p.audio_per_minute / 60) AS audio_seconds_cost_usd,
    if(u.input_characters = 0, toDecimal128(0, 12),
       toDecimal128(u.input_characters, 6) * p.characters_per_mchar / 1000000) AS input_characters_cost_usd,
    input_text_cost_usd + input_cached_text_cost_usd + input_cache_write_cost_usd + input_audio_cost_usd
        + input_cached_audio_cost_usd + input_image_cost_usd + input_cached_image_cost_usd AS input_cost_usd,
    output_text_cost_usd + output_audio_cost_usd + output_image_cost_usd AS output_cost_usd,
    audio_seconds_cost_usd + input_characters_cost_usd AS other_cost_usd,
    input_cost_usd + output_cost_usd + other_cost_usd AS cost_usd,
    -- Cached tokens at the uncached rate minus at the cached rate, per modality.
    if(u.input_cached_text_tokens = 0, toDecimal128(0, 12),
       toDecimal128(u.input_cached_text_tokens, 6) * (p.input_text_per_mtok - p.input_cached_text_per_mtok) / 1000000)
    + if(u.input_cached_audio_tokens = 0, toDecimal128(0, 12),
       toDecimal128(u.input_cached_audio_tokens, 6) * (p.input_audio_per_mtok - p.input_cached_audio_per_mtok) / 1000000)
    + if(u.input_cached_image_tokens = 0, toDecimal128(0, 12),
       toDecimal128(u.input_cached_image_tokens, 6) * (p.input_image_per_mtok - p.input_cached_image_per_mtok) / 1000000) AS saved_by_cache_usd,
    if(isNull(p.input_text_per_mtok), u.input_text_tokens, 0)
        + if(isNull(p.input_cached_text_per_mtok), u.input_cached_text_tokens, 0)
        + if(isNull(p.input_cache_write_per_mtok), u.input_cache_write_tokens, 0)
        + if(isNull(p.input_audio_per_mtok), u.input_audio_tokens, 0)
        + if(isNull(p.input_cached_audio_per_mtok), u.input_cached_audio_tokens, 0)
        + if(isNull(p.input_image_per_mtok), u.input_image_tokens, 0)
        + if(isNull(p.input_cached_image_per_mtok), u.input_cached_image_tokens, 0)
        + if(isNull(p.output_text_per_mtok), u.output_text_tokens, 0)
        + if(isNull(p.output_audio_per_mtok), u.output_audio_tokens, 0)
        + if(isNull(p.output_image_per_mtok), u.output_image_tokens, 0) AS unpriced_tokens
FROM
(
    SELECT
        *,
        if(toString(model) IN (SELECT toString(model) FROM tokenledger.model_prices), toString(model),
           replaceRegexpOne(toString(model), '-[0-9]{4}-[0-9]{2}-[0-9]{2}$', '')) AS price_model,
        if(service_tier IN ('', 'auto', 'default', 'standard'), 'default', toString(service_tier)) AS price_tier
    FROM
    (
        -- Ledger rows.
        SELECT
            'event' AS grain,
            toStartOfHour(Timestamp, 'UTC') AS hour,
            Timestamp, toDate(Timestamp, 'UTC') AS day,
            record_id, ServiceName, TraceId, SpanId, provider, operation, api, request_model, response_model, model,
            response_id, service_tier, batch, status, http_status_code, usage_source, usage_split, diagnostic,
            request_id, project_id, organization_id, server_address, api_key_fingerprint, session_id,
            connection_id, use_case, entrypoint, enduser_id, ingested_at, malformed_fields,
            toInt64(1) AS num_model_requests,
            COLUMNS('^(input|output)_[a-z_]*tokens$'), audio_seconds, input_characters
        FROM tokenledger.usage_events
        UNION ALL
        -- Rollup rows summed per hour and cost dimension; what only the ledger has is empty.
        SELECT
            'hour' AS grain,
            hour,
            toDateTime64(hour, 9, 'UTC') AS Timestamp, toDate(hour, 'UTC') AS day,
            '' AS record_id, ServiceName, '' AS TraceId, '' AS SpanId, toLowCardinality('') AS provider,
            toLowCardinality('') AS operation, api, toLowCardinality('') AS request_model,
            toLowCardinality('') AS response_model, model, '' AS response_id, service_tier, batch,
            toLowCardinality('') AS status, 0 AS http_status_code, toLowCardinality('') AS usage_source,
            toLowCardinality('') AS usage_split, '' AS diagnostic, '' AS request_id, project_id,
            toLowCardinality('') AS organization_id, toLowCardinality('') AS server_address, api_key_fingerprint,
            '' AS session_id, '' AS connection_id, use_case, entrypoint, '' AS enduser_id,
            toDateTime(0, 'UTC') AS ingested_at, 0 AS malformed_fields,
            sum(num_model_requests) AS num_model_requests,
            COLUMNS('^(input|output)_[a-z_]*tokens$') APPLY sum APPLY toUInt64, sum(audio_seconds) AS audio_seconds,
            toUInt64(sum(input_characters)) AS input_characters
        FROM tokenledger.usage_hourly
        GROUP BY hour, ServiceName, api, model, project_id, api_key_fingerprint, service_tier, batch, use_case,
                 entrypoint
    )
) AS u
ASOF LEFT JOIN
(
    SELECT *
    FROM tokenledger.model_prices FINAL
) AS p
    ON u.price_model = toString(p.model) AND u.price_tier = toString(p.service_tier) AND u.batch = p.batch
       AND u.day >= p.valid_from;

CREATE OR REPLACE VIEW tokenledger.usage_events_priced
AS
SELECT * EXCEPT (grain, hour, num_model_requests)
FROM tokenledger.usage_priced
WHERE grain = 'event';

CREATE OR REPLACE VIEW tokenledger.usage_hourly_priced
AS
SELECT
    hour, day, ServiceName, api, model, project_id, api_key_fingerprint, service_tier, batch, use_case, entrypoint,
    num_model_requests,
    toInt64(input_tokens) AS input_tokens,
    toInt64(output_tokens) AS output_tokens,
    toInt64(input_cached_tokens) AS input_cached_tokens,
    toInt64(input_cache_write_tokens) AS input_cache_write_tokens,
    toInt64(input_uncached_tokens) AS input_uncached_tokens,
    toInt64(input_text_tokens) AS input_text_tokens,
    toInt64(input_audio_tokens) AS input_audio_tokens,
    toInt64(input_image_tokens) AS input_image_tokens,
    toInt64(input_cached_text_tokens) AS input_cached_text_tokens,
    toInt64(input_cached_audio_tokens) AS input_cached_audio_tokens,
    toInt64(input_cached_image_tokens) AS input_cached_image_tokens,
    toInt64(output_text_tokens) AS output_text_tokens,
    toInt64(output_audio_tokens) AS output_audio_tokens,
    toInt64(output_image_tokens) AS output_image_tokens,
    toInt64(output_reasoning_tokens) AS output_reasoning_tokens,
    audio_seconds,
    toInt64(input_characters) AS input_characters,
    COLUMNS('^price_|_per_|cost_usd$|^saved_by_cache_usd$'),
    toInt64(unpriced_tokens) AS unpriced_tokens
FROM tokenledger.usage_priced
WHERE grain = 'hour';
