-- Cost over time per model, from tokenledger.usage_cost_hourly (prices applied at query time).
-- cost_usd is NULL for a bucket where nothing of the model is priced; unpriced_tokens counts the
-- tokens no price applies to (unknown model, tier without a price list, missing rate).
--
-- @param from | DateTime('UTC') | now() - INTERVAL 7 DAY | $__fromTime | start of the range (inclusive, rounded down to the hour)
-- @param to | DateTime('UTC') | now() | $__toTime | end of the range (inclusive)
-- @param bucket_seconds | UInt32 | 3600 | $__interval_s | bucket width in seconds (at least one hour: the rollup's grain)
-- @param services | Array(String) | [] | service | service.name values to include; empty = all
-- @param models | Array(String) | [] | model | billed models to include; empty = all
-- @param projects | Array(String) | [] | project | OpenAI project ids to include; empty = all
-- @param environments | Array(String) | [] | environment | deployment.environment.name values (services that sent usage from them); empty = all
-- @column time | DateTime('UTC') | | start of the bucket
-- @column model | LowCardinality(String) | | the billed model
-- @column cost_usd | Nullable(Decimal(38, 12)) | USD | cost at the effective prices
-- @column unpriced_tokens | UInt64 | tokens | tokens without a price (not in cost_usd)
SELECT
    toStartOfInterval(hour, toIntervalSecond(greatest({bucket_seconds:UInt32}, 3600))) AS time,
    model,
    sum(cost_usd) AS cost_usd,
    sum(unpriced_tokens) AS unpriced_tokens
FROM tokenledger.usage_cost_hourly
WHERE hour >= toStartOfHour({from:DateTime('UTC')}) AND hour <= {to:DateTime('UTC')}
  AND (empty({services:Array(String)}) OR has({services:Array(String)}, ServiceName))
  AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
  AND (empty({projects:Array(String)}) OR has({projects:Array(String)}, project_id))
  AND (empty({environments:Array(String)}) OR ServiceName IN (SELECT ServiceName FROM tokenledger.otel_logs WHERE Timestamp >= {from:DateTime('UTC')} - INTERVAL 1 DAY AND has({environments:Array(String)}, ResourceAttributes['deployment.environment.name'])))
GROUP BY time, model
ORDER BY time, model
