-- Missing usage and inferred splits per API and model: how much of the ledger is not exact.
-- missing_requests: responses that should have carried usage but did not (usage_source =
-- missing: zero tokens recorded). inferred_requests: usage whose modality split the provider did
-- not give (counted as text, usage_split = inferred). malformed_fields: token attributes that
-- arrived but were not numbers (each counted as 0). Ratios are of all requests. Hourly rollup.
--
-- @param from | DateTime('UTC') | now() - INTERVAL 7 DAY | $__fromTime | start of the range (inclusive, rounded down to the hour)
-- @param to | DateTime('UTC') | now() | $__toTime | end of the range (inclusive)
-- @param services | Array(String) | [] | service | service.name values to include; empty = all
-- @param models | Array(String) | [] | model | billed models to include; empty = all
-- @param projects | Array(String) | [] | project | OpenAI project ids to include; empty = all
-- @param environments | Array(String) | [] | environment | deployment.environment.name values (services that sent usage from them); empty = all
-- @column api | LowCardinality(String) | | tokenledger.api
-- @column model | LowCardinality(String) | | the billed model
-- @column requests | Int64 | requests | all billable requests
-- @column missing_requests | Int64 | requests | requests without usage
-- @column inferred_requests | Int64 | requests | requests with an inferred modality split
-- @column missing_ratio | Float64 | ratio | missing_requests / requests
-- @column inferred_ratio | Float64 | ratio | inferred_requests / requests
-- @column malformed_fields | Int64 | count | token attributes that were not numbers
SELECT
    api,
    model,
    sum(num_model_requests) AS requests,
    sumIf(num_model_requests, usage_source = 'missing') AS missing_requests,
    sumIf(num_model_requests, usage_split = 'inferred') AS inferred_requests,
    if(requests = 0, 0., missing_requests / requests) AS missing_ratio,
    if(requests = 0, 0., inferred_requests / requests) AS inferred_ratio,
    sum(malformed_fields) AS malformed_fields
FROM tokenledger.usage_hourly
WHERE hour >= toStartOfHour({from:DateTime('UTC')}) AND hour <= {to:DateTime('UTC')}
  AND (empty({services:Array(String)}) OR has({services:Array(String)}, ServiceName))
  AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
  AND (empty({projects:Array(String)}) OR has({projects:Array(String)}, project_id))
  AND (empty({environments:Array(String)}) OR ServiceName IN (SELECT ServiceName FROM tokenledger.otel_logs WHERE Timestamp >= {from:DateTime('UTC')} - INTERVAL 1 DAY AND has({environments:Array(String)}, ResourceAttributes['deployment.environment.name'])))
GROUP BY api, model
ORDER BY missing_requests DESC, inferred_requests DESC, api, model
