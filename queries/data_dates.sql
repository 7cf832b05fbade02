-- One row: the newest and oldest dates on which something happened in the data (the
-- default as-of date and the earliest one worth choosing: the first month of metrics, or
-- the first deal where there are no metrics), and the database's currency.
WITH happened(day) AS (
    SELECT max(occurred_on) FROM calls
    UNION ALL SELECT max(entered_on) FROM deal_stage_history
    UNION ALL SELECT max(opened_on) FROM deals
    UNION ALL SELECT max(closed_on) FROM deals
    UNION ALL SELECT max(delivered_on) FROM deliveries
    UNION ALL SELECT max(opened_on) FROM service_cases
    UNION ALL SELECT max(closed_on) FROM service_cases
    UNION ALL SELECT max(occurred_on) FROM relationship_events
    UNION ALL SELECT last_day(max(month)) FROM account_metrics
)
SELECT
    (SELECT max(day) FROM happened) AS newest_on,
    coalesce((SELECT min(month) FROM account_metrics),
             (SELECT min(opened_on) FROM deals)) AS oldest_on,
    coalesce((SELECT value FROM portfolio_settings WHERE key = 'currency'), 'EUR') AS currency;
