-- Realtime API over time: sessions, connections, responses, cancelled responses, audio vs text.
-- From the ledger rows of the Realtime API: tokenledger.api = 'realtime', one per response.done
-- (status completed, cancelled, failed or incomplete, as tokenledger.status) or per response cut
-- short before it, and tokenledger.api = 'realtime.transcription', one per input-audio
-- transcription that carried usage. sessions and connections count distinct
-- tokenledger.session.id / connection.id values that had usage in the bucket. Tokens are those of
-- both kinds of rows; audio and text input include their cached parts. Buckets of at least a minute.
--
-- @param from | DateTime('UTC') | now() - INTERVAL 7 DAY | $__fromTime | start of the range (inclusive)
-- @param to | DateTime('UTC') | now() | $__toTime | end of the range (inclusive)
-- @param bucket_seconds | UInt32 | 3600 | $__interval_s | bucket width in seconds (at least 60)
-- @param services | Array(String) | [] | service | service.name values to include; empty = all
-- @param models | Array(String) | [] | model | billed models to include; empty = all
-- @param projects | Array(String) | [] | project | OpenAI project ids to include; empty = all
-- @param environments | Array(String) | [] | environment | deployment.environment.name values (services that sent usage from them); empty = all
-- @column time | DateTime('UTC') | | start of the bucket
-- @column sessions | UInt64 | count | distinct sessions with usage
-- @column connections | UInt64 | count | distinct WebSocket connections with usage
-- @column responses | UInt64 | count | responses (response.done, or cut short), any status
-- @column cancelled_responses | UInt64 | count | responses whose status is cancelled
-- @column input_audio_tokens | UInt64 | tokens | audio input, cached included
-- @column input_text_tokens | UInt64 | tokens | text input, cached included
-- @column output_audio_tokens | UInt64 | tokens | audio output
-- @column output_text_tokens | UInt64 | tokens | text output
SELECT
    toStartOfInterval(toDateTime(Timestamp, 'UTC'), toIntervalSecond(greatest({bucket_seconds:UInt32}, 60))) AS time,
    uniqExactIf(session_id, session_id != '') AS sessions,
    uniqExactIf(connection_id, connection_id != '') AS connections,
    countIf(api = 'realtime') AS responses,
    countIf(api = 'realtime' AND status = 'cancelled') AS cancelled_responses,
    sum(input_audio_tokens + input_cached_audio_tokens) AS input_audio_tokens,
    sum(input_text_tokens + input_cached_text_tokens) AS input_text_tokens,
    sum(output_audio_tokens) AS output_audio_tokens,
    sum(output_text_tokens) AS output_text_tokens
FROM tokenledger.usage_events
WHERE Timestamp >= {from:DateTime('UTC')} AND Timestamp <= {to:DateTime('UTC')}
  AND (empty({services:Array(String)}) OR has({services:Array(String)}, ServiceName))
  AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
  AND (empty({projects:Array(String)}) OR has({projects:Array(String)}, project_id))
  AND (empty({environments:Array(String)}) OR ServiceName IN (SELECT ServiceName FROM tokenledger.otel_logs WHERE Timestamp >= {from:DateTime('UTC')} - INTERVAL 1 DAY AND has({environments:Array(String)}, ResourceAttributes['deployment.environment.name'])))
  AND api IN ('realtime', 'realtime.transcription')
GROUP BY time
ORDER BY time
