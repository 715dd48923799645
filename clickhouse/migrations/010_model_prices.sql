-- 010_model_prices: effective-dated prices and the cost view computed from them at query time.
--
-- One row per (model, service_tier, batch, valid_from): rates in USD per 1M tokens per modality
-- and cache status, plus the duration rate (per minute of audio) and the character rate (per 1M
-- characters, speech). A price applies from valid_from until the next row for the same model, tier
-- and batch flag (ASOF join), so a price change is a new row and a correction of an existing row is
-- a re-insert with a newer updated_at (ReplacingMergeTree; read with FINAL). Because cost is
-- computed when queried, never stored, a correction applies retroactively to all past usage.
--
-- NULL rate = unknown, not free: usage that needs an unknown rate gets a NULL cost and is counted in
-- unpriced_tokens, so unpriced models are visible. A rate of 0 means free (e.g. cache writes before
-- gpt-5.6).
--
-- Lookup rules of the view:
--   * model: the exact model name if model_prices lists it, else the name with a trailing dated
--     snapshot suffix removed (gpt-4o-2024-08-06 -> gpt-4o);
--   * service_tier: '', 'auto', 'default' and 'standard' all mean the standard list ('default');
--     'flex', 'priority', 'scale' … are looked up as such;
--   * batch: batch rows are their own price rows (50 % for batch-eligible models in the seed).
-- A combination without a price row is unpriced (NULL), never silently billed at another tier.
-- Seed data: 011_seed_model_prices.sql.

-- cluster: replicate_everywhere
CREATE TABLE IF NOT EXISTS tokenledger.model_prices
(
    model                       LowCardinality(String) COMMENT 'model name or family (without dated suffix)',
    service_tier                LowCardinality(String) DEFAULT 'default' COMMENT 'default | flex | priority | scale …',
    batch                       Bool DEFAULT false,
    valid_from                  Date DEFAULT '1970-01-01' COMMENT 'UTC day from which this row applies',
    currency                    LowCardinality(String) DEFAULT 'USD',
    input_text_per_mtok         Nullable(Decimal(18, 6)),
    input_cached_text_per_mtok  Nullable(Decimal(18, 6)),
    input_cache_write_per_mtok  Nullable(Decimal(18, 6)),
    input_audio_per_mtok        Nullable(Decimal(18, 6)),
    input_cached_audio_per_mtok Nullable(Decimal(18, 6)),
    input_image_per_mtok        Nullable(Decimal(18, 6)),
    input_cached_image_per_mtok Nullable(Decimal(18, 6)),
    output_text_per_mtok        Nullable(Decimal(18, 6)),
    output_audio_per_mtok       Nullable(Decimal(18, 6)),
    output_image_per_mtok       Nullable(Decimal(18, 6)),
    audio_per_minute            Nullable(Decimal(18, 6)) COMMENT 'duration-billed transcription',
    characters_per_mchar        Nullable(Decimal(18, 6)) COMMENT 'per 1M input characters (speech)',
    confidence                  LowCardinality(String) DEFAULT '' COMMENT 'high | medium | low, from the price source',
    note                        String DEFAULT '',
    updated_at                  DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (model, service_tier, batch, valid_from);

CREATE VIEW IF NOT EXISTS tokenledger.usage_cost_hourly
AS
SELECT
    u.hour AS hour,
    u.ServiceName AS ServiceName,
    u.api AS api,
    u.model AS model,
    u.project_id AS project_id,
    u.api_key_fingerprint AS api_key_fingerprint,
    u.service_tier AS service_tier,
    u.batch AS batch,
    u.use_case AS use_case,
    u.entrypoint AS entrypoint,
    u.price_model AS price_model,
    u.price_tier AS price_tier,
    if(p.model = '', NULL, p.valid_from) AS price_valid_from,
    u.num_model_requests AS num_model_requests,
    u.input_tokens AS input_tokens,
    u.output_tokens AS output_tokens,
    c_input_text + c_input_cached_text + c_input_cache_write + c_input_audio + c_input_cached_audio
        + c_input_image + c_input_cached_image AS input_cost_usd,
    c_output_text + c_output_audio + c_output_image AS output_cost_usd,
    c_audio_seconds + c_characters AS other_cost_usd,
    input_cost_usd + output_cost_usd + other_cost_usd AS cost_usd,
    if(isNull(p.input_text_per_mtok), u.input_text_tokens, 0)
        + if(isNull(p.input_cached_text_per_mtok), u.input_cached_text_tokens, 0)
        + if(isNull(p.input_cache_write_per_mtok), u.input_cache_write_tokens, 0)
        + if(isNull(p.input_audio_per_mtok), u.input_audio_tokens, 0)
        + if(isNull(p.input_cached_audio_per_mtok), u.input_cached_audio_tokens, 0)
        + if(isNull(p.input_image_per_mtok), u.input_image_tokens, 0)
        + if(isNull(p.input_cached_image_per_mtok), u.input_cached_image_tokens, 0)
        + if(isNull(p.output_text_per_mtok), u.output_text_tokens, 0)
        + if(isNull(p.output_audio_per_mtok), u.output_audio_tokens, 0)
        + if(isNull(p.output_image_per_mtok), u.output_image_tokens, 0) AS unpriced_tokens,
    -- One component per billed quantity: exact Decimal arithmetic, NULL only when the quantity is
    -- non-zero and its rate unknown.
    if(u.input_text_tokens = 0, toDecimal128(0, 12),
       toDecimal128(u.input_text_tokens, 6) * p.input_text_per_mtok / 1000000) AS c_input_text,
    if(u.input_cached_text_tokens = 0, toDecimal128(0, 12),
       toDecimal128(u.input_cached_text_tokens, 6) * p.input_cached_text_per_mtok / 1000000) AS c_input_cached_text,
    if(u.input_cache_write_tokens = 0, toDecimal128(0, 12),
       toDecimal128(u.input_cache_write_tokens, 6) * p.input_cache_write_per_mtok / 1000000) AS c_input_cache_write,
    if(u.input_audio_tokens = 0, toDecimal128(0, 12),
       toDecimal128(u.input_audio_tokens, 6) * p.input_audio_per_mtok / 1000000) AS c_input_audio,
    if(u.input_cached_audio_tokens = 0, toDecimal128(0, 12),
       toDecimal128(u.input_cached_audio_tokens, 6) * p.input_cached_audio_per_mtok / 1000000) AS c_input_cached_audio,
    if(u.input_image_tokens = 0, toDecimal128(0, 12),
       toDecimal128(u.input_image_tokens, 6) * p.input_image_per_mtok / 1000000) AS c_input_image,
    if(u.input_cached_image_tokens = 0, toDecimal128(0, 12),
       toDecimal128(u.input_cached_image_tokens, 6) * p.input_cached_image_per_mtok / 1000000) AS c_input_cached_image,
    if(u.output_text_tokens = 0, toDecimal128(0, 12),
       toDecimal128(u.output_text_tokens, 6) * p.output_text_per_mtok / 1000000) AS c_output_text,
    if(u.output_audio_tokens = 0, toDecimal128(0, 12),
       toDecimal128(u.output_audio_tokens, 6) * p.output_audio_per_mtok / 1000000) AS c_output_audio,
    if(u.output_image_tokens = 0, toDecimal128(0, 12),
       toDecimal128(u.output_image_tokens, 6) * p.output_image_per_mtok / 1000000) AS c_output_image,
    if(u.audio_seconds = 0, toDecimal128(0, 12),
       toDecimal128(u.audio_seconds, 6) * p.audio_per_minute / 60) AS c_audio_seconds,
    if(u.input_characters = 0, toDecimal128(0, 12),
       toDecimal128(u.input_characters, 6) * p.characters_per_mchar / 1000000) AS c_characters
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
        sum(input_text_tokens) AS input_text_tokens,
        sum(input_cached_text_tokens) AS input_cached_text_tokens,
        sum(input_cache_write_tokens) AS input_cache_write_tokens,
        sum(input_audio_tokens) AS input_audio_tokens,
        sum(input_cached_audio_tokens) AS input_cached_audio_tokens,
        sum(input_image_tokens) AS input_image_tokens,
        sum(input_cached_image_tokens) AS input_cached_image_tokens,
        sum(output_text_tokens) AS output_text_tokens,
        sum(output_audio_tokens) AS output_audio_tokens,
        sum(output_image_tokens) AS output_image_tokens,
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
