-- Tokens over time by direction, modality and cache status: every token counted exactly once.
-- token_type is input or output; modality text, audio or image; cache is uncached, cached or
-- cache_write for input (OpenAI reports cache writes without a modality: modality 'any') and
-- uncached for output. The parts add up to input_tokens + output_tokens. Reasoning tokens are a
-- part of output text and are not listed again. Combinations with no tokens in a bucket are left
-- out. Hourly rollup, UTC.
--
-- @param from | DateTime('UTC') | now() - INTERVAL 7 DAY | $__fromTime | start of the range (inclusive, rounded down to the hour)
-- @param to | DateTime('UTC') | now() | $__toTime | end of the range (inclusive)
-- @param bucket_seconds | UInt32 | 3600 | $__interval_s | bucket width in seconds (at least one hour: the rollup's grain)
-- @param services | Array(String) | [] | service | service.name values to include; empty = all
-- @param models | Array(String) | [] | model | billed models to include; empty = all
-- @param projects | Array(String) | [] | project | OpenAI project ids to include; empty = all
-- @param environments | Array(String) | [] | environment | deployment.environment.name values (services that sent usage from them); empty = all
-- @column time | DateTime('UTC') | | start of the bucket
-- @column token_type | String | | input or output
-- @column modality | String | | text, audio, image (any for cache writes)
-- @column cache | String | | uncached, cached or cache_write
-- @column tokens | Int64 | tokens | tokens in the bucket
SELECT
    toStartOfInterval(hour, toIntervalSecond(greatest({bucket_seconds:UInt32}, 3600))) AS time,
    part.1 AS token_type,
    part.2 AS modality,
    part.3 AS cache,
    sum(part.4) AS tokens
FROM tokenledger.usage_hourly
ARRAY JOIN [
    ('input', 'text', 'uncached', input_text_tokens),
    ('input', 'audio', 'uncached', input_audio_tokens),
    ('input', 'image', 'uncached', input_image_tokens),
    ('input', 'text', 'cached', input_cached_text_tokens),
    ('input', 'audio', 'cached', input_cached_audio_tokens),
    ('input', 'image', 'cached', input_cached_image_tokens),
    ('input', 'any', 'cache_write', input_cache_write_tokens),
    ('output', 'text', 'uncached', output_text_tokens),
    ('output', 'audio', 'uncached', output_audio_tokens),
    ('output', 'image', 'uncached', output_image_tokens)] AS part
WHERE hour >= toStartOfHour({from:DateTime('UTC')}) AND hour <= {to:DateTime('UTC')}
  AND (empty({services:Array(String)}) OR has({services:Array(String)}, ServiceName))
  AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
  AND (empty({projects:Array(String)}) OR has({projects:Array(String)}, project_id))
  AND (empty({environments:Array(String)}) OR ServiceName IN (SELECT ServiceName FROM tokenledger.otel_logs WHERE Timestamp >= {from:DateTime('UTC')} - INTERVAL 1 DAY AND has({environments:Array(String)}, ResourceAttributes['deployment.environment.name'])))
GROUP BY time, token_type, modality, cache
HAVING tokens > 0
ORDER BY time, token_type, modality, cache
