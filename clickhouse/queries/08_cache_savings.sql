-- Prompt caching per model: cache hit rate and the money it saved.
-- cache_hit_rate = cached input / input tokens. saved_usd = what the cached tokens would have cost
-- at the uncached rate minus what they cost at the cached rate, per modality, at the effective
-- prices of each UTC day (saved_by_cache_usd of tokenledger.usage_hourly_priced); NULL where a rate
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
    model,
    sum(g.input_tokens) AS input_tokens,
    sum(g.input_cached_tokens) AS input_cached_tokens,
    if(input_tokens = 0, 0., input_cached_tokens / input_tokens) AS cache_hit_rate,
    sum(g.saved_usd) AS saved_usd
FROM
(
    -- Per hour and price (model, tier, batch flag), as a bill is priced: the group's saving is NULL
    -- when any of its cached tokens needs a rate the price list does not give.
    SELECT
        model,
        sum(h.input_tokens) AS input_tokens,
        sum(h.input_cached_tokens) AS input_cached_tokens,
        if(countIf(isNull(h.saved_by_cache_usd)) > 0, NULL, sum(h.saved_by_cache_usd)) AS saved_usd
    FROM tokenledger.usage_hourly_priced AS h
    WHERE hour >= toStartOfHour({from:DateTime('UTC')}) AND hour <= {to:DateTime('UTC')}
      AND (empty({services:Array(String)}) OR has({services:Array(String)}, ServiceName))
      AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
      AND (empty({projects:Array(String)}) OR has({projects:Array(String)}, project_id))
      AND (empty({environments:Array(String)}) OR ServiceName IN (SELECT ServiceName FROM tokenledger.otel_logs WHERE Timestamp >= {from:DateTime('UTC')} - INTERVAL 1 DAY AND has({environments:Array(String)}, ResourceAttributes['deployment.environment.name'])))
    GROUP BY hour, model, batch, price_tier
) AS g
GROUP BY model
ORDER BY saved_usd DESC NULLS LAST, model
