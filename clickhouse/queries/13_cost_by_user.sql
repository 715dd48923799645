-- Cost and tokens per end user (enduser.id from baggage), from the ledger.
-- Records without a user show as '(none)'.
-- Cost per ledger record at the effective price of its UTC day: cost_usd of
-- tokenledger.usage_events_priced, NULL when a token count needs a rate the price list does not give.
--
-- @param from | DateTime('UTC') | now() - INTERVAL 7 DAY | $__fromTime | start of the range (inclusive)
-- @param to | DateTime('UTC') | now() | $__toTime | end of the range (inclusive)
-- @param services | Array(String) | [] | service | service.name values to include; empty = all
-- @param models | Array(String) | [] | model | billed models to include; empty = all
-- @param projects | Array(String) | [] | project | OpenAI project ids to include; empty = all
-- @param environments | Array(String) | [] | environment | deployment.environment.name values (services that sent usage from them); empty = all
-- @param limit | UInt32 | 50 | | at most this many users (highest cost first)
-- @column user | String | | enduser.id
-- @column requests | UInt64 | requests | usage records
-- @column input_tokens | UInt64 | tokens | input tokens
-- @column output_tokens | UInt64 | tokens | output tokens
-- @column cost_usd | Nullable(Decimal(38, 12)) | USD | cost of the records with known prices
-- @column unpriced_requests | UInt64 | requests | records with tokens no price applies to (not in cost_usd)
SELECT
    if(enduser_id = '', '(none)', enduser_id) AS user,
    count() AS requests,
    sum(e.input_tokens) AS input_tokens,
    sum(e.output_tokens) AS output_tokens,
    sum(e.cost_usd) AS cost_usd,
    countIf(isNull(e.cost_usd)) AS unpriced_requests
FROM tokenledger.usage_events_priced AS e
WHERE Timestamp >= {from:DateTime('UTC')} AND Timestamp <= {to:DateTime('UTC')}
  AND (empty({services:Array(String)}) OR has({services:Array(String)}, ServiceName))
  AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
  AND (empty({projects:Array(String)}) OR has({projects:Array(String)}, project_id))
  AND (empty({environments:Array(String)}) OR ServiceName IN (SELECT ServiceName FROM tokenledger.otel_logs WHERE Timestamp >= {from:DateTime('UTC')} - INTERVAL 1 DAY AND has({environments:Array(String)}, ResourceAttributes['deployment.environment.name'])))
GROUP BY user
ORDER BY cost_usd DESC NULLS LAST, input_tokens + output_tokens DESC, user
LIMIT {limit:UInt32}
