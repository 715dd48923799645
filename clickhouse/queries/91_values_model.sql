-- The billed models with usage in the range: the values of the dashboards' `model` variable.
--
-- @param from | DateTime('UTC') | now() - INTERVAL 30 DAY | $__fromTime | start of the range (inclusive)
-- @param to | DateTime('UTC') | now() | $__toTime | end of the range (inclusive)
-- @column value | String | | a value
SELECT DISTINCT CAST(model, 'String') AS value
FROM tokenledger.usage_hourly
WHERE hour >= toStartOfHour({from:DateTime('UTC')}) AND hour <= {to:DateTime('UTC')} AND model != ''
ORDER BY value
