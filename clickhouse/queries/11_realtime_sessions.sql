-- Realtime sessions: connections, responses, cancelled responses, audio vs text and cost each.
-- One row per tokenledger.session.id with Realtime usage in the range, most recent first: ledger
-- rows with tokenledger.api = 'realtime' (one per response.done, any status, or per response cut
-- short before it) and 'realtime.transcription' (one per input-audio transcription with usage).
-- Tokens and cost are those of both kinds of rows.
-- Cost per ledger record at the effective price of its UTC day: cost_usd of
-- tokenledger.usage_events_priced, NULL when a token count needs a rate the price list does not give.
--
-- @param from | DateTime('UTC') | now() - INTERVAL 7 DAY | $__fromTime | start of the range (inclusive)
-- @param to | DateTime('UTC') | now() | $__toTime | end of the range (inclusive)
-- @param services | Array(String) | [] | service | service.name values to include; empty = all
-- @param models | Array(String) | [] | model | billed models to include; empty = all
-- @param projects | Array(String) | [] | project | OpenAI project ids to include; empty = all
-- @param environments | Array(String) | [] | environment | deployment.environment.name values (services that sent usage from them); empty = all
-- @param limit | UInt32 | 100 | | at most this many sessions
-- @column session_id | String | | tokenledger.session.id
-- @column service | String | | service.name
-- @column model | String | | the billed model (the most frequent one)
-- @column connections | UInt64 | count | distinct WebSocket connections
-- @column responses | UInt64 | count | responses (response.done, or cut short), any status
-- @column cancelled_responses | UInt64 | count | responses whose status is cancelled
-- @column transcriptions | UInt64 | count | input-audio transcriptions with usage
-- @column input_audio_tokens | UInt64 | tokens | audio input, cached included
-- @column input_text_tokens | UInt64 | tokens | text input, cached included
-- @column output_audio_tokens | UInt64 | tokens | audio output
-- @column output_text_tokens | UInt64 | tokens | text output
-- @column cost_usd | Nullable(Decimal(38, 12)) | USD | cost of the session's records with known prices
-- @column first_seen | DateTime64(9, 'UTC') | | first usage record
-- @column last_seen | DateTime64(9, 'UTC') | | last usage record
SELECT
    e.session_id AS session_id,
    toString(any(e.ServiceName)) AS service,
    toString(topK(1)(e.model)[1]) AS model,
    uniqExact(e.connection_id) AS connections,
    countIf(e.api = 'realtime') AS responses,
    countIf(e.api = 'realtime' AND e.status = 'cancelled') AS cancelled_responses,
    countIf(e.api = 'realtime.transcription') AS transcriptions,
    sum(e.input_audio_tokens + e.input_cached_audio_tokens) AS input_audio_tokens,
    sum(e.input_text_tokens + e.input_cached_text_tokens) AS input_text_tokens,
    sum(e.output_audio_tokens) AS output_audio_tokens,
    sum(e.output_text_tokens) AS output_text_tokens,
    sum(e.cost_usd) AS cost_usd,
    min(e.Timestamp) AS first_seen,
    max(e.Timestamp) AS last_seen
FROM tokenledger.usage_events_priced AS e
WHERE e.Timestamp >= {from:DateTime('UTC')} AND e.Timestamp <= {to:DateTime('UTC')}
  AND (empty({services:Array(String)}) OR has({services:Array(String)}, e.ServiceName))
  AND (empty({models:Array(String)}) OR has({models:Array(String)}, e.model))
  AND (empty({projects:Array(String)}) OR has({projects:Array(String)}, e.project_id))
  AND (empty({environments:Array(String)}) OR e.ServiceName IN (SELECT ServiceName FROM tokenledger.otel_logs WHERE Timestamp >= {from:DateTime('UTC')} - INTERVAL 1 DAY AND has({environments:Array(String)}, ResourceAttributes['deployment.environment.name'])))
  AND e.api IN ('realtime', 'realtime.transcription') AND e.session_id != ''
GROUP BY session_id
ORDER BY last_seen DESC, session_id
LIMIT {limit:UInt32}
