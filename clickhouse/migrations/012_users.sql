-- 012_users: roles, settings profiles, a quota and the three users.
-- requires: access_management
--
--   tokenledger_collector  (role tokenledger_writer_role)  the Collector's exporter: INSERT on the raw
--                          OTel tables only — it can neither read nor drop anything. Its profile
--                          pins the settings insert de-duplication depends on: synchronous inserts
--                          (async_insert = 0; the exporter's `async_insert: false` must agree),
--                          insert_deduplicate and deduplicate_blocks_in_dependent_materialized_views
--                          (default on only since ClickHouse 26.2).
--   tokenledger_grafana    (role tokenledger_reader_role)  Grafana and reports: SELECT on tokenledger.*,
--                          readonly = 1 with max_execution_time changeable (the datasource sends it
--                          with every query), result and memory limits, and an hourly quota.
--   tokenledger_admin      (role tokenledger_admin_role)   migrations and administration: everything on
--                          the database, plus access management for later runs of this file and
--                          CLUSTER for ON CLUSTER statements (cluster variant). Run
--                          the migrations as this user once it exists: it then owns the
--                          materialized views, which run as their definer (SQL SECURITY DEFINER,
--                          the default), so the writer needs nothing beyond INSERT on the sources.
--
-- Passwords are never written here. The `${…_SHA256}` placeholders are replaced by the migration
-- runner with the SHA-256 (hex) of the environment variables TOKENLEDGER_WRITER_PASSWORD,
-- TOKENLEDGER_READER_PASSWORD and TOKENLEDGER_ADMIN_PASSWORD; the runner refuses to apply this file
-- when one is missing, and the checksum is taken before substitution. CREATE USER IF NOT EXISTS
-- does not change an existing user's password: rotate with ALTER USER.
--
-- Needs a writable access storage (SQL-driven access control): the embedded test engine has none,
-- so the runner skips this file there when told to (--skip-access-control) and the security tests
-- run against a real server (CLICKHOUSE_URL).

CREATE ROLE IF NOT EXISTS tokenledger_writer_role;
CREATE ROLE IF NOT EXISTS tokenledger_reader_role;
CREATE ROLE IF NOT EXISTS tokenledger_admin_role;

GRANT INSERT ON tokenledger.otel_logs TO tokenledger_writer_role;
GRANT INSERT ON tokenledger.otel_traces TO tokenledger_writer_role;
GRANT INSERT ON tokenledger.otel_metrics_sum TO tokenledger_writer_role;
GRANT INSERT ON tokenledger.otel_metrics_gauge TO tokenledger_writer_role;
GRANT INSERT ON tokenledger.otel_metrics_histogram TO tokenledger_writer_role;
GRANT INSERT ON tokenledger.otel_metrics_exponential_histogram TO tokenledger_writer_role;
GRANT INSERT ON tokenledger.otel_metrics_summary TO tokenledger_writer_role;

GRANT SELECT ON tokenledger.* TO tokenledger_reader_role;

GRANT ALL ON tokenledger.* TO tokenledger_admin_role WITH GRANT OPTION;
GRANT ACCESS MANAGEMENT ON *.* TO tokenledger_admin_role;
GRANT CLUSTER ON *.* TO tokenledger_admin_role;

CREATE SETTINGS PROFILE IF NOT EXISTS tokenledger_writer_profile
    SETTINGS async_insert = 0,
             insert_deduplicate = 1,
             deduplicate_blocks_in_dependent_materialized_views = 1,
             max_execution_time = 120;

CREATE SETTINGS PROFILE IF NOT EXISTS tokenledger_reader_profile
    SETTINGS readonly = 1,
             max_execution_time = 60 CHANGEABLE_IN_READONLY,
             max_result_rows = 1000000,
             max_memory_usage = 4000000000;

CREATE USER IF NOT EXISTS tokenledger_collector
    IDENTIFIED WITH sha256_hash BY '${TOKENLEDGER_WRITER_PASSWORD_SHA256}'
    DEFAULT DATABASE tokenledger
    SETTINGS PROFILE 'tokenledger_writer_profile';

CREATE USER IF NOT EXISTS tokenledger_grafana
    IDENTIFIED WITH sha256_hash BY '${TOKENLEDGER_READER_PASSWORD_SHA256}'
    DEFAULT DATABASE tokenledger
    SETTINGS PROFILE 'tokenledger_reader_profile';

CREATE USER IF NOT EXISTS tokenledger_admin
    IDENTIFIED WITH sha256_hash BY '${TOKENLEDGER_ADMIN_PASSWORD_SHA256}'
    DEFAULT DATABASE tokenledger;

GRANT tokenledger_writer_role TO tokenledger_collector;
GRANT tokenledger_reader_role TO tokenledger_grafana;
GRANT tokenledger_admin_role TO tokenledger_admin;

CREATE QUOTA IF NOT EXISTS tokenledger_reader_quota
    FOR INTERVAL 1 hour MAX queries = 20000, read_rows = 50000000000
    TO tokenledger_grafana;
