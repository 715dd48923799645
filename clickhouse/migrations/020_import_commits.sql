-- 020_import_commits: an import of OpenAI's usage becomes visible all at once, or not at all.
--
-- An import writes its rows into openai_usage_import in chunks, and ClickHouse makes an insert
-- atomic only per block and partition (the table is partitioned by month): a command killed
-- half-way left some of its rows visible. Now an import says when it starts and when it is done,
-- and readers show its rows only once it is done:
--
--   * openai_usage_import_runs: the command inserts one row with state 'pending' before the
--     import's first row, and one with state 'committed' after its last. A one-row insert is one
--     block of one partition, so the commit is atomic, and it is the only step that changes what
--     readers see. Each row names the range and bucket widths the import replaces.
--   * openai_usage_imported: the rows readers count. Where a committed import's range and widths
--     cover a row's start time and bucket width, the latest such import speaks for that bucket:
--     only its rows are shown, so rows an import replaced no longer count, deleted yet or not.
--     Elsewhere every row is shown except those of an import that is pending and never committed
--     (still running, failed, or killed). Rows written by hand, and those of imports from before
--     this migration, are therefore shown as before, until an import covers their range. Among
--     the shown rows the newest per grouping key wins, as with FINAL.
--   * usage_parity_daily reads openai_usage_imported instead of openai_usage_import FINAL.
--
-- The command then deletes the rows it replaced, and the rows of imports still pending a day
-- later; that frees space and changes no figure.
--
-- On a cluster both tables are replicated to every node, each on its own, so a node may apply the
-- commit row before it has fetched all of the import's parts; there an insert_quorum for the
-- command's session keeps a replica from showing part of an import while replication catches up.
--
-- Idempotent: IF NOT EXISTS, CREATE OR REPLACE.

-- cluster: replicate_everywhere
CREATE TABLE IF NOT EXISTS tokenledger.openai_usage_import_runs
(
    import_id     String,
    state         LowCardinality(String) COMMENT 'pending (rows are being inserted) | committed (all are in)',
    source        LowCardinality(String) COMMENT 'csv | usage_api',
    range_start   DateTime('UTC') COMMENT 'the import replaces [range_start, range_end) for its bucket widths',
    range_end     DateTime('UTC'),
    bucket_widths Array(LowCardinality(String)),
    row_count     UInt64,
    recorded_at   DateTime64(3, 'UTC') DEFAULT now64(3) COMMENT 'for a committed row: when the import was committed'
)
ENGINE = MergeTree
ORDER BY (import_id, state);

CREATE OR REPLACE VIEW tokenledger.openai_usage_imported
AS
WITH
    (
        SELECT arraySort(r -> (r.4, r.1),
                         groupArrayIf((import_id, range_start, range_end, recorded_at, bucket_widths),
                                      state = 'committed'))
        FROM tokenledger.openai_usage_import_runs
    ) AS committed,
    (
        SELECT groupArray(import_id)
        FROM
        (
            SELECT import_id
            FROM tokenledger.openai_usage_import_runs
            GROUP BY import_id
            HAVING countIf(state = 'committed') = 0
        )
    ) AS unfinished,
    tupleElement(arrayLast(r -> start_time >= r.2 AND start_time < r.3 AND has(r.5, bucket_width), committed), 1)
        AS speaking_import
SELECT *
FROM tokenledger.openai_usage_import
WHERE if(speaking_import = '', NOT has(unfinished, import_id), import_id = speaking_import)
ORDER BY imported_at DESC
LIMIT 1 BY start_time, bucket_width, project_id, user_id, api_key_id, model, batch, service_tier;

CREATE OR REPLACE VIEW tokenledger.usage_parity_daily
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
        FROM tokenledger.openai_usage_imported
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
