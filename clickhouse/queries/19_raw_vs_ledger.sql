-- Raw vs ledger counts per bucket: raw usage records, ledger rows and rollup requests.
-- Usage records in otel_logs, rows in usage_events, num_model_requests in usage_hourly: all three
-- should be equal. Each count is of records, not copies: a record the Collector delivered twice is
-- one raw record (counted by its tokenledger.record.id, or by a hash of the row without EventName
-- for records without one) and one ledger row; the rollup counts a second copy too until its
-- automatic correction, at most a few minutes later (docs/clickhouse.md#exactly-once).
-- A lower ledger count means records the ledger view did not take; a lower rollup count means
-- ledger rows the rollup did not take. Raw rows expire after the raw retention (30 days by
-- default), so older buckets show raw_records = 0. Hourly buckets, UTC.
--
-- @param from | DateTime('UTC') | now() - INTERVAL 7 DAY | $__fromTime | start of the range (inclusive, rounded down to the hour)
-- @param to | DateTime('UTC') | now() | $__toTime | end of the range (inclusive)
-- @param bucket_seconds | UInt32 | 3600 | $__interval_s | bucket width in seconds (at least one hour: the rollup's grain)
-- @param services | Array(String) | [] | service | service.name values to include; empty = all
-- @column time | DateTime('UTC') | | start of the bucket
-- @column raw_records | UInt64 | count | usage records in otel_logs, each record once however many copies arrived
-- @column ledger_records | UInt64 | count | rows in usage_events (one per record)
-- @column rollup_requests | UInt64 | count | num_model_requests in usage_hourly
SELECT
    toStartOfInterval(t, toIntervalSecond(greatest({bucket_seconds:UInt32}, 3600))) AS time,
    sum(raw) AS raw_records,
    sum(ledger) AS ledger_records,
    sum(rollup) AS rollup_requests
FROM
(
    SELECT toStartOfHour(toDateTime(Timestamp, 'UTC')) AS t,
        uniqExact(if(LogAttributes['tokenledger.record.id'] != '', LogAttributes['tokenledger.record.id'],
                     hex(sipHash128(Timestamp, ServiceName, TraceId, SpanId, mapSort(LogAttributes))))) AS raw,
        toUInt64(0) AS ledger, toUInt64(0) AS rollup
    FROM tokenledger.otel_logs
    WHERE Timestamp >= toStartOfHour({from:DateTime('UTC')}) AND Timestamp < toStartOfHour({to:DateTime('UTC')}) + INTERVAL 1 HOUR
      AND (EventName = 'tokenledger.usage' OR (EventName = '' AND mapContains(LogAttributes, 'tokenledger.usage.source')))
      AND (empty({services:Array(String)}) OR has({services:Array(String)}, ServiceName))
    GROUP BY t
    UNION ALL
    SELECT toStartOfHour(toDateTime(Timestamp, 'UTC')), 0, count(), 0
    FROM tokenledger.usage_events
    WHERE Timestamp >= toStartOfHour({from:DateTime('UTC')}) AND Timestamp < toStartOfHour({to:DateTime('UTC')}) + INTERVAL 1 HOUR
      AND (empty({services:Array(String)}) OR has({services:Array(String)}, ServiceName))
    GROUP BY 1
    UNION ALL
    SELECT hour, 0, 0, toUInt64(sum(num_model_requests))
    FROM tokenledger.usage_hourly
    WHERE hour >= toStartOfHour({from:DateTime('UTC')}) AND hour <= {to:DateTime('UTC')}
      AND (empty({services:Array(String)}) OR has({services:Array(String)}, ServiceName))
    GROUP BY hour
)
GROUP BY time
ORDER BY time
