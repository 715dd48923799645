-- Cache hit rate and money saved by caching over time (all models together).
-- Definitions as in cache_savings: hit rate = cached input / input tokens (0 without input),
-- saved_usd = cached tokens at the uncached minus the cached rate. Hourly rollup, UTC.
--
-- @param from | DateTime('UTC') | now() - INTERVAL 7 DAY | $__fromTime | start of the range (inclusive, rounded down to the hour)
-- @param to | DateTime('UTC') | now() | $__toTime | end of the range (inclusive)
-- @param bucket_seconds | UInt32 | 3600 | $__interval_s | bucket width in seconds (at least one hour: the rollup's grain)
-- @param services | Array(String) | [] | service | service.name values to include; empty = all
-- @param models | Array(String) | [] | model | billed models to include; empty = all
-- @param projects | Array(String) | [] | project | OpenAI project ids to include; empty = all
-- @param environments | Array(String) | [] | environment | deployment.environment.name values (services that sent usage from them); empty = all
-- @column time | DateTime('UTC') | | start of the bucket
-- @column cache_hit_rate | Float64 | ratio | cached share of input tokens
-- @column saved_usd | Nullable(Decimal(38, 12)) | USD | money saved by caching
SELECT
    toStartOfInterval(g.hour, toIntervalSecond(greatest({bucket_seconds:UInt32}, 3600))) AS time,
    if(sum(g.input_tokens) = 0, 0., sum(g.input_cached_tokens) / sum(g.input_tokens)) AS cache_hit_rate,
    sum(g.saved_usd) AS saved_usd
FROM
(
    -- Per hour and price (model, tier, batch flag), as a bill is priced: the group's saving is NULL
    -- when any of its cached tokens needs a rate the price list does not give.
    SELECT
        hour,
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
GROUP BY time
ORDER BY time
