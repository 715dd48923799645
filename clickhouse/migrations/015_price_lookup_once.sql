-- 015_price_lookup_once: the price lookup and the cost arithmetic of 014 in one view, usage_priced,
-- which the two priced views now read instead of each carrying a copy.
--
-- usage_priced holds the rows of both grains, told apart by `grain`:
--   * 'hour': the rollup (usage_hourly) summed per hour and cost dimension (hour, service, API,
--     model, project, API key, service tier, batch flag, use case, entry point), as 014 priced it;
--   * 'event': one row per ledger record (usage_events).
-- Both go through the same lookup (rules in 010 and 014: exact model name if model_prices lists it,
-- else without its dated snapshot suffix; '', 'auto', 'default' and 'standard' are the standard
-- tier; batch rows are their own; the latest valid_from on or before the usage's UTC day) and the
-- same arithmetic (one Decimal component per billed quantity, NULL when the quantity is non-zero
-- and its rate unknown; input/output/other/total; saved_by_cache_usd; unpriced_tokens).
-- Never sum usage_priced over both grains: read usage_hourly_priced or usage_events_priced.
--
-- The columns are the ledger's, in usage_events_priced's order, plus `grain`, `hour` and
-- num_model_requests; columns a rollup row does not have are empty ('' or 0) on 'hour' rows. The
-- token columns are taken by name pattern, in the tables' own order: the order of the vocabulary in
-- both tables, which TokenVocabularyTest checks (the union pairs columns by position). Measures are
-- UInt64, the ledger's type: a rollup sum per hour and cost dimension is the ledger's count, never
-- negative (013 made the rollup signed only for correction rows), and usage_hourly_priced gives it
-- back as Int64, the type it has always had.
--
-- usage_hourly_priced and usage_events_priced keep exactly the columns, types and rows of 014. A
-- filter on their time column (hour, Timestamp) still reaches the primary key of usage_hourly or
-- usage_events, and the other grain's table is not read: the engine pushes conditions through the
-- join, the union and the grouping, and `grain` is a constant in each branch (PricedViewsTest).
-- usage_cost_hourly keeps reading usage_hourly_priced, unchanged.
--
-- CREATE OR REPLACE: running the file again sets the same definitions.

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
            0 AS record_id, ServiceName, '' AS TraceId, '' AS SpanId, toLowCardinality('') AS provider,
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
