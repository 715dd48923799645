-- 013_rollup_rebuild: what an idempotent rebuild of usage_hourly needs while data keeps flowing
-- (docs/clickhouse.md; the operation itself is RollupRebuild in clickhouse-support, `tokenledger rebuild-rollup`).
--
-- The rebuild never deletes or swaps rollup rows: it inserts correction rows, (what the ledger says)
-- minus (what the rollup holds), for the rows that are settled, and SummingMergeTree adds them in.
-- Two things make that exact while the Collector keeps inserting:
--   * usage_events.ingested_at: when the row was inserted (now() in the view from otel_logs), and
--     usage_hourly.ingest_hour: the hour of it, a key column, so the rollup rows of one insert are
--     told apart from those of later inserts. A rebuild touches only rows ingested before a settled
--     hour (well after any insert that started then has finished), which no insert can change any
--     more: both sides of the subtraction are stable, and the fresh rows keep flowing untouched.
--     Rows from before this migration have 1970-01-01 on both sides (no default is evaluated at
--     read time), so they count as settled, consistently in both tables.
--   * signed measures (Int64): a correction can be negative. Every reader already sums (the engine
--     keeps several rows per key until merges add them up); a key whose measures sum to zero
--     disappears at the next merge, as it should.
-- The rebuild's corrections are inserted with insert_deduplicate = 0, so that a correction equal to
-- an earlier one is not mistaken for a retried block.
--
-- Idempotent: ADD COLUMN IF NOT EXISTS; MODIFY ORDER BY and MODIFY COLUMN to what is already there,
-- and MODIFY QUERY to the same query, change nothing.

ALTER TABLE tokenledger.usage_events
    ADD COLUMN IF NOT EXISTS ingested_at DateTime('UTC') COMMENT 'when the row was inserted (settledness for rollup rebuilds)' CODEC(Delta, ZSTD(1));

ALTER TABLE tokenledger.usage_hourly
    ADD COLUMN IF NOT EXISTS ingest_hour DateTime('UTC') AFTER entrypoint,
    MODIFY ORDER BY (hour, api, model, project_id, api_key_fingerprint, service_tier, batch, status, usage_source,
                     usage_split, ServiceName, provider, operation, organization_id, use_case, entrypoint, ingest_hour);

ALTER TABLE tokenledger.usage_hourly
    MODIFY COLUMN num_model_requests Int64,
    MODIFY COLUMN input_tokens Int64,
    MODIFY COLUMN output_tokens Int64,
    MODIFY COLUMN input_cached_tokens Int64,
    MODIFY COLUMN input_cache_write_tokens Int64,
    MODIFY COLUMN input_uncached_tokens Int64,
    MODIFY COLUMN input_text_tokens Int64,
    MODIFY COLUMN input_audio_tokens Int64,
    MODIFY COLUMN input_image_tokens Int64,
    MODIFY COLUMN input_cached_text_tokens Int64,
    MODIFY COLUMN input_cached_audio_tokens Int64,
    MODIFY COLUMN input_cached_image_tokens Int64,
    MODIFY COLUMN output_text_tokens Int64,
    MODIFY COLUMN output_audio_tokens Int64,
    MODIFY COLUMN output_image_tokens Int64,
    MODIFY COLUMN output_reasoning_tokens Int64,
    MODIFY COLUMN input_characters Int64,
    MODIFY COLUMN malformed_fields Int64;

-- The ledger view of 005 plus ingested_at.
ALTER TABLE tokenledger.usage_events_mv MODIFY QUERY
SELECT
    Timestamp,
    now('UTC') AS ingested_at,
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

-- The rollup view of 006 plus ingest_hour.
ALTER TABLE tokenledger.usage_hourly_mv MODIFY QUERY
SELECT
    toStartOfHour(Timestamp, 'UTC') AS hour,
    toStartOfHour(ingested_at, 'UTC') AS ingest_hour,
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
FROM tokenledger.usage_events
GROUP BY hour, ingest_hour, ServiceName, provider, api, operation, model, project_id, organization_id,
         api_key_fingerprint, service_tier, batch, status, usage_source, usage_split, use_case, entrypoint;
