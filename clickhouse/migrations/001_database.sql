-- 001_database: the `tokenledger` database and the schema_migrations version table.
--
-- Everything TokenLedger stores lives in one database (docs/clickhouse.md); the Collector's ClickHouse
-- exporter is pointed at it too, with its own schema creation switched off, so these migrations
-- own every table definition.
--
-- schema_migrations is the runner's bookkeeping: one row per applied file, with the file's
-- SHA-256, so an edit to an already-applied migration is detected instead of silently ignored.
-- ReplacingMergeTree keyed by version: re-recording a version after a manual repair keeps one
-- row (the runner reads it with FINAL).

CREATE DATABASE IF NOT EXISTS tokenledger;

-- cluster: replicate_everywhere
CREATE TABLE IF NOT EXISTS tokenledger.schema_migrations
(
    version     UInt32 COMMENT 'the NNN prefix of the file name',
    name        String COMMENT 'file name, e.g. 005_usage_events.sql',
    checksum    String COMMENT 'SHA-256 (hex) of the file as written, line endings normalised to LF',
    statements  UInt32 DEFAULT 0 COMMENT 'statements executed from the file',
    variant     LowCardinality(String) DEFAULT '' COMMENT 'single, or cluster:<name> for the derived cluster variant',
    duration_ms UInt64 DEFAULT 0,
    applied_by  LowCardinality(String) DEFAULT currentUser(),
    applied_at  DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(applied_at)
ORDER BY version;
