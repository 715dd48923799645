-- 008_usage_daily_openai: our usage shaped exactly like OpenAI's completions usage export.
--
-- Same column names in the same order as the dashboard CSV export (docs/token-vocabulary.md, the usage export), then
-- input_cache_write_tokens, which the Usage API returns and a newer CSV may carry (without it,
-- input_tokens != input_cached_tokens + input_uncached_tokens whenever cache writes occur). One row
-- per UTC day bucket and export grouping key (project_id, user_id, api_key_id, model, batch,
-- service_tier); start_time/end_time are unix seconds (start inclusive, end exclusive) and the ISO
-- columns the same instants as `YYYY-MM-DDTHH:MM:SSZ`. Grouping values we do not know come back
-- NULL, as in the export: user_id always (OpenAI's user id is not visible in API traffic),
-- api_key_id until api_key_map maps the fingerprint, project_id and service_tier when the traffic
-- did not carry them.
--
-- Only APIs that OpenAI reports under the completions usage endpoint are included: Chat
-- Completions, Responses, legacy Completions, Batch output lines and Realtime (its token usage is
-- believed to be in completions, which is why that export has audio columns; docs/token-vocabulary.md,
-- the usage export). Embeddings, moderations, images and audio endpoints have their own usage endpoints.
-- Requests whose usage went missing are counted in num_model_requests with zero tokens.
--
-- Read from the hourly rollup (summed, since SummingMergeTree merges are eventual): hours are UTC,
-- so they add up exactly to the export's day buckets.

CREATE VIEW IF NOT EXISTS tokenledger.usage_daily_openai
AS
SELECT
    toInt64(toUnixTimestamp(day)) AS start_time,
    toInt64(toUnixTimestamp(day)) + 86400 AS end_time,
    formatDateTime(day, '%Y-%m-%dT%H:%i:%SZ', 'UTC') AS start_time_iso,
    formatDateTime(day + toIntervalDay(1), '%Y-%m-%dT%H:%i:%SZ', 'UTC') AS end_time_iso,
    project_id,
    num_model_requests,
    user_id,
    api_key_id,
    model,
    batch,
    service_tier,
    input_tokens,
    output_tokens,
    input_cached_tokens,
    input_uncached_tokens,
    input_text_tokens,
    output_text_tokens,
    input_cached_text_tokens,
    input_audio_tokens,
    input_cached_audio_tokens,
    output_audio_tokens,
    input_image_tokens,
    input_cached_image_tokens,
    output_image_tokens,
    input_cache_write_tokens
FROM
(
    SELECT
        toStartOfDay(h.hour, 'UTC') AS day,
        nullIf(toString(h.project_id), '') AS project_id,
        CAST(NULL, 'Nullable(String)') AS user_id,
        nullIf(k.api_key_id, '') AS api_key_id,
        toString(h.model) AS model,
        h.batch AS batch,
        nullIf(toString(h.service_tier), '') AS service_tier,
        sum(h.num_model_requests) AS num_model_requests,
        sum(h.input_tokens) AS input_tokens,
        sum(h.output_tokens) AS output_tokens,
        sum(h.input_cached_tokens) AS input_cached_tokens,
        sum(h.input_uncached_tokens) AS input_uncached_tokens,
        sum(h.input_text_tokens) AS input_text_tokens,
        sum(h.output_text_tokens) AS output_text_tokens,
        sum(h.input_cached_text_tokens) AS input_cached_text_tokens,
        sum(h.input_audio_tokens) AS input_audio_tokens,
        sum(h.input_cached_audio_tokens) AS input_cached_audio_tokens,
        sum(h.output_audio_tokens) AS output_audio_tokens,
        sum(h.input_image_tokens) AS input_image_tokens,
        sum(h.input_cached_image_tokens) AS input_cached_image_tokens,
        sum(h.output_image_tokens) AS output_image_tokens,
        sum(h.input_cache_write_tokens) AS input_cache_write_tokens
    FROM tokenledger.usage_hourly AS h
    LEFT JOIN
    (
        SELECT project_id, api_key_fingerprint, api_key_id
        FROM tokenledger.api_key_map FINAL
        WHERE is_deleted = 0
    ) AS k
        ON k.project_id = toString(h.project_id) AND k.api_key_fingerprint = toString(h.api_key_fingerprint)
    WHERE h.api IN ('chat.completions', 'responses', 'completions', 'batch.output', 'realtime')
    GROUP BY day, project_id, user_id, api_key_id, model, batch, service_tier
)
ORDER BY start_time, project_id NULLS FIRST, model, batch, service_tier NULLS FIRST, api_key_id NULLS FIRST;
