-- Billing parity per UTC day: how many export fields match OpenAI's and how far the rest are off.
-- From tokenledger.usage_parity_daily (see parity_daily): per day, the number of
-- (project, key, model, field) comparisons, the mismatched ones (any state but match), and the
-- sum of absolute token differences (num_model_requests left out) — 0 everywhere means our
-- numbers equal the bill.
--
-- @param from | DateTime('UTC') | now() - INTERVAL 30 DAY | $__fromTime | first UTC day: the day of this instant
-- @param to | DateTime('UTC') | now() | $__toTime | last UTC day: the day of this instant (inclusive)
-- @param models | Array(String) | [] | model | models to include; empty = all
-- @param projects | Array(String) | [] | project | OpenAI project ids to include; empty = all
-- @column time | DateTime('UTC') | | the UTC day (midnight)
-- @column comparisons | UInt64 | count | fields compared
-- @column mismatches | UInt64 | count | fields that differ or exist on one side only
-- @column abs_token_diff | UInt64 | tokens | sum of |ours - openai| over the token fields
SELECT
    toDateTime(day, 'UTC') AS time,
    count() AS comparisons,
    countIf(state != 'match') AS mismatches,
    sumIf(toUInt64(abs(diff)), field != 'num_model_requests') AS abs_token_diff
FROM tokenledger.usage_parity_daily
WHERE day >= toDate({from:DateTime('UTC')}, 'UTC') AND day <= toDate({to:DateTime('UTC')}, 'UTC')
  AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
  AND (empty({projects:Array(String)}) OR has({projects:Array(String)}, project_id))
GROUP BY time
ORDER BY time
