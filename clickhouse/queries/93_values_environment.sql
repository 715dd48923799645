-- The deployment environments with usage in the range: the dashboards' `environment` variable.
-- Values of the resource attribute deployment.environment.name on usage records. Read from the
-- raw log table, so only the raw retention (30 days by default) is covered.
--
-- @param from | DateTime('UTC') | now() - INTERVAL 30 DAY | $__fromTime | start of the range (inclusive)
-- @param to | DateTime('UTC') | now() | $__toTime | end of the range (inclusive)
-- @column value | String | | a value
SELECT DISTINCT ResourceAttributes['deployment.environment.name'] AS value
FROM tokenledger.otel_logs
WHERE Timestamp >= {from:DateTime('UTC')} - INTERVAL 1 DAY AND Timestamp <= {to:DateTime('UTC')}
  AND (EventName = 'tokenledger.usage' OR (EventName = '' AND mapContains(LogAttributes, 'tokenledger.usage.source')))
  AND value != ''
ORDER BY value
