-- Realtime sessions: connections, responses, cancelled responses, audio vs text and cost each.
-- One row per tokenledger.session.id with Realtime usage in the range, most recent first.
-- Cost per ledger record at the effective price of its UTC day, by the lookup rules of
-- tokenledger.usage_cost_hourly (dated suffix dropped when the exact model is not listed; '', auto,
-- default and standard tiers use the standard list; batch rows their own); NULL when a token count
-- needs a rate the price list does not give.
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
-- @column responses | UInt64 | count | responses (response.done), any status
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
    countIf(e.operation != 'transcription') AS responses,
    countIf(e.operation != 'transcription' AND e.status = 'cancelled') AS cancelled_responses,
    countIf(e.operation = 'transcription') AS transcriptions,
    sum(e.input_audio_tokens + e.input_cached_audio_tokens) AS input_audio_tokens,
    sum(e.input_text_tokens + e.input_cached_text_tokens) AS input_text_tokens,
    sum(e.output_audio_tokens) AS output_audio_tokens,
    sum(e.output_text_tokens) AS output_text_tokens,
    sum(if(e.input_text_tokens = 0, toDecimal128(0, 12), toDecimal128(e.input_text_tokens, 6) * p.input_text_per_mtok / 1000000)
          + if(e.input_cached_text_tokens = 0, toDecimal128(0, 12), toDecimal128(e.input_cached_text_tokens, 6) * p.input_cached_text_per_mtok / 1000000)
          + if(e.input_cache_write_tokens = 0, toDecimal128(0, 12), toDecimal128(e.input_cache_write_tokens, 6) * p.input_cache_write_per_mtok / 1000000)
          + if(e.input_audio_tokens = 0, toDecimal128(0, 12), toDecimal128(e.input_audio_tokens, 6) * p.input_audio_per_mtok / 1000000)
          + if(e.input_cached_audio_tokens = 0, toDecimal128(0, 12), toDecimal128(e.input_cached_audio_tokens, 6) * p.input_cached_audio_per_mtok / 1000000)
          + if(e.input_image_tokens = 0, toDecimal128(0, 12), toDecimal128(e.input_image_tokens, 6) * p.input_image_per_mtok / 1000000)
          + if(e.input_cached_image_tokens = 0, toDecimal128(0, 12), toDecimal128(e.input_cached_image_tokens, 6) * p.input_cached_image_per_mtok / 1000000)
          + if(e.output_text_tokens = 0, toDecimal128(0, 12), toDecimal128(e.output_text_tokens, 6) * p.output_text_per_mtok / 1000000)
          + if(e.output_audio_tokens = 0, toDecimal128(0, 12), toDecimal128(e.output_audio_tokens, 6) * p.output_audio_per_mtok / 1000000)
          + if(e.output_image_tokens = 0, toDecimal128(0, 12), toDecimal128(e.output_image_tokens, 6) * p.output_image_per_mtok / 1000000)
          + if(e.audio_seconds = 0, toDecimal128(0, 12), toDecimal128(e.audio_seconds, 6) * p.audio_per_minute / 60)
          + if(e.input_characters = 0, toDecimal128(0, 12), toDecimal128(e.input_characters, 6) * p.characters_per_mchar / 1000000)) AS cost_usd,
    min(e.Timestamp) AS first_seen,
    max(e.Timestamp) AS last_seen
FROM
(
    SELECT *,
        toDate(Timestamp, 'UTC') AS day,
        if(toString(model) IN (SELECT toString(model) FROM tokenledger.model_prices), toString(model),
           replaceRegexpOne(toString(model), '-[0-9]{4}-[0-9]{2}-[0-9]{2}$', '')) AS price_model,
        if(service_tier IN ('', 'auto', 'default', 'standard'), 'default', toString(service_tier)) AS price_tier
    FROM tokenledger.usage_events
    WHERE Timestamp >= {from:DateTime('UTC')} AND Timestamp <= {to:DateTime('UTC')}
      AND (empty({services:Array(String)}) OR has({services:Array(String)}, ServiceName))
      AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
      AND (empty({projects:Array(String)}) OR has({projects:Array(String)}, project_id))
      AND (empty({environments:Array(String)}) OR ServiceName IN (SELECT ServiceName FROM tokenledger.otel_logs WHERE Timestamp >= {from:DateTime('UTC')} - INTERVAL 1 DAY AND has({environments:Array(String)}, ResourceAttributes['deployment.environment.name'])))
      AND api = 'realtime' AND session_id != ''
) AS e
ASOF LEFT JOIN (SELECT * FROM tokenledger.model_prices FINAL) AS p
    ON e.price_model = toString(p.model) AND e.price_tier = toString(p.service_tier) AND e.batch = p.batch
       AND e.day >= p.valid_from
GROUP BY session_id
ORDER BY last_seen DESC, session_id
LIMIT {limit:UInt32}
