-- 006_usage_hourly: the hourly rollup — dimensions, num_model_requests and every token field —
-- kept by a materialized view on usage_events at insert time.
--
-- Engine: SummingMergeTree rather than AggregatingMergeTree (docs/clickhouse.md, usage_hourly). Every measure here is
-- a plain sum, so SummingMergeTree stores ordinary numbers that any client reads with sum() — no
-- -State/-Merge combinators in Grafana panels or ad-hoc SQL, and a backfill is a plain
-- INSERT … SELECT. AggregatingMergeTree would only pay off for non-additive measures (distinct
-- users, quantiles), which are not kept here (per-user questions go to usage_events).
-- Consequences, by design:
--   * rows with the same key are summed only when parts merge, so ALWAYS read with
--     sum(...) GROUP BY (or FINAL); the view below and every query in the library do;
--   * every dimension is in ORDER BY (a non-key column would be collapsed arbitrarily);
--   * a merged row whose measures are all zero would be deleted — num_model_requests is >= 1 for
--     every source row, so zero-token `missing` records survive as requests.
--
-- No cron job, no delete-and-rebuild: each block inserted into usage_events (itself filled at
-- insert time from otel_logs) is aggregated and appended here in the same INSERT, so the rollup is
-- complete before any raw row can expire. No TTL: rollups are kept. Insert de-duplication window as
-- on every table of the chain, so a retried Collector batch is counted once here too.
-- Hours are UTC (DateTime('UTC')), so they add up exactly to OpenAI's UTC day buckets.

-- cluster: sharding_key = cityHash64(hour, model, project_id)
CREATE TABLE IF NOT EXISTS tokenledger.usage_hourly
(
    hour                      DateTime('UTC'),
    ServiceName               LowCardinality(String),
    provider                  LowCardinality(String),
    api                       LowCardinality(String),
    operation                 LowCardinality(String),
    model                     LowCardinality(String),
    project_id                LowCardinality(String),
    organization_id           LowCardinality(String),
    api_key_fingerprint       LowCardinality(String),
    service_tier              LowCardinality(String),
    batch                     Bool,
    status                    LowCardinality(String),
    usage_source              LowCardinality(String),
    usage_split               LowCardinality(String),
    use_case                  LowCardinality(String),
    entrypoint                LowCardinality(String),
    num_model_requests        UInt64,
    input_tokens              UInt64,
    output_tokens             UInt64,
    input_cached_tokens       UInt64,
    input_cache_write_tokens  UInt64,
    input_uncached_tokens     UInt64,
    input_text_tokens         UInt64,
    input_audio_tokens        UInt64,
    input_image_tokens        UInt64,
    input_cached_text_tokens  UInt64,
    input_cached_audio_tokens UInt64,
    input_cached_image_tokens UInt64,
    output_text_tokens        UInt64,
    output_audio_tokens       UInt64,
    output_image_tokens       UInt64,
    output_reasoning_tokens   UInt64,
    audio_seconds             Float64,
    input_characters          UInt64,
    malformed_fields          UInt64
)
ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (hour, api, model, project_id, api_key_fingerprint, service_tier, batch, status, usage_source,
          usage_split, ServiceName, provider, operation, organization_id, use_case, entrypoint)
SETTINGS index_granularity = 8192, non_replicated_deduplication_window = 1000;

CREATE MATERIALIZED VIEW IF NOT EXISTS tokenledger.usage_hourly_mv
TO tokenledger.usage_hourly
AS
SELECT
    toStartOfHour(Timestamp, 'UTC') AS hour,
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
GROUP BY hour, ServiceName, provider, api, operation, model, project_id, organization_id,
         api_key_fingerprint, service_tier, batch, status, usage_source, usage_split, use_case, entrypoint;
