-- 009_openai_usage_parity: OpenAI's own usage export loaded next to ours, and the per-day
-- difference.
--
-- openai_usage_import holds rows of OpenAI's completions usage (dashboard CSV export, or Usage API
-- `organization.usage.completions.result` buckets), one row per bucket and grouping key. Grouping
-- fields OpenAI returned as null are stored as '' (ClickHouse sort keys cannot be Nullable); batch
-- is '', 'true' or 'false' for the same reason. Re-importing the same buckets replaces them
-- (ReplacingMergeTree on the grouping key, newest imported_at wins; read with FINAL).
--
-- usage_parity_daily compares, per UTC day, project, API key and model, every export field and
-- num_model_requests: ours (usage_daily_openai) against OpenAI's daily buckets ('1d' imports), in
-- tokens and percent of OpenAI's figure, one row per field. Batch and service tier are summed over
-- on both sides. For the comparison to be meaningful the import must be grouped by project_id,
-- api_key_id and model (Usage API group_by=project_id,api_key_id,model), and fingerprints must be
-- mapped in api_key_map; rows that exist on one side only show up with the other side at 0.

-- cluster: replicate_everywhere
CREATE TABLE IF NOT EXISTS tokenledger.openai_usage_import
(
    start_time                DateTime('UTC'),
    end_time                  DateTime('UTC'),
    bucket_width              LowCardinality(String) DEFAULT '1d' COMMENT '1d, 1h or 1m',
    project_id                String DEFAULT '',
    user_id                   String DEFAULT '',
    api_key_id                String DEFAULT '',
    model                     String DEFAULT '',
    batch                     LowCardinality(String) DEFAULT '' COMMENT 'true | false | empty when not grouped',
    service_tier              LowCardinality(String) DEFAULT '',
    num_model_requests        UInt64 DEFAULT 0,
    input_tokens              UInt64 DEFAULT 0,
    output_tokens             UInt64 DEFAULT 0,
    input_cached_tokens       UInt64 DEFAULT 0,
    input_uncached_tokens     UInt64 DEFAULT 0,
    input_text_tokens         UInt64 DEFAULT 0,
    output_text_tokens        UInt64 DEFAULT 0,
    input_cached_text_tokens  UInt64 DEFAULT 0,
    input_audio_tokens        UInt64 DEFAULT 0,
    input_cached_audio_tokens UInt64 DEFAULT 0,
    output_audio_tokens       UInt64 DEFAULT 0,
    input_image_tokens        UInt64 DEFAULT 0,
    input_cached_image_tokens UInt64 DEFAULT 0,
    output_image_tokens       UInt64 DEFAULT 0,
    input_cache_write_tokens  UInt64 DEFAULT 0,
    source                    LowCardinality(String) DEFAULT 'csv' COMMENT 'csv | usage_api',
    import_id                 String DEFAULT '' COMMENT 'identifies one import run',
    imported_at               DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(imported_at)
PARTITION BY toYYYYMM(start_time)
ORDER BY (start_time, bucket_width, project_id, user_id, api_key_id, model, batch, service_tier);

CREATE VIEW IF NOT EXISTS tokenledger.usage_parity_daily
AS
SELECT
    day,
    project_id,
    api_key_id,
    model,
    field,
    ours,
    openai,
    toInt64(ours) - toInt64(openai) AS diff,
    if(openai = 0, if(ours = 0, 0., NULL), round(100. * (toInt64(ours) - toInt64(openai)) / openai, 4)) AS diff_pct,
    multiIf(ours = openai, 'match', has_ours = 0, 'missing_ours', has_openai = 0, 'missing_openai', 'mismatch') AS state
FROM
(
    SELECT
        day,
        project_id,
        api_key_id,
        model,
        fv.1 AS field,
        sumIf(fv.2, side = 'ours') AS ours,
        sumIf(fv.2, side = 'openai') AS openai,
        max(side = 'ours') AS has_ours,
        max(side = 'openai') AS has_openai
    FROM
    (
        SELECT
            'ours' AS side,
            toDate(toDateTime(start_time, 'UTC')) AS day,
            ifNull(project_id, '') AS project_id,
            ifNull(api_key_id, '') AS api_key_id,
            model,
            num_model_requests, input_tokens, output_tokens, input_cached_tokens, input_uncached_tokens,
            input_text_tokens, output_text_tokens, input_cached_text_tokens, input_audio_tokens,
            input_cached_audio_tokens, output_audio_tokens, input_image_tokens, input_cached_image_tokens,
            output_image_tokens, input_cache_write_tokens
        FROM tokenledger.usage_daily_openai
        UNION ALL
        SELECT
            'openai' AS side,
            toDate(start_time) AS day,
            project_id,
            api_key_id,
            model,
            num_model_requests, input_tokens, output_tokens, input_cached_tokens, input_uncached_tokens,
            input_text_tokens, output_text_tokens, input_cached_text_tokens, input_audio_tokens,
            input_cached_audio_tokens, output_audio_tokens, input_image_tokens, input_cached_image_tokens,
            output_image_tokens, input_cache_write_tokens
        FROM tokenledger.openai_usage_import FINAL
        WHERE bucket_width = '1d'
    )
    ARRAY JOIN arrayZip(
        ['num_model_requests', 'input_tokens', 'output_tokens', 'input_cached_tokens', 'input_uncached_tokens',
         'input_text_tokens', 'output_text_tokens', 'input_cached_text_tokens', 'input_audio_tokens',
         'input_cached_audio_tokens', 'output_audio_tokens', 'input_image_tokens', 'input_cached_image_tokens',
         'output_image_tokens', 'input_cache_write_tokens'],
        [toUInt64(num_model_requests), input_tokens, output_tokens, input_cached_tokens, input_uncached_tokens,
         input_text_tokens, output_text_tokens, input_cached_text_tokens, input_audio_tokens,
         input_cached_audio_tokens, output_audio_tokens, input_image_tokens, input_cached_image_tokens,
         output_image_tokens, input_cache_write_tokens]) AS fv
    GROUP BY day, project_id, api_key_id, model, field
)
ORDER BY day, project_id, api_key_id, model, field;
