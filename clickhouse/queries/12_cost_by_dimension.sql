-- Cost and tokens by one attribution dimension (entry point, use case, project, API key, ...).
-- One of: entry point, use case, project, API key, service, API or model.
-- dimension: entrypoint (tokenledger.entrypoint, the inbound request that spent the tokens),
-- use_case (tokenledger.use_case), project (openai.project), api_key (the key fingerprint
-- tokenledger.api_key.fingerprint, never the key), service (service.name), api or model. Values
-- the traffic did not carry show as '(none)'. From tokenledger.usage_cost_hourly; per-user cost is
-- cost_by_user (users are kept in the ledger only).
--
-- @param from | DateTime('UTC') | now() - INTERVAL 7 DAY | $__fromTime | start of the range (inclusive, rounded down to the hour)
-- @param to | DateTime('UTC') | now() | $__toTime | end of the range (inclusive)
-- @param services | Array(String) | [] | service | service.name values to include; empty = all
-- @param models | Array(String) | [] | model | billed models to include; empty = all
-- @param projects | Array(String) | [] | project | OpenAI project ids to include; empty = all
-- @param environments | Array(String) | [] | environment | deployment.environment.name values (services that sent usage from them); empty = all
-- @param dimension | String | 'entrypoint' | | entrypoint, use_case, project, api_key, service, api or model
-- @param limit | UInt32 | 50 | | at most this many rows (highest cost first)
-- @column value | String | | the dimension's value
-- @column requests | UInt64 | requests | billable requests
-- @column input_tokens | UInt64 | tokens | input tokens
-- @column output_tokens | UInt64 | tokens | output tokens
-- @column cost_usd | Nullable(Decimal(38, 12)) | USD | cost at the effective prices
-- @column unpriced_tokens | UInt64 | tokens | tokens without a price (not in cost_usd)
SELECT
    if(raw = '', '(none)', raw) AS value,
    sum(num_model_requests) AS requests,
    sum(input_tokens) AS input_tokens,
    sum(output_tokens) AS output_tokens,
    sum(cost_usd) AS cost_usd,
    sum(unpriced_tokens) AS unpriced_tokens
FROM
(
    SELECT
        multiIf({dimension:String} = 'entrypoint', toString(entrypoint),
                {dimension:String} = 'use_case', toString(use_case),
                {dimension:String} = 'project', toString(project_id),
                {dimension:String} = 'api_key', toString(api_key_fingerprint),
                {dimension:String} = 'service', toString(ServiceName),
                {dimension:String} = 'api', toString(api),
                toString(model)) AS raw,
        num_model_requests, input_tokens, output_tokens, cost_usd, unpriced_tokens
    FROM tokenledger.usage_cost_hourly
    WHERE hour >= toStartOfHour({from:DateTime('UTC')}) AND hour <= {to:DateTime('UTC')}
      AND (empty({services:Array(String)}) OR has({services:Array(String)}, ServiceName))
      AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
      AND (empty({projects:Array(String)}) OR has({projects:Array(String)}, project_id))
      AND (empty({environments:Array(String)}) OR ServiceName IN (SELECT ServiceName FROM tokenledger.otel_logs WHERE Timestamp >= {from:DateTime('UTC')} - INTERVAL 1 DAY AND has({environments:Array(String)}, ResourceAttributes['deployment.environment.name'])))
      AND throwIf(NOT has(['entrypoint', 'use_case', 'project', 'api_key', 'service', 'api', 'model'], {dimension:String}),
                  'dimension must be one of entrypoint, use_case, project, api_key, service, api, model') = 0
)
GROUP BY value
ORDER BY cost_usd DESC NULLS LAST, input_tokens + output_tokens DESC, value
LIMIT {limit:UInt32}
