-- 018_rollup_rebuild_lock: one rollup rebuild at a time, and the de-duplication windows of the
-- cluster variant stated on tables created before the runner derived them (docs/clickhouse.md,
-- rollup rebuild and de-duplication).
--
-- rollup_rebuild_lock: the lock of `tokenledger rebuild-rollup` (clickhouse-support's RollupRebuild).
-- Two rebuilds of overlapping hours at the same moment would each add the same correction, so a
-- rebuild first claims the lock and a second one fails, naming the holder. ClickHouse has no
-- compare-and-set on plain tables; what it does have, atomically, is insert de-duplication: a
-- claim is inserted with the de-duplication token `rollup-rebuild-lock:<generation>`, where
-- generation is one more than the last claim's, so of the rebuilds that saw the same state only
-- the first claim is stored, and each reads back whose it is. The table's de-duplication log (the
-- window below; on the cluster variant, the block ids in Keeper of its one replication path) is
-- what makes that one decision. Should two claims of a generation ever be stored (a claim arriving
-- after its token has left the window), the earliest one (`at`, then owner) holds the lock.
-- A claim is void after expires_at (a rebuild that died keeps nobody waiting for ever); the
-- rebuild bounds its own statements to the time left. `release` rows end a claim.
-- No TTL: generations must keep growing (a new claim with an old generation's token would be
-- dropped as a repeat), and the table grows by two small rows per rebuild.
--
-- The ALTERs restate the insert de-duplication window of every table of the chain. On a single
-- node they change nothing; the cluster variant adds replicated_deduplication_window and
-- replicated_deduplication_window_seconds to them, so tables created before the runner derived
-- those (ClickHouse's defaults: 10000 blocks, one hour since 25.10) keep the same window as a
-- single node.

-- cluster: replicate_everywhere
CREATE TABLE IF NOT EXISTS tokenledger.rollup_rebuild_lock
(
    generation UInt64 COMMENT 'one per claim: the last claim''s plus one',
    event      Enum8('claim' = 1, 'release' = 2),
    owner      String COMMENT 'host, process and a random id of the rebuild',
    user       String DEFAULT currentUser() COMMENT 'ClickHouse user of the rebuild',
    at         DateTime64(6, 'UTC') DEFAULT now64(6, 'UTC') COMMENT 'server time of the insert',
    expires_at DateTime('UTC') COMMENT 'a claim not released by then is void',
    range_from DateTime('UTC') COMMENT 'the hours being rebuilt, [range_from, range_to)',
    range_to   DateTime('UTC')
)
ENGINE = MergeTree
ORDER BY (generation, event, at)
SETTINGS non_replicated_deduplication_window = 100;

ALTER TABLE tokenledger.otel_logs MODIFY SETTING non_replicated_deduplication_window = 1000;
ALTER TABLE tokenledger.otel_traces MODIFY SETTING non_replicated_deduplication_window = 1000;
ALTER TABLE tokenledger.otel_traces_trace_id_ts MODIFY SETTING non_replicated_deduplication_window = 1000;
ALTER TABLE tokenledger.otel_metrics_sum MODIFY SETTING non_replicated_deduplication_window = 1000;
ALTER TABLE tokenledger.otel_metrics_gauge MODIFY SETTING non_replicated_deduplication_window = 1000;
ALTER TABLE tokenledger.otel_metrics_histogram MODIFY SETTING non_replicated_deduplication_window = 1000;
ALTER TABLE tokenledger.otel_metrics_exponential_histogram MODIFY SETTING non_replicated_deduplication_window = 1000;
ALTER TABLE tokenledger.otel_metrics_summary MODIFY SETTING non_replicated_deduplication_window = 1000;
-- The ledger's table: usage_records since 016 (usage_events is its view).
ALTER TABLE tokenledger.usage_records MODIFY SETTING non_replicated_deduplication_window = 1000;
ALTER TABLE tokenledger.usage_hourly MODIFY SETTING non_replicated_deduplication_window = 1000;
