-- 017_rollup_correction: the hourly rollup corrects itself to the de-duplicated ledger, minutes after
-- each insert, with no manual step (docs/clickhouse.md#exactly-once).
--
-- usage_hourly is filled at insert time by usage_hourly_mv (fresh, and complete before any raw row
-- expires), so it adds every copy of a record that the Collector delivers twice; the ledger
-- (usage_events, 016) counts it once. usage_hourly_correction, a refreshable materialized view,
-- runs every minute and appends correction rows to usage_hourly:
--
--   * settled rows only: rows inserted before the minute that began a minute ago. An insert that
--     could still be writing them has had a minute to finish. Both sides of the comparison are
--     taken at that boundary: ledger rows by ingested_at, rollup rows by their ingest minute (016;
--     rows from before 016 by their ingest hour, rows already corrected at 1970-01-01);
--   * per rollup key, the settled rollup rows are replaced by what the ledger says (usage_events:
--     each record id once): minus each settled row at its own ingest time, plus the ledger's figures
--     at ingest time 1970-01-01. SummingMergeTree adds them in; every reader already sums. Settled
--     rows end up in one row per key, so the minute buckets of fresh rows do not stay in the rollup;
--   * only the hours that have ledger rows inserted in the 60 minutes before the boundary, found
--     through usage_records' ingested_at skip index; the ledger is then read by its primary key
--     (toStartOfHour(Timestamp), written as in the key, without a time zone argument). Each run recomputes those hours' settled state
--     from scratch, so an insert that commits late, a correction counted twice or lost, or a rollup
--     row that went missing is put right by a later run while the hour is in that window;
--   * never an hour older than 31 days, or than the ledger's retention less a day (the marked number
--     follows --ttl ledger_days): near the retention edge the ledger may have lost rows the rollup
--     still counts, and the rollup outlives the ledger. 31 days stays far from any retention, also
--     one shortened by hand, and covers records replayed after a month-long outage; older hours
--     are for the rebuild, which checks the edge;
--   * keys whose correction is zero in every measure are left out: a run with nothing to correct
--     inserts nothing.
--
-- The bound: a copy inserted at time t is corrected by the run at the second minute boundary after
-- t, at most 2 minutes later (plus that run's own duration, usually well under a second). Until then
-- the rollup may count it once more (the ledger never does).
--
-- The SELECT is RollupRebuild.settleSelect (clickhouse-support): the same correction logic the
-- manual rebuild (tokenledger rebuild-rollup) applies to an explicit range, and the measures are
-- those of usage_hourly; RollupCorrectionTest checks the text below against both. A token field
-- added later needs this view again with the new measure (ALTER TABLE … MODIFY QUERY).
--
-- Cluster variant: the view must run once for the whole cluster, not once per node (each node would
-- add the same correction). It is created on the node the migration runs against only, reading the
-- Distributed tables (the ledger's FINAL runs per shard: a record's copies are on one shard) and
-- appending through the Distributed usage_hourly. While that node is down the rollup keeps its
-- insert-time figures; it is corrected when the node is back for hours with inserts in the last 60
-- minutes (run rebuild-rollup for longer outages). With a Replicated database engine ClickHouse can
-- coordinate refreshes itself; TokenLedger's database is created Atomic.

-- cluster: one_node
CREATE MATERIALIZED VIEW IF NOT EXISTS tokenledger.usage_hourly_correction
REFRESH EVERY 1 MINUTE APPEND
TO tokenledger.usage_hourly
AS
SELECT hour, ServiceName, provider, api, operation, model, project_id, organization_id, api_key_fingerprint,
    service_tier, batch, status, usage_source, usage_split, use_case, entrypoint, ingest_hour, ingest_minute,
    sum(d_num_model_requests) AS num_model_requests, sum(d_input_tokens) AS input_tokens,
    sum(d_output_tokens) AS output_tokens, sum(d_input_cached_tokens) AS input_cached_tokens,
    sum(d_input_cache_write_tokens) AS input_cache_write_tokens,
    sum(d_input_uncached_tokens) AS input_uncached_tokens, sum(d_input_text_tokens) AS input_text_tokens,
    sum(d_input_audio_tokens) AS input_audio_tokens, sum(d_input_image_tokens) AS input_image_tokens,
    sum(d_input_cached_text_tokens) AS input_cached_text_tokens,
    sum(d_input_cached_audio_tokens) AS input_cached_audio_tokens,
    sum(d_input_cached_image_tokens) AS input_cached_image_tokens,
    sum(d_output_text_tokens) AS output_text_tokens, sum(d_output_audio_tokens) AS output_audio_tokens,
    sum(d_output_image_tokens) AS output_image_tokens,
    sum(d_output_reasoning_tokens) AS output_reasoning_tokens, sum(d_audio_seconds) AS audio_seconds,
    sum(d_input_characters) AS input_characters, sum(d_malformed_fields) AS malformed_fields
FROM
(
    SELECT toStartOfHour(Timestamp, 'UTC') AS hour, ServiceName, provider, api, operation, model, project_id,
        organization_id, api_key_fingerprint, service_tier, batch, status, usage_source, usage_split,
        use_case, entrypoint, toDateTime(0, 'UTC') AS ingest_hour, toDateTime(0, 'UTC') AS ingest_minute,
        toInt64(1) AS d_num_model_requests, toInt64(input_tokens) AS d_input_tokens,
        toInt64(output_tokens) AS d_output_tokens, toInt64(input_cached_tokens) AS d_input_cached_tokens,
        toInt64(input_cache_write_tokens) AS d_input_cache_write_tokens,
        toInt64(input_uncached_tokens) AS d_input_uncached_tokens,
        toInt64(input_text_tokens) AS d_input_text_tokens,
        toInt64(input_audio_tokens) AS d_input_audio_tokens,
        toInt64(input_image_tokens) AS d_input_image_tokens,
        toInt64(input_cached_text_tokens) AS d_input_cached_text_tokens,
        toInt64(input_cached_audio_tokens) AS d_input_cached_audio_tokens,
        toInt64(input_cached_image_tokens) AS d_input_cached_image_tokens,
        toInt64(output_text_tokens) AS d_output_text_tokens,
        toInt64(output_audio_tokens) AS d_output_audio_tokens,
        toInt64(output_image_tokens) AS d_output_image_tokens,
        toInt64(output_reasoning_tokens) AS d_output_reasoning_tokens, audio_seconds AS d_audio_seconds,
        toInt64(input_characters) AS d_input_characters, toInt64(malformed_fields) AS d_malformed_fields
    FROM tokenledger.usage_events
    WHERE toStartOfHour(Timestamp) GLOBAL IN
        (
            SELECT DISTINCT toStartOfHour(Timestamp, 'UTC')
            FROM tokenledger.usage_records
            WHERE ingested_at >= toStartOfMinute(now('UTC') - INTERVAL 1 MINUTE) - INTERVAL 60 MINUTE
              AND ingested_at < toStartOfMinute(now('UTC') - INTERVAL 1 MINUTE)
        )
      AND toStartOfHour(Timestamp) >= greatest(toStartOfHour(now('UTC') - toIntervalDay(400) /* ttl:ledger_days */) + INTERVAL 1 DAY,
          toStartOfHour(now('UTC') - INTERVAL 31 DAY))
      AND ingested_at < toStartOfMinute(now('UTC') - INTERVAL 1 MINUTE)
    UNION ALL
    SELECT hour, ServiceName, provider, api, operation, model, project_id, organization_id,
        api_key_fingerprint, service_tier, batch, status, usage_source, usage_split, use_case, entrypoint,
        ingest_hour, ingest_minute, -num_model_requests AS d_num_model_requests,
        -input_tokens AS d_input_tokens, -output_tokens AS d_output_tokens,
        -input_cached_tokens AS d_input_cached_tokens,
        -input_cache_write_tokens AS d_input_cache_write_tokens,
        -input_uncached_tokens AS d_input_uncached_tokens, -input_text_tokens AS d_input_text_tokens,
        -input_audio_tokens AS d_input_audio_tokens, -input_image_tokens AS d_input_image_tokens,
        -input_cached_text_tokens AS d_input_cached_text_tokens,
        -input_cached_audio_tokens AS d_input_cached_audio_tokens,
        -input_cached_image_tokens AS d_input_cached_image_tokens,
        -output_text_tokens AS d_output_text_tokens, -output_audio_tokens AS d_output_audio_tokens,
        -output_image_tokens AS d_output_image_tokens, -output_reasoning_tokens AS d_output_reasoning_tokens,
        -audio_seconds AS d_audio_seconds, -input_characters AS d_input_characters,
        -malformed_fields AS d_malformed_fields
    FROM tokenledger.usage_hourly
    WHERE hour GLOBAL IN
        (
            SELECT DISTINCT toStartOfHour(Timestamp, 'UTC')
            FROM tokenledger.usage_records
            WHERE ingested_at >= toStartOfMinute(now('UTC') - INTERVAL 1 MINUTE) - INTERVAL 60 MINUTE
              AND ingested_at < toStartOfMinute(now('UTC') - INTERVAL 1 MINUTE)
        )
      AND hour >= greatest(toStartOfHour(now('UTC') - toIntervalDay(400) /* ttl:ledger_days */) + INTERVAL 1 DAY,
          toStartOfHour(now('UTC') - INTERVAL 31 DAY))
      AND greatest(ingest_hour, ingest_minute) < toStartOfMinute(now('UTC') - INTERVAL 1 MINUTE)
)
GROUP BY hour, ServiceName, provider, api, operation, model, project_id, organization_id,
    api_key_fingerprint, service_tier, batch, status, usage_source, usage_split, use_case, entrypoint,
    ingest_hour, ingest_minute
HAVING num_model_requests != 0 OR input_tokens != 0 OR output_tokens != 0 OR input_cached_tokens != 0
    OR input_cache_write_tokens != 0 OR input_uncached_tokens != 0 OR input_text_tokens != 0
    OR input_audio_tokens != 0 OR input_image_tokens != 0 OR input_cached_text_tokens != 0
    OR input_cached_audio_tokens != 0 OR input_cached_image_tokens != 0 OR output_text_tokens != 0
    OR output_audio_tokens != 0 OR output_image_tokens != 0 OR output_reasoning_tokens != 0
    OR abs(audio_seconds) > 1e-9 OR input_characters != 0 OR malformed_fields != 0;
