-- grain: account
-- One row per filtered account and month of promised deliveries in the twelve months up
-- to $as_of: deliveries due, delivered on time (on or before the promised day, by $as_of),
-- late, still outstanding. portfolio/service_totals.py (monthly_deliveries) adds the accounts up
-- per month and gives the on-time rate.
WITH scoped AS (
    SELECT account_id
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[], $visible::VARCHAR[])
),
due AS (
    SELECT account_id, date_trunc('month', promised_on)::DATE AS month,
           CASE WHEN delivered_on > $as_of::DATE THEN NULL ELSE delivered_on END AS delivered_on,
           promised_on
    FROM deliveries JOIN scoped USING (account_id)
    WHERE promised_on <= $as_of::DATE
      AND promised_on >= date_trunc('month', $as_of::DATE) - INTERVAL 11 MONTH
)
SELECT
    account_id,
    month,
    count(*) AS due,
    count(*) FILTER (WHERE delivered_on <= promised_on) AS on_time,
    count(*) FILTER (WHERE delivered_on > promised_on) AS late,
    count(*) FILTER (WHERE delivered_on IS NULL) AS outstanding
FROM due
GROUP BY account_id, month
ORDER BY account_id, month;
