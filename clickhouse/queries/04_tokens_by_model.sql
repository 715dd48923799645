-- Tokens over time per model: input, output and cached input tokens per time bucket.
-- Long format (time, model, measures) sorted by time: Grafana draws one series per model and
-- measure. Read from the hourly rollup (UTC hours), so buckets are at least one hour.
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
-- @column input_tokens | Int64 | tokens | input tokens: uncached + cached + cache writes
-- @column output_tokens | Int64 | tokens | output tokens (reasoning included)
-- @column input_cached_tokens | Int64 | tokens | input tokens read from the prompt cache
SELECT
    toStartOfInterval(hour, toIntervalSecond(greatest({bucket_seconds:UInt32}, 3600))) AS time,
    model,
    sum(input_tokens) AS input_tokens,
    sum(output_tokens) AS output_tokens,
    sum(input_cached_tokens) AS input_cached_tokens
FROM tokenledger.usage_hourly
WHERE hour >= toStartOfHour({from:DateTime('UTC')}) AND hour <= {to:DateTime('UTC')}
  AND (empty({services:Array(String)}) OR has({services:Array(String)}, ServiceName))
  AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
  AND (empty({projects:Array(String)}) OR has({projects:Array(String)}, project_id))
  AND (empty({environments:Array(String)}) OR ServiceName IN (SELECT ServiceName FROM tokenledger.otel_logs WHERE Timestamp >= {from:DateTime('UTC')} - INTERVAL 1 DAY AND has({environments:Array(String)}, ResourceAttributes['deployment.environment.name'])))
GROUP BY time, model
ORDER BY time, model
