-- Pipeline lag: how long after a usage record's own time its ledger row was written.
-- lag = usage_events.ingested_at (when the row was inserted, whole seconds) minus the record's
-- time — the whole way from the application through export, the Collector's queue and the insert.
-- Rows written before ingested_at existed (it reads 1970-01-01) are left out. Negative lags (clock
-- skew between the application and ClickHouse) count as 0. Buckets by event time, at least a
-- minute.
--
-- @param from | DateTime('UTC') | now() - INTERVAL 1 DAY | $__fromTime | start of the range (inclusive)
-- @param to | DateTime('UTC') | now() | $__toTime | end of the range (inclusive)
-- @param bucket_seconds | UInt32 | 300 | $__interval_s | bucket width in seconds (at least 60)
-- @param services | Array(String) | [] | service | service.name values to include; empty = all
-- @column time | DateTime('UTC') | | start of the bucket (event time)
-- @column records | UInt64 | count | ledger rows with an insert time
-- @column avg_lag_seconds | Float64 | seconds | mean lag
-- @column max_lag_seconds | Float64 | seconds | largest lag
SELECT
    toStartOfInterval(toDateTime(Timestamp, 'UTC'), toIntervalSecond(greatest({bucket_seconds:UInt32}, 60))) AS time,
    count() AS records,
    avg(lag) AS avg_lag_seconds,
    max(lag) AS max_lag_seconds
FROM
(
    SELECT
        Timestamp,
        greatest(toFloat64(toUnixTimestamp(ingested_at)) - toFloat64(toUnixTimestamp64Milli(Timestamp)) / 1000, 0.) AS lag
    FROM tokenledger.usage_events
    WHERE Timestamp >= {from:DateTime('UTC')} AND Timestamp <= {to:DateTime('UTC')}
      AND ingested_at > toDateTime(0, 'UTC')
      AND (empty({services:Array(String)}) OR has({services:Array(String)}, ServiceName))
)
GROUP BY time
ORDER BY time
