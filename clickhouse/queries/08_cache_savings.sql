-- Prompt caching per model: cache hit rate and the money it saved.
-- cache_hit_rate = cached input / input tokens. saved_usd = what the cached tokens would have cost
-- at the uncached rate minus what they cost at the cached rate, per modality, at the effective
-- prices of each UTC day (same lookup rules as tokenledger.usage_cost_hourly); NULL where a rate
-- is unknown (an unpriced model or tier saves nothing we can state). Hourly rollup.
--
-- @param from | DateTime('UTC') | now() - INTERVAL 7 DAY | $__fromTime | start of the range (inclusive, rounded down to the hour)
-- @param to | DateTime('UTC') | now() | $__toTime | end of the range (inclusive)
-- @param services | Array(String) | [] | service | service.name values to include; empty = all
-- @param models | Array(String) | [] | model | billed models to include; empty = all
-- @param projects | Array(String) | [] | project | OpenAI project ids to include; empty = all
-- @param environments | Array(String) | [] | environment | deployment.environment.name values (services that sent usage from them); empty = all
-- @column model | LowCardinality(String) | | the billed model
-- @column input_tokens | Int64 | tokens | input tokens
-- @column input_cached_tokens | Int64 | tokens | input tokens read from the prompt cache
-- @column cache_hit_rate | Float64 | ratio | cached share of input tokens
-- @column saved_usd | Nullable(Decimal(38, 12)) | USD | money saved by caching
SELECT
    u.model AS model,
    sum(u.input_tokens) AS input_tokens,
    sum(u.input_cached_tokens) AS input_cached_tokens,
    if(input_tokens = 0, 0., input_cached_tokens / input_tokens) AS cache_hit_rate,
    sum(if(u.input_cached_text_tokens = 0, toDecimal128(0, 12), toDecimal128(u.input_cached_text_tokens, 6) * (p.input_text_per_mtok - p.input_cached_text_per_mtok) / 1000000)
          + if(u.input_cached_audio_tokens = 0, toDecimal128(0, 12), toDecimal128(u.input_cached_audio_tokens, 6) * (p.input_audio_per_mtok - p.input_cached_audio_per_mtok) / 1000000)
          + if(u.input_cached_image_tokens = 0, toDecimal128(0, 12), toDecimal128(u.input_cached_image_tokens, 6) * (p.input_image_per_mtok - p.input_cached_image_per_mtok) / 1000000)) AS saved_usd
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
        sum(input_tokens) AS input_tokens,
        sum(input_cached_tokens) AS input_cached_tokens,
        sum(input_cached_text_tokens) AS input_cached_text_tokens,
        sum(input_cached_audio_tokens) AS input_cached_audio_tokens,
        sum(input_cached_image_tokens) AS input_cached_image_tokens
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
GROUP BY model
ORDER BY saved_usd DESC NULLS LAST, model
