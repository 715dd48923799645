-- 002_otel_logs: the raw log table the Collector's ClickHouse exporter writes.
--
-- Column names and types are exactly those of the contrib exporter's logs schema (v0.151 and
-- later, docs/clickhouse.md, raw OTel tables): the driver converts values to the declared types client-side and fails the
-- whole batch on a missing column or a narrower type, so nothing here may drift from it. EventName
-- must exist before the Collector starts (the exporter detects it once at start-up; docs/clickhouse.md, exporter).
-- TimestampTime is an ALIAS (not stored, never inserted) so dashboards written for the older
-- schema keep working.
--
-- Ours rather than the exporter's: TTL 30 days (raw data is a staging area: the ledger and the
-- rollups are filled from it at insert time by materialized views, so they are complete before any
-- raw row can expire); whole-part expiry (ttl_only_drop_parts); an EventName skip index; and
-- non_replicated_deduplication_window, which makes a plain MergeTree remember the hashes of its
-- last 1000 inserted blocks so a retried, byte-identical Collector batch is acknowledged but not
-- stored twice (docs/clickhouse.md, de-duplication). Replicated tables (cluster variant) keep that log by default.

-- cluster: sharding_key = cityHash64(ServiceName, TraceId, Timestamp)
CREATE TABLE IF NOT EXISTS tokenledger.otel_logs
(
    Timestamp          DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TimestampTime      DateTime ALIAS toDateTime(Timestamp),
    TraceId            String CODEC(ZSTD(1)),
    SpanId             String CODEC(ZSTD(1)),
    TraceFlags         UInt8,
    SeverityText       LowCardinality(String) CODEC(ZSTD(1)),
    SeverityNumber     UInt8,
    ServiceName        LowCardinality(String) CODEC(ZSTD(1)),
    Body               String CODEC(ZSTD(1)),
    ResourceSchemaUrl  LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeSchemaUrl     LowCardinality(String) CODEC(ZSTD(1)),
    ScopeName          String CODEC(ZSTD(1)),
    ScopeVersion       LowCardinality(String) CODEC(ZSTD(1)),
    ScopeAttributes    Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    LogAttributes      Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    EventName          String CODEC(ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_key mapKeys(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_value mapValues(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_log_attr_key mapKeys(LogAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_log_attr_value mapValues(LogAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_event_name EventName TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_lower_body lower(Body) TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 8
)
ENGINE = MergeTree
PARTITION BY toDate(Timestamp)
ORDER BY (toStartOfFiveMinutes(Timestamp), ServiceName, Timestamp)
TTL toDateTime(Timestamp) + toIntervalDay(30) /* ttl:raw_days */
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, non_replicated_deduplication_window = 1000;
