-- Usage summary per model and API: requests, tokens and cost over a time range.
-- The answer to `tokenledger report summary --days N` (pass from = now - N days). Tokens come from
-- the hourly rollup, cost from the view tokenledger.usage_cost_hourly (prices applied at query
-- time, so a price correction applies to past usage). Hours are UTC; the first hour counts whole
-- when `from` is not on the hour. cost_usd is NULL when none of the group's tokens has a known
-- price; unpriced_tokens counts the tokens without one (unknown model, or a rate the list lacks).
--
-- @param from | DateTime('UTC') | now() - INTERVAL 7 DAY | $__fromTime | start of the range (inclusive, rounded down to the hour)
-- @param to | DateTime('UTC') | now() | $__toTime | end of the range (inclusive)
-- @param services | Array(String) | [] | service | service.name values to include; empty = all
-- @param models | Array(String) | [] | model | billed models to include; empty = all
-- @param projects | Array(String) | [] | project | OpenAI project ids to include; empty = all
-- @param environments | Array(String) | [] | environment | deployment.environment.name values (services that sent usage from them); empty = all
-- @column model | LowCardinality(String) | | the billed model (response model, else request model)
-- @column api | LowCardinality(String) | | tokenledger.api, e.g. chat.completions, responses, realtime
-- @column requests | Int64 | requests | billable requests (num_model_requests), missing-usage ones included
-- @column input_tokens | Int64 | tokens | input tokens: uncached + cached + cache writes
-- @column output_tokens | Int64 | tokens | output tokens (reasoning included)
-- @column input_cached_tokens | Int64 | tokens | input tokens read from the prompt cache
-- @column cost_usd | Nullable(Decimal(38, 12)) | USD | cost at the effective prices
-- @column unpriced_tokens | UInt64 | tokens | tokens no price applies to (not in cost_usd)
SELECT
    model,
    api,
    sum(requests) AS requests,
    sum(in_tokens) AS input_tokens,
    sum(out_tokens) AS output_tokens,
    sum(cached_tokens) AS input_cached_tokens,
    sum(cost) AS cost_usd,
    sum(unpriced) AS unpriced_tokens
FROM
(
    SELECT toString(model) AS model, toString(api) AS api, num_model_requests AS requests, input_tokens AS in_tokens,
           output_tokens AS out_tokens, input_cached_tokens AS cached_tokens,
           CAST(NULL, 'Nullable(Decimal(38, 12))') AS cost, toUInt64(0) AS unpriced
    FROM tokenledger.usage_hourly
    WHERE hour >= toStartOfHour({from:DateTime('UTC')}) AND hour <= {to:DateTime('UTC')}
      AND (empty({services:Array(String)}) OR has({services:Array(String)}, ServiceName))
      AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
      AND (empty({projects:Array(String)}) OR has({projects:Array(String)}, project_id))
      AND (empty({environments:Array(String)}) OR ServiceName IN (SELECT ServiceName FROM tokenledger.otel_logs WHERE Timestamp >= {from:DateTime('UTC')} - INTERVAL 1 DAY AND has({environments:Array(String)}, ResourceAttributes['deployment.environment.name'])))
    UNION ALL
    SELECT toString(model), toString(api), 0, 0, 0, 0, cost_usd, unpriced_tokens
    FROM tokenledger.usage_cost_hourly
    WHERE hour >= toStartOfHour({from:DateTime('UTC')}) AND hour <= {to:DateTime('UTC')}
      AND (empty({services:Array(String)}) OR has({services:Array(String)}, ServiceName))
      AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
      AND (empty({projects:Array(String)}) OR has({projects:Array(String)}, project_id))
      AND (empty({environments:Array(String)}) OR ServiceName IN (SELECT ServiceName FROM tokenledger.otel_logs WHERE Timestamp >= {from:DateTime('UTC')} - INTERVAL 1 DAY AND has({environments:Array(String)}, ResourceAttributes['deployment.environment.name'])))
)
GROUP BY model, api
ORDER BY cost_usd DESC NULLS LAST, input_tokens + output_tokens DESC, model, api
