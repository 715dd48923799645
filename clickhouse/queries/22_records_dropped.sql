-- Usage records the agents made and could not deliver, per bucket and reason (tokenledger.records.dropped).
-- Each is a ledger row missing from usage_events; the token and request metrics still counted it
-- (docs/signals.md, SDK defaults). Reasons: queue_full (the ledger's export queue in the agent was
-- full: a burst while the Collector answered late; raise
-- otel.instrumentation.tokenledger.ledger-queue-size) and export_failed (the exporter gave up on an
-- export: the Collector refused it or could not be reached). No rows: nothing was dropped. Buckets
-- by the metric point's time, at least a minute.
--
-- @param from | DateTime('UTC') | now() - INTERVAL 7 DAY | $__fromTime | start of the range (inclusive)
-- @param to | DateTime('UTC') | now() | $__toTime | end of the range (inclusive)
-- @param bucket_seconds | UInt32 | 3600 | $__interval_s | bucket width in seconds (at least 60)
-- @param services | Array(String) | [] | service | service.name values to include; empty = all
-- @column time | DateTime('UTC') | | start of the bucket
-- @column reason | String | | why the records were dropped: queue_full or export_failed
-- @column records | UInt64 | count | usage records dropped
SELECT
    toStartOfInterval(toDateTime(TimeUnix, 'UTC'), toIntervalSecond(greatest({bucket_seconds:UInt32}, 60))) AS time,
    Attributes['error.type'] AS reason,
    toUInt64(sum(Value)) AS records
FROM tokenledger.otel_metrics_sum
WHERE MetricName = 'tokenledger.records.dropped'
  AND TimeUnix >= {from:DateTime('UTC')} AND TimeUnix <= {to:DateTime('UTC')}
  AND (empty({services:Array(String)}) OR has({services:Array(String)}, ServiceName))
GROUP BY time, reason
ORDER BY time, reason
