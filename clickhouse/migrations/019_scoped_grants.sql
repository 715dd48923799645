-- 019_scoped_grants: least privilege for the users of 012, settings that cannot be changed where
-- they matter, and the SQL SECURITY of every view stated.
-- requires: access_management
--
-- Admin (tokenledger_admin_role). 012 gave it ACCESS MANAGEMENT ON *.*, which includes ROLE ADMIN
-- (grant any role of the server to anyone, itself included) and ALTER USER on every user (set the
-- password of any administrator): it could make itself anything. Now it manages only what is named
-- tokenledger_*: users and roles by name pattern, row policies on the tokenledger database, and the
-- project's two other roles, which it holds WITH ADMIN OPTION so it can hand them out. Whatever it
-- grants it must itself hold with grant option, and it holds privileges only on the database
-- tokenledger (012: ALL ON tokenledger.* WITH GRANT OPTION), so it cannot grant on another
-- database. Limits of what ClickHouse can scope: settings profiles and quotas have no name or
-- database scope (CREATE/ALTER SETTINGS PROFILE is ON *.* or nothing), so the admin gets neither and
-- the server's own administrator changes the project's profiles and quota; SHOW ACCESS (seeing users,
-- roles and grants, never passwords) is global and kept; CLUSTER (ON CLUSTER statements) is global.
-- A name pattern is a prefix: any user or role whose name starts with tokenledger_ is the admin's.
--
-- Reader (tokenledger_reader_role). 012 gave it SELECT on tokenledger.*: the raw tables, with the
-- applications' own logs, their traces (URLs, headers) and metrics. Now: the ledger, the rollup, the
-- reference tables the views join (prices, key map, OpenAI's import) and the views. The dashboards
-- and the query library also read otel_logs for three things: the deployment environment of a
-- service (the `environment` filter and its values), and raw usage records counted against the
-- ledger (data quality). For those the reader gets SELECT on otel_logs, and a row policy shows it
-- only TokenLedger's usage records (EventName tokenledger.usage, or no EventName with a tokenledger
-- usage attribute, as replays write them): never the applications' own logs. (A column-level grant
-- cannot narrow it further: ClickHouse reads ResourceAttributes['key'] as a subcolumn and then asks
-- for SELECT on the whole table.) What it sees of a usage record beyond the ledger — the resource
-- attributes the SDK detected (host, process, container) and the record's trace id — is documented
-- in docs/clickhouse.md. Its settings: readonly = 1, max_execution_time at most 300 s
-- (changeable in readonly mode, the Grafana datasource sends it with every query); nothing else is
-- changeable in readonly mode. async_insert = 0 for the reader too: clickhouse-jdbc (the tokenledger
-- command) sends async_insert=0 with every query, and since ClickHouse 26.2 the default is 1, so a
-- readonly user whose value is 1 gets "Cannot modify 'async_insert' setting in readonly mode" for
-- every query it runs; at 0 the driver's value changes nothing and is accepted.
--
-- Writer (tokenledger_collector's profile). The settings that insert de-duplication depends on are
-- constants: a client cannot turn on async inserts or turn off de-duplication for its session.
--
-- Views. Plain views run as the one who reads them (SQL SECURITY INVOKER): the reader's grants
-- above are what it can see, a view adds nothing. Materialized views run as a dedicated user
-- (SQL SECURITY DEFINER, DEFINER = tokenledger_mv_definer), which cannot log in (HOST NONE) and may
-- only SELECT and INSERT in the database tokenledger: the writer inserts into the raw tables and the
-- views fill the ledger and the rollup as that user, whoever created them. Migrations that create
-- materialized views later state DEFINER = tokenledger_mv_definer SQL SECURITY DEFINER themselves.
--
-- Row policies and older configurations: a server whose configuration still sets
-- access_control_improvements.users_without_row_policies_can_read_rows to false (the default before
-- ClickHouse 24.1) shows no rows of otel_logs to users without a policy once one exists; the
-- materialized views' user and the admin therefore get a policy that shows every row.
-- On a cluster the policy also names otel_logs_local: a read through the Distributed table is
-- filtered on each shard by the policies of the local table.

-- The materialized views' user, and who may make it a definer.
CREATE USER IF NOT EXISTS tokenledger_mv_definer IDENTIFIED WITH no_password HOST NONE DEFAULT DATABASE tokenledger;
GRANT SELECT, INSERT ON tokenledger.* TO tokenledger_mv_definer;
GRANT SET DEFINER ON tokenledger_mv_definer TO tokenledger_admin_role;

-- Admin: scoped access management.
REVOKE ACCESS MANAGEMENT ON *.* FROM tokenledger_admin_role;
GRANT CREATE USER, ALTER USER, DROP USER ON tokenledger_* TO tokenledger_admin_role;
GRANT CREATE ROLE, ALTER ROLE, DROP ROLE ON tokenledger_* TO tokenledger_admin_role;
GRANT CREATE ROW POLICY, ALTER ROW POLICY, DROP ROW POLICY ON tokenledger.* TO tokenledger_admin_role;
GRANT SHOW ACCESS ON *.* TO tokenledger_admin_role;
GRANT tokenledger_writer_role, tokenledger_reader_role TO tokenledger_admin_role WITH ADMIN OPTION;

-- Reader: the ledger, rollups, reference tables and views; of the raw tables, usage records only.
REVOKE SELECT ON tokenledger.* FROM tokenledger_reader_role;
GRANT SELECT ON tokenledger.usage_events TO tokenledger_reader_role;
GRANT SELECT ON tokenledger.usage_records TO tokenledger_reader_role;
GRANT SELECT ON tokenledger.usage_hourly TO tokenledger_reader_role;
GRANT SELECT ON tokenledger.model_prices TO tokenledger_reader_role;
GRANT SELECT ON tokenledger.api_key_map TO tokenledger_reader_role;
GRANT SELECT ON tokenledger.openai_usage_import TO tokenledger_reader_role;
GRANT SELECT ON tokenledger.openai_usage_import_runs TO tokenledger_reader_role;
GRANT SELECT ON tokenledger.openai_usage_imported TO tokenledger_reader_role;
GRANT SELECT ON tokenledger.usage_daily_openai TO tokenledger_reader_role;
GRANT SELECT ON tokenledger.usage_parity_daily TO tokenledger_reader_role;
GRANT SELECT ON tokenledger.usage_cost_hourly TO tokenledger_reader_role;
GRANT SELECT ON tokenledger.usage_priced TO tokenledger_reader_role;
GRANT SELECT ON tokenledger.usage_hourly_priced TO tokenledger_reader_role;
GRANT SELECT ON tokenledger.usage_events_priced TO tokenledger_reader_role;
GRANT SELECT ON tokenledger.otel_logs TO tokenledger_reader_role;

CREATE ROW POLICY IF NOT EXISTS tokenledger_reader_usage_records ON tokenledger.otel_logs, tokenledger.otel_logs_local
    FOR SELECT USING EventName = 'tokenledger.usage'
        OR (EventName = '' AND mapContains(LogAttributes, 'tokenledger.usage.source'))
    TO tokenledger_reader_role;
CREATE ROW POLICY IF NOT EXISTS tokenledger_all_rows ON tokenledger.otel_logs, tokenledger.otel_logs_local
    FOR SELECT USING 1
    TO tokenledger_admin_role, tokenledger_mv_definer;
-- TokenLedger's own metric of records the agents could not deliver (Data quality), and no other metric.
GRANT SELECT ON tokenledger.otel_metrics_sum TO tokenledger_reader_role;
CREATE ROW POLICY IF NOT EXISTS tokenledger_reader_dropped_records ON tokenledger.otel_metrics_sum, tokenledger.otel_metrics_sum_local
    FOR SELECT USING MetricName = 'tokenledger.records.dropped'
    TO tokenledger_reader_role;
CREATE ROW POLICY IF NOT EXISTS tokenledger_all_metric_rows ON tokenledger.otel_metrics_sum, tokenledger.otel_metrics_sum_local
    FOR SELECT USING 1
    TO tokenledger_admin_role, tokenledger_mv_definer;

-- Settings: constants where de-duplication depends on them; the reader's timeout with a ceiling.
ALTER SETTINGS PROFILE tokenledger_writer_profile
    SETTINGS async_insert = 0 CONST,
             insert_deduplicate = 1 CONST,
             deduplicate_blocks_in_dependent_materialized_views = 1 CONST,
             max_execution_time = 120;
ALTER SETTINGS PROFILE tokenledger_reader_profile
    SETTINGS readonly = 1,
             max_execution_time = 60 MAX 300 CHANGEABLE_IN_READONLY,
             async_insert = 0,
             max_result_rows = 1000000,
             max_memory_usage = 4000000000;

-- SQL SECURITY, stated: plain views as their reader, materialized views as their own user.
ALTER TABLE tokenledger.usage_daily_openai MODIFY SQL SECURITY INVOKER;
ALTER TABLE tokenledger.usage_parity_daily MODIFY SQL SECURITY INVOKER;
ALTER TABLE tokenledger.usage_cost_hourly MODIFY SQL SECURITY INVOKER;
ALTER TABLE tokenledger.usage_priced MODIFY SQL SECURITY INVOKER;
ALTER TABLE tokenledger.usage_hourly_priced MODIFY SQL SECURITY INVOKER;
ALTER TABLE tokenledger.usage_events_priced MODIFY SQL SECURITY INVOKER;
ALTER TABLE tokenledger.usage_events MODIFY SQL SECURITY INVOKER;
ALTER TABLE tokenledger.usage_records_mv MODIFY DEFINER = tokenledger_mv_definer SQL SECURITY DEFINER;
ALTER TABLE tokenledger.usage_hourly_correction MODIFY DEFINER = tokenledger_mv_definer SQL SECURITY DEFINER;
ALTER TABLE tokenledger.usage_hourly_mv MODIFY DEFINER = tokenledger_mv_definer SQL SECURITY DEFINER;
ALTER TABLE tokenledger.otel_traces_trace_id_ts_mv MODIFY DEFINER = tokenledger_mv_definer SQL SECURITY DEFINER;
