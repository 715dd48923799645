-- Tokens and cost per model, direction, modality and cache status over the range.
-- Every token counted once (as in tokens_by_modality_cache: cache writes have modality 'any'),
-- priced at its own rate — uncached, cached and cache-write rates per modality — at the effective
-- prices of each UTC day (the per-field costs of tokenledger.usage_hourly_priced). cost_usd is NULL
-- where the rate is unknown. Duration- and character-billed usage (transcription seconds, speech
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
    g.model AS model,
    g.token_type AS token_type,
    g.modality AS modality,
    g.cache AS cache,
    sum(g.tokens) AS tokens,
    sum(g.cost_usd) AS cost_usd
FROM
(
    -- Per hour and price (model, tier, batch flag), as a bill is priced: a part's cost is NULL when
    -- it has tokens and its rate is unknown.
    SELECT
        model,
        part.1 AS token_type,
        part.2 AS modality,
        part.3 AS cache,
        sum(part.4) AS tokens,
        if(countIf(isNull(part.5)) > 0, NULL, sum(part.5)) AS cost_usd
    FROM tokenledger.usage_hourly_priced
    ARRAY JOIN
        [
            ('input', 'text', 'uncached', input_text_tokens, input_text_cost_usd),
            ('input', 'audio', 'uncached', input_audio_tokens, input_audio_cost_usd),
            ('input', 'image', 'uncached', input_image_tokens, input_image_cost_usd),
            ('input', 'text', 'cached', input_cached_text_tokens, input_cached_text_cost_usd),
            ('input', 'audio', 'cached', input_cached_audio_tokens, input_cached_audio_cost_usd),
            ('input', 'image', 'cached', input_cached_image_tokens, input_cached_image_cost_usd),
            ('input', 'any', 'cache_write', input_cache_write_tokens, input_cache_write_cost_usd),
            ('output', 'text', 'uncached', output_text_tokens, output_text_cost_usd),
            ('output', 'audio', 'uncached', output_audio_tokens, output_audio_cost_usd),
            ('output', 'image', 'uncached', output_image_tokens, output_image_cost_usd)] AS part
    WHERE hour >= toStartOfHour({from:DateTime('UTC')}) AND hour <= {to:DateTime('UTC')}
      AND (empty({services:Array(String)}) OR has({services:Array(String)}, ServiceName))
      AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
      AND (empty({projects:Array(String)}) OR has({projects:Array(String)}, project_id))
      AND (empty({environments:Array(String)}) OR ServiceName IN (SELECT ServiceName FROM tokenledger.otel_logs WHERE Timestamp >= {from:DateTime('UTC')} - INTERVAL 1 DAY AND has({environments:Array(String)}, ResourceAttributes['deployment.environment.name'])))
    GROUP BY hour, model, batch, price_tier, token_type, modality, cache
) AS g
GROUP BY model, token_type, modality, cache
HAVING tokens > 0
ORDER BY model, token_type, modality, cache
