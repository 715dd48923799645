-- 014_priced_views: the price lookup and the cost arithmetic written once, as two views that every
-- cost question reads (docs/clickhouse.md: cost is computed when queried, never stored, so a price
-- correction in model_prices applies retroactively to all past usage).
--
--   * usage_hourly_priced: one row per hour and cost dimension of the rollup (hour, service, API,
--     model, project, API key, service tier, batch flag, use case, entry point), its tokens summed
--     (SummingMergeTree merges are eventual), for range questions that outlive the ledger;
--   * usage_events_priced: one row per ledger record (usage_events), for the questions that need
--     ledger detail: sessions, connections, traces, end users.
--
-- Each row carries the matched price row (price_model, price_tier, price_valid_from, every rate),
-- the cost of each billed quantity (<field>_cost_usd), input_cost_usd, output_cost_usd,
-- other_cost_usd (duration- and character-billed), cost_usd, saved_by_cache_usd (cached tokens at
-- the uncached rate minus at the cached rate, per modality) and unpriced_tokens.
--
-- Lookup rules (as documented in 010):
--   * model: the exact model name if model_prices lists it, else the name with a trailing dated
--     snapshot suffix removed (gpt-4o-2024-08-06 -> gpt-4o)
--   * service_tier: '', 'auto', 'default' and 'standard' all mean the standard list ('default')
--     and any other tier is looked up as such
--   * batch: batch rows are their own price rows
--   * effective date: the latest row with valid_from <= the usage's UTC day (ASOF join).
-- A combination without a price row, or a NULL rate, is unpriced: the component is NULL when its
-- quantity is non-zero (so is cost_usd) and the tokens are counted in unpriced_tokens. Aggregates
-- over these rows (sum) add the known costs and leave the unpriced ones out.
--
-- The two views differ only in their source subquery (u) and the columns they pass through from
-- it: the lookup and the arithmetic are the same text in both and must stay so (MigrationsTest
-- checks). CREATE OR REPLACE: running the file again sets the same definitions. Filters on the views' columns are pushed down by the
-- engine into the source subquery, through the LEFT join and the grouping, so a condition on hour
-- (or Timestamp) still selects by the tables' primary keys.
--
-- usage_cost_hourly (010) becomes a projection of usage_hourly_priced: same columns, same rows.

CREATE OR REPLACE VIEW tokenledger.usage_hourly_priced
AS
SELECT
    u.hour AS hour,
    u.day AS day,
    u.ServiceName AS ServiceName,
    u.api AS api,
    u.model AS model,
    u.project_id AS project_id,
    u.api_key_fingerprint AS api_key_fingerprint,
    u.service_tier AS service_tier,
    u.batch AS batch,
    u.use_case AS use_case,
    u.entrypoint AS entrypoint,
    u.num_model_requests AS num_model_requests,
    u.input_tokens AS input_tokens,
    u.output_tokens AS output_tokens,
    u.input_cached_tokens AS input_cached_tokens,
    u.input_cache_write_tokens AS input_cache_write_tokens,
    u.input_uncached_tokens AS input_uncached_tokens,
    u.input_text_tokens AS input_text_tokens,
    u.input_audio_tokens AS input_audio_tokens,
    u.input_image_tokens AS input_image_tokens,
    u.input_cached_text_tokens AS input_cached_text_tokens,
    u.input_cached_audio_tokens AS input_cached_audio_tokens,
    u.input_cached_image_tokens AS input_cached_image_tokens,
    u.output_text_tokens AS output_text_tokens,
    u.output_audio_tokens AS output_audio_tokens,
    u.output_image_tokens AS output_image_tokens,
    u.output_reasoning_tokens AS output_reasoning_tokens,
    u.audio_seconds AS audio_seconds,
    u.input_characters AS input_characters,
    u.price_model AS price_model,
    u.price_tier AS price_tier,
    if(p.model = '', NULL, p.valid_from) AS price_valid_from,
    p.input_text_per_mtok AS input_text_per_mtok,
    p.input_cached_text_per_mtok AS input_cached_text_per_mtok,
    p.input_cache_write_per_mtok AS input_cache_write_per_mtok,
    p.input_audio_per_mtok AS input_audio_per_mtok,
    p.input_cached_audio_per_mtok AS input_cached_audio_per_mtok,
    p.input_image_per_mtok AS input_image_per_mtok,
    p.input_cached_image_per_mtok AS input_cached_image_per_mtok,
    p.output_text_per_mtok AS output_text_per_mtok,
    p.output_audio_per_mtok AS output_audio_per_mtok,
    p.output_image_per_mtok AS output_image_per_mtok,
    p.audio_per_minute AS audio_per_minute,
    p.characters_per_mchar AS characters_per_mchar,
    -- One component per billed quantity: exact Decimal arithmetic, NULL only when the quantity is
    -- non-zero and its rate unknown.
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
        hour,
        toDate(hour, 'UTC') AS day,
        ServiceName, api, model, project_id, api_key_fingerprint, service_tier, batch, use_case, entrypoint,
        if(toString(model) IN (SELECT toString(model) FROM tokenledger.model_prices), toString(model),
           replaceRegexpOne(toString(model), '-[0-9]{4}-[0-9]{2}-[0-9]{2}$', '')) AS price_model,
        if(service_tier IN ('', 'auto', 'default', 'standard'), 'default', toString(service_tier)) AS price_tier,
        sum(num_model_requests) AS num_model_requests,
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
        sum(input_characters) AS input_characters
    FROM tokenledger.usage_hourly
    GROUP BY hour, day, ServiceName, api, model, project_id, api_key_fingerprint, service_tier, batch,
             use_case, entrypoint, price_model, price_tier
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
SELECT
    u.Timestamp AS Timestamp,
    u.day AS day,
    u.record_id AS record_id,
    u.ServiceName AS ServiceName,
    u.TraceId AS TraceId,
    u.SpanId AS SpanId,
    u.provider AS provider,
    u.operation AS operation,
    u.api AS api,
    u.request_model AS request_model,
    u.response_model AS response_model,
    u.model AS model,
    u.response_id AS response_id,
    u.service_tier AS service_tier,
    u.batch AS batch,
    u.status AS status,
    u.http_status_code AS http_status_code,
    u.usage_source AS usage_source,
    u.usage_split AS usage_split,
    u.diagnostic AS diagnostic,
    u.request_id AS request_id,
    u.project_id AS project_id,
    u.organization_id AS organization_id,
    u.server_address AS server_address,
    u.api_key_fingerprint AS api_key_fingerprint,
    u.session_id AS session_id,
    u.connection_id AS connection_id,
    u.use_case AS use_case,
    u.entrypoint AS entrypoint,
    u.enduser_id AS enduser_id,
    u.ingested_at AS ingested_at,
    u.malformed_fields AS malformed_fields,
    u.input_tokens AS input_tokens,
    u.output_tokens AS output_tokens,
    u.input_cached_tokens AS input_cached_tokens,
    u.input_cache_write_tokens AS input_cache_write_tokens,
    u.input_uncached_tokens AS input_uncached_tokens,
    u.input_text_tokens AS input_text_tokens,
    u.input_audio_tokens AS input_audio_tokens,
    u.input_image_tokens AS input_image_tokens,
    u.input_cached_text_tokens AS input_cached_text_tokens,
    u.input_cached_audio_tokens AS input_cached_audio_tokens,
    u.input_cached_image_tokens AS input_cached_image_tokens,
    u.output_text_tokens AS output_text_tokens,
    u.output_audio_tokens AS output_audio_tokens,
    u.output_image_tokens AS output_image_tokens,
    u.output_reasoning_tokens AS output_reasoning_tokens,
    u.audio_seconds AS audio_seconds,
    u.input_characters AS input_characters,
    u.price_model AS price_model,
    u.price_tier AS price_tier,
    if(p.model = '', NULL, p.valid_from) AS price_valid_from,
    p.input_text_per_mtok AS input_text_per_mtok,
    p.input_cached_text_per_mtok AS input_cached_text_per_mtok,
    p.input_cache_write_per_mtok AS input_cache_write_per_mtok,
    p.input_audio_per_mtok AS input_audio_per_mtok,
    p.input_cached_audio_per_mtok AS input_cached_audio_per_mtok,
    p.input_image_per_mtok AS input_image_per_mtok,
    p.input_cached_image_per_mtok AS input_cached_image_per_mtok,
    p.output_text_per_mtok AS output_text_per_mtok,
    p.output_audio_per_mtok AS output_audio_per_mtok,
    p.output_image_per_mtok AS output_image_per_mtok,
    p.audio_per_minute AS audio_per_minute,
    p.characters_per_mchar AS characters_per_mchar,
    -- One component per billed quantity: exact Decimal arithmetic, NULL only when the quantity is
    -- non-zero and its rate unknown.
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
        toDate(Timestamp, 'UTC') AS day,
        if(toString(model) IN (SELECT toString(model) FROM tokenledger.model_prices), toString(model),
           replaceRegexpOne(toString(model), '-[0-9]{4}-[0-9]{2}-[0-9]{2}$', '')) AS price_model,
        if(service_tier IN ('', 'auto', 'default', 'standard'), 'default', toString(service_tier)) AS price_tier
    FROM tokenledger.usage_events
) AS u
ASOF LEFT JOIN
(
    SELECT *
    FROM tokenledger.model_prices FINAL
) AS p
    ON u.price_model = toString(p.model) AND u.price_tier = toString(p.service_tier) AND u.batch = p.batch
       AND u.day >= p.valid_from;

-- The cost view of 010, now read from usage_hourly_priced: the same columns in the same order, with
-- the types it has always had (010 created it while the rollup's measures were UInt64, before 013
-- made them signed).
CREATE OR REPLACE VIEW tokenledger.usage_cost_hourly
AS
SELECT
    hour,
    ServiceName,
    api,
    model,
    project_id,
    api_key_fingerprint,
    service_tier,
    batch,
    use_case,
    entrypoint,
    price_model,
    price_tier,
    price_valid_from,
    toUInt64(num_model_requests) AS num_model_requests,
    toUInt64(input_tokens) AS input_tokens,
    toUInt64(output_tokens) AS output_tokens,
    input_cost_usd,
    output_cost_usd,
    other_cost_usd,
    cost_usd,
    toUInt64(unpriced_tokens) AS unpriced_tokens,
    input_text_cost_usd AS c_input_text,
    input_cached_text_cost_usd AS c_input_cached_text,
    input_cache_write_cost_usd AS c_input_cache_write,
    input_audio_cost_usd AS c_input_audio,
    input_cached_audio_cost_usd AS c_input_cached_audio,
    input_image_cost_usd AS c_input_image,
    input_cached_image_cost_usd AS c_input_cached_image,
    output_text_cost_usd AS c_output_text,
    output_audio_cost_usd AS c_output_audio,
    output_image_cost_usd AS c_output_image,
    audio_seconds_cost_usd AS c_audio_seconds,
    input_characters_cost_usd AS c_characters
FROM tokenledger.usage_hourly_priced;
