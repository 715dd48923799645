-- One session's usage records in time order: the answer to `tokenledger report session ID`.
-- A session is a tokenledger.session.id (Realtime sessions, or whatever the application names a
-- session); the ID also matches a connection id (tokenledger.connection.id) or a trace id, so a
-- single HTTP call can be looked up by its trace. Read from the ledger (usage_events), one row per
-- usage record; cost per record at the effective price of its UTC day (cost_usd of
-- tokenledger.usage_events_priced).
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
    e.cost_usd AS cost_usd
FROM tokenledger.usage_events_priced AS e
WHERE e.session_id = {session_id:String} OR e.connection_id = {session_id:String} OR e.TraceId = {session_id:String}
ORDER BY time, response_id
LIMIT {limit:UInt32}
