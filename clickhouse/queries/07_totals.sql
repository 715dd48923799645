-- Totals over the range in one row: requests, tokens, cache hit rate and cost (stat panels).
-- cache_hit_rate = cached input / input tokens (0 when there is no input). Tokens from the hourly
-- rollup, cost from tokenledger.usage_cost_hourly.
--
-- @param from | DateTime('UTC') | now() - INTERVAL 7 DAY | $__fromTime | start of the range (inclusive, rounded down to the hour)
-- @param to | DateTime('UTC') | now() | $__toTime | end of the range (inclusive)
-- @param services | Array(String) | [] | service | service.name values to include; empty = all
-- @param models | Array(String) | [] | model | billed models to include; empty = all
-- @param projects | Array(String) | [] | project | OpenAI project ids to include; empty = all
-- @param environments | Array(String) | [] | environment | deployment.environment.name values (services that sent usage from them); empty = all
-- @column requests | Int64 | requests | billable requests, missing-usage ones included
-- @column input_tokens | Int64 | tokens | input tokens
-- @column output_tokens | Int64 | tokens | output tokens
-- @column input_cached_tokens | Int64 | tokens | input tokens read from the prompt cache
-- @column cache_hit_rate | Float64 | ratio | cached share of input tokens
-- @column cost_usd | Nullable(Decimal(38, 12)) | USD | cost at the effective prices
-- @column unpriced_tokens | UInt64 | tokens | tokens without a price (not in cost_usd)
SELECT
    sum(requests) AS requests,
    sum(in_tokens) AS input_tokens,
    sum(out_tokens) AS output_tokens,
    sum(cached_tokens) AS input_cached_tokens,
    if(input_tokens = 0, 0., input_cached_tokens / input_tokens) AS cache_hit_rate,
    sum(cost) AS cost_usd,
    sum(unpriced) AS unpriced_tokens
FROM
(
    SELECT num_model_requests AS requests, input_tokens AS in_tokens, output_tokens AS out_tokens,
           input_cached_tokens AS cached_tokens, CAST(NULL, 'Nullable(Decimal(38, 12))') AS cost, toUInt64(0) AS unpriced
    FROM tokenledger.usage_hourly
    WHERE hour >= toStartOfHour({from:DateTime('UTC')}) AND hour <= {to:DateTime('UTC')}
      AND (empty({services:Array(String)}) OR has({services:Array(String)}, ServiceName))
      AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
      AND (empty({projects:Array(String)}) OR has({projects:Array(String)}, project_id))
      AND (empty({environments:Array(String)}) OR ServiceName IN (SELECT ServiceName FROM tokenledger.otel_logs WHERE Timestamp >= {from:DateTime('UTC')} - INTERVAL 1 DAY AND has({environments:Array(String)}, ResourceAttributes['deployment.environment.name'])))
    UNION ALL
    SELECT 0, 0, 0, 0, cost_usd, unpriced_tokens
    FROM tokenledger.usage_cost_hourly
    WHERE hour >= toStartOfHour({from:DateTime('UTC')}) AND hour <= {to:DateTime('UTC')}
      AND (empty({services:Array(String)}) OR has({services:Array(String)}, ServiceName))
      AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
      AND (empty({projects:Array(String)}) OR has({projects:Array(String)}, project_id))
      AND (empty({environments:Array(String)}) OR ServiceName IN (SELECT ServiceName FROM tokenledger.otel_logs WHERE Timestamp >= {from:DateTime('UTC')} - INTERVAL 1 DAY AND has({environments:Array(String)}, ResourceAttributes['deployment.environment.name'])))
)
