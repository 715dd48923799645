-- The most expensive sessions: requests, tokens and cost per tokenledger.session.id.
-- Any API's records that carry a session id (Realtime sessions, or sessions the application
-- names). Highest cost first, then most tokens.
-- Cost per ledger record at the effective price of its UTC day: cost_usd of
-- tokenledger.usage_events_priced, NULL when a token count needs a rate the price list does not give.
--
-- @param from | DateTime('UTC') | now() - INTERVAL 7 DAY | $__fromTime | start of the range (inclusive)
-- @param to | DateTime('UTC') | now() | $__toTime | end of the range (inclusive)
-- @param services | Array(String) | [] | service | service.name values to include; empty = all
-- @param models | Array(String) | [] | model | billed models to include; empty = all
-- @param projects | Array(String) | [] | project | OpenAI project ids to include; empty = all
-- @param environments | Array(String) | [] | environment | deployment.environment.name values (services that sent usage from them); empty = all
-- @param limit | UInt32 | 20 | | at most this many sessions
-- @column session_id | String | | tokenledger.session.id
-- @column api | String | | tokenledger.api (the most frequent one)
-- @column requests | UInt64 | requests | usage records
-- @column input_tokens | UInt64 | tokens | input tokens
-- @column output_tokens | UInt64 | tokens | output tokens
-- @column cost_usd | Nullable(Decimal(38, 12)) | USD | cost of the records with known prices
-- @column first_seen | DateTime64(9, 'UTC') | | first usage record
-- @column last_seen | DateTime64(9, 'UTC') | | last usage record
SELECT
    e.session_id AS session_id,
    toString(topK(1)(e.api)[1]) AS api,
    count() AS requests,
    sum(e.input_tokens) AS input_tokens,
    sum(e.output_tokens) AS output_tokens,
    sum(e.cost_usd) AS cost_usd,
    min(e.Timestamp) AS first_seen,
    max(e.Timestamp) AS last_seen
FROM tokenledger.usage_events_priced AS e
WHERE e.Timestamp >= {from:DateTime('UTC')} AND e.Timestamp <= {to:DateTime('UTC')}
  AND (empty({services:Array(String)}) OR has({services:Array(String)}, e.ServiceName))
  AND (empty({models:Array(String)}) OR has({models:Array(String)}, e.model))
  AND (empty({projects:Array(String)}) OR has({projects:Array(String)}, e.project_id))
  AND (empty({environments:Array(String)}) OR e.ServiceName IN (SELECT ServiceName FROM tokenledger.otel_logs WHERE Timestamp >= {from:DateTime('UTC')} - INTERVAL 1 DAY AND has({environments:Array(String)}, ResourceAttributes['deployment.environment.name'])))
  AND e.session_id != ''
GROUP BY session_id
ORDER BY cost_usd DESC NULLS LAST, input_tokens + output_tokens DESC, session_id
LIMIT {limit:UInt32}
