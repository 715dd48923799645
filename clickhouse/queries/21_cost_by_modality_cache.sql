-- Tokens and cost per model, direction, modality and cache status over the range.
-- Every token counted once (as in tokens_by_modality_cache: cache writes have modality 'any'),
-- priced at its own rate — uncached, cached and cache-write rates per modality — at the effective
-- prices of each UTC day (lookup rules of tokenledger.usage_cost_hourly). cost_usd is NULL where
-- the rate is unknown. Duration- and character-billed usage (transcription seconds, speech
-- characters) has no tokens and is not listed. Hourly rollup.
--
-- @param from | DateTime('UTC') | now() - INTERVAL 7 DAY | $__fromTime | start of the range (inclusive, rounded down to the hour)
-- @param to | DateTime('UTC') | now() | $__toTime | end of the range (inclusive)
-- @param services | Array(String) | [] | service | service.name values to include; empty = all
-- @param models | Array(String) | [] | model | billed models to include; empty = all
-- @param projects | Array(String) | [] | project | OpenAI project ids to include; empty = all
-- @param environments | Array(String) | [] | environment | deployment.environment.name values (services that sent usage from them); empty = all
-- @column model | LowCardinality(String) | | the billed model
-- @column token_type | String | | input or output
-- @column modality | String | | text, audio, image (any for cache writes)
-- @column cache | String | | uncached, cached or cache_write
-- @column tokens | Int64 | tokens | tokens
-- @column cost_usd | Nullable(Decimal(38, 12)) | USD | their cost at the effective prices
SELECT
    model,
    part.1 AS token_type,
    part.2 AS modality,
    part.3 AS cache,
    sum(part.4) AS tokens,
    sum(if(part.4 = 0, toDecimal128(0, 12), toDecimal128(part.4, 6) * part.5 / 1000000)) AS cost_usd
FROM
(
    SELECT
        u.model AS model,
        [
            ('input', 'text', 'uncached', u.input_text_tokens, p.input_text_per_mtok),
            ('input', 'audio', 'uncached', u.input_audio_tokens, p.input_audio_per_mtok),
            ('input', 'image', 'uncached', u.input_image_tokens, p.input_image_per_mtok),
            ('input', 'text', 'cached', u.input_cached_text_tokens, p.input_cached_text_per_mtok),
            ('input', 'audio', 'cached', u.input_cached_audio_tokens, p.input_cached_audio_per_mtok),
            ('input', 'image', 'cached', u.input_cached_image_tokens, p.input_cached_image_per_mtok),
            ('input', 'any', 'cache_write', u.input_cache_write_tokens, p.input_cache_write_per_mtok),
            ('output', 'text', 'uncached', u.output_text_tokens, p.output_text_per_mtok),
            ('output', 'audio', 'uncached', u.output_audio_tokens, p.output_audio_per_mtok),
            ('output', 'image', 'uncached', u.output_image_tokens, p.output_image_per_mtok)] AS parts
    FROM
    (
        SELECT
            hour,
            toDate(hour, 'UTC') AS day,
            model,
            batch,
            if(toString(model) IN (SELECT toString(model) FROM tokenledger.model_prices), toString(model),
               replaceRegexpOne(toString(model), '-[0-9]{4}-[0-9]{2}-[0-9]{2}$', '')) AS price_model,
            if(service_tier IN ('', 'auto', 'default', 'standard'), 'default', toString(service_tier)) AS price_tier,
            sum(input_text_tokens) AS input_text_tokens,
            sum(input_audio_tokens) AS input_audio_tokens,
            sum(input_image_tokens) AS input_image_tokens,
            sum(input_cached_text_tokens) AS input_cached_text_tokens,
            sum(input_cached_audio_tokens) AS input_cached_audio_tokens,
            sum(input_cached_image_tokens) AS input_cached_image_tokens,
            sum(input_cache_write_tokens) AS input_cache_write_tokens,
            sum(output_text_tokens) AS output_text_tokens,
            sum(output_audio_tokens) AS output_audio_tokens,
            sum(output_image_tokens) AS output_image_tokens
        FROM tokenledger.usage_hourly
        WHERE hour >= toStartOfHour({from:DateTime('UTC')}) AND hour <= {to:DateTime('UTC')}
          AND (empty({services:Array(String)}) OR has({services:Array(String)}, ServiceName))
          AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
          AND (empty({projects:Array(String)}) OR has({projects:Array(String)}, project_id))
          AND (empty({environments:Array(String)}) OR ServiceName IN (SELECT ServiceName FROM tokenledger.otel_logs WHERE Timestamp >= {from:DateTime('UTC')} - INTERVAL 1 DAY AND has({environments:Array(String)}, ResourceAttributes['deployment.environment.name'])))
        GROUP BY hour, day, model, batch, price_model, price_tier
    ) AS u
    ASOF LEFT JOIN (SELECT * FROM tokenledger.model_prices FINAL) AS p
        ON u.price_model = toString(p.model) AND u.price_tier = toString(p.service_tier) AND u.batch = p.batch
           AND u.day >= p.valid_from
)
ARRAY JOIN parts AS part
GROUP BY model, token_type, modality, cache
HAVING tokens > 0
ORDER BY model, token_type, modality, cache
