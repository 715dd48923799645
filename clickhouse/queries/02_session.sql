-- One session's usage records in time order: the answer to `tokenledger report session ID`.
-- A session is a tokenledger.session.id (Realtime sessions, or whatever the application names a
-- session); the ID also matches a connection id (tokenledger.connection.id) or a trace id, so a
-- single HTTP call can be looked up by its trace. Read from the ledger (usage_events), one row per
-- usage record; cost per record at the effective price of its UTC day (same lookup rules as
-- tokenledger.usage_cost_hourly: dated suffix dropped when the exact model is not listed; '',
-- auto, default and standard tiers use the standard list; batch rows their own).
--
-- @param session_id | String | | | the session, connection or trace id to show
-- @param limit | UInt32 | 10000 | | at most this many records
-- @column time | DateTime64(9, 'UTC') | | when the usage record was emitted
-- @column api | LowCardinality(String) | | tokenledger.api
-- @column model | LowCardinality(String) | | the billed model
-- @column status | LowCardinality(String) | | tokenledger.status (Realtime: completed, cancelled, failed, incomplete)
-- @column usage_source | LowCardinality(String) | | reported, missing or counted
-- @column response_id | String | | gen_ai.response.id
-- @column connection_id | String | | tokenledger.connection.id
-- @column input_tokens | UInt64 | tokens | input tokens: uncached + cached + cache writes
-- @column input_cached_tokens | UInt64 | tokens | input tokens read from the prompt cache
-- @column input_audio_tokens | UInt64 | tokens | audio input, cached audio included
-- @column output_tokens | UInt64 | tokens | output tokens
-- @column output_audio_tokens | UInt64 | tokens | audio output
-- @column cost_usd | Nullable(Decimal(38, 12)) | USD | cost of the record; NULL when a needed rate is unknown
SELECT
    e.Timestamp AS time,
    e.api AS api,
    e.model AS model,
    e.status AS status,
    e.usage_source AS usage_source,
    e.response_id AS response_id,
    e.connection_id AS connection_id,
    e.input_tokens AS input_tokens,
    e.input_cached_tokens AS input_cached_tokens,
    e.input_audio_tokens + e.input_cached_audio_tokens AS input_audio_tokens,
    e.output_tokens AS output_tokens,
    e.output_audio_tokens AS output_audio_tokens,
    if(e.input_text_tokens = 0, toDecimal128(0, 12), toDecimal128(e.input_text_tokens, 6) * p.input_text_per_mtok / 1000000)
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
      + if(e.input_characters = 0, toDecimal128(0, 12), toDecimal128(e.input_characters, 6) * p.characters_per_mchar / 1000000) AS cost_usd
FROM
(
    SELECT *,
        toDate(Timestamp, 'UTC') AS day,
        if(toString(model) IN (SELECT toString(model) FROM tokenledger.model_prices), toString(model),
           replaceRegexpOne(toString(model), '-[0-9]{4}-[0-9]{2}-[0-9]{2}$', '')) AS price_model,
        if(service_tier IN ('', 'auto', 'default', 'standard'), 'default', toString(service_tier)) AS price_tier
    FROM tokenledger.usage_events
    WHERE session_id = {session_id:String} OR connection_id = {session_id:String} OR TraceId = {session_id:String}
) AS e
ASOF LEFT JOIN (SELECT * FROM tokenledger.model_prices FINAL) AS p
    ON e.price_model = toString(p.model) AND e.price_tier = toString(p.service_tier) AND e.batch = p.batch
       AND e.day >= p.valid_from
ORDER BY time, response_id
LIMIT {limit:UInt32}
