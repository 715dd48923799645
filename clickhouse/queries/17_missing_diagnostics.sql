-- Why usage went missing: the diagnostics of missing-usage records, per API and model.
-- tokenledger.usage.diagnostic says what was wrong (a stream without include_usage, a truncated
-- or malformed body, a body the application closed early, or a call no transport read:
-- "uncaptured transport: <instrumentation>", one row per instrumentation; such a call has no model
-- unless its Azure deployment names one). From the ledger.
--
-- @param from | DateTime('UTC') | now() - INTERVAL 7 DAY | $__fromTime | start of the range (inclusive)
-- @param to | DateTime('UTC') | now() | $__toTime | end of the range (inclusive)
-- @param services | Array(String) | [] | service | service.name values to include; empty = all
-- @param models | Array(String) | [] | model | billed models to include; empty = all
-- @param projects | Array(String) | [] | project | OpenAI project ids to include; empty = all
-- @param environments | Array(String) | [] | environment | deployment.environment.name values (services that sent usage from them); empty = all
-- @column api | LowCardinality(String) | | tokenledger.api
-- @column model | LowCardinality(String) | | the billed model
-- @column diagnostic | String | | tokenledger.usage.diagnostic
-- @column records | UInt64 | count | missing-usage records
-- @column last_seen | DateTime64(9, 'UTC') | | the latest of them
SELECT
    api,
    model,
    diagnostic,
    count() AS records,
    max(Timestamp) AS last_seen
FROM tokenledger.usage_events
WHERE Timestamp >= {from:DateTime('UTC')} AND Timestamp <= {to:DateTime('UTC')}
  AND (empty({services:Array(String)}) OR has({services:Array(String)}, ServiceName))
  AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
  AND (empty({projects:Array(String)}) OR has({projects:Array(String)}, project_id))
  AND (empty({environments:Array(String)}) OR ServiceName IN (SELECT ServiceName FROM tokenledger.otel_logs WHERE Timestamp >= {from:DateTime('UTC')} - INTERVAL 1 DAY AND has({environments:Array(String)}, ResourceAttributes['deployment.environment.name'])))
  AND usage_source = 'missing'
GROUP BY api, model, diagnostic
ORDER BY records DESC, api, model, diagnostic
