-- Our numbers next to OpenAI's, per UTC day, project, API key, model and field, with the difference.
-- The answer to `tokenledger parity --days N`. Reads tokenledger.usage_parity_daily: ours is
-- usage_daily_openai (the completions-export shape of the ledger), OpenAI's is the imported export
-- (openai_usage_import, 1d buckets). diff = ours - openai; diff_pct is relative to OpenAI's figure
-- (NULL when OpenAI's is 0 and ours is not); state is match, mismatch, missing_ours or
-- missing_openai. API keys show as OpenAI's api_key_id where api_key_map maps the fingerprint.
--
-- @param from | DateTime('UTC') | now() - INTERVAL 7 DAY | $__fromTime | first UTC day: the day of this instant (a date YYYY-MM-DD is its midnight)
-- @param to | DateTime('UTC') | now() | $__toTime | last UTC day: the day of this instant (inclusive)
-- @param models | Array(String) | [] | model | models to include; empty = all
-- @param projects | Array(String) | [] | project | OpenAI project ids to include; empty = all
-- @param only_differences | UInt8 | 0 | | 1 = only rows whose state is not match
-- @column day | Date | | UTC day
-- @column project_id | String | | OpenAI project id ('' when unknown)
-- @column api_key_id | String | | OpenAI api_key_id ('' when unknown or unmapped)
-- @column model | String | | model as in the export
-- @column field | String | | export column compared (num_model_requests or a token column)
-- @column ours | UInt64 | count | our figure
-- @column openai | UInt64 | count | OpenAI's figure
-- @column diff | Int64 | count | ours - openai
-- @column diff_pct | Nullable(Float64) | | difference in percent of OpenAI's figure
-- @column state | String | | match, mismatch, missing_ours or missing_openai
SELECT day, project_id, api_key_id, model, field, ours, openai, diff, diff_pct, state
FROM tokenledger.usage_parity_daily
WHERE day >= toDate({from:DateTime('UTC')}, 'UTC') AND day <= toDate({to:DateTime('UTC')}, 'UTC')
  AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
  AND (empty({projects:Array(String)}) OR has({projects:Array(String)}, project_id))
  AND ({only_differences:UInt8} = 0 OR state != 'match')
ORDER BY day, project_id, api_key_id, model, field
