-- Missing-usage and inferred-split requests over time, per API (definitions as in missing_usage).
--
-- @param from | DateTime('UTC') | now() - INTERVAL 7 DAY | $__fromTime | start of the range (inclusive, rounded down to the hour)
-- @param to | DateTime('UTC') | now() | $__toTime | end of the range (inclusive)
-- @param bucket_seconds | UInt32 | 3600 | $__interval_s | bucket width in seconds (at least one hour: the rollup's grain)
-- @param services | Array(String) | [] | service | service.name values to include; empty = all
-- @param models | Array(String) | [] | model | billed models to include; empty = all
-- @param projects | Array(String) | [] | project | OpenAI project ids to include; empty = all
-- @param environments | Array(String) | [] | environment | deployment.environment.name values (services that sent usage from them); empty = all
-- @column time | DateTime('UTC') | | start of the bucket
-- @column api | LowCardinality(String) | | tokenledger.api
-- @column missing_requests | Int64 | requests | requests without usage
-- @column inferred_requests | Int64 | requests | requests with an inferred modality split
SELECT
    toStartOfInterval(hour, toIntervalSecond(greatest({bucket_seconds:UInt32}, 3600))) AS time,
    api,
    sumIf(num_model_requests, usage_source = 'missing') AS missing_requests,
    sumIf(num_model_requests, usage_split = 'inferred') AS inferred_requests
FROM tokenledger.usage_hourly
WHERE hour >= toStartOfHour({from:DateTime('UTC')}) AND hour <= {to:DateTime('UTC')}
  AND (empty({services:Array(String)}) OR has({services:Array(String)}, ServiceName))
  AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
  AND (empty({projects:Array(String)}) OR has({projects:Array(String)}, project_id))
  AND (empty({environments:Array(String)}) OR ServiceName IN (SELECT ServiceName FROM tokenledger.otel_logs WHERE Timestamp >= {from:DateTime('UTC')} - INTERVAL 1 DAY AND has({environments:Array(String)}, ResourceAttributes['deployment.environment.name'])))
GROUP BY time, api
ORDER BY time, api
