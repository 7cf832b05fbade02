-- grain: one account
-- One row per month of promised deliveries in the twelve months up to $as_of for account
-- $account_id (when it is within the filtered accounts), with the columns and rules of
-- deliveries_by_month: due, on time (delivered on or before the promised day, by $as_of),
-- late, still outstanding, the on-time rate; plus quality and invoice issues.
WITH account AS (
    SELECT account_id
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[], $visible::VARCHAR[])
    WHERE account_id = $account_id::VARCHAR
),
due AS (
    SELECT date_trunc('month', promised_on)::DATE AS month, promised_on,
           CASE WHEN delivered_on > $as_of::DATE THEN NULL ELSE delivered_on END AS delivered_on,
           quality_issue, invoice_issue
    FROM deliveries
    JOIN account USING (account_id)
    WHERE promised_on <= $as_of::DATE
      AND promised_on >= date_trunc('month', $as_of::DATE) - INTERVAL 11 MONTH
)
SELECT
    month,
    count(*) AS due,
    count(*) FILTER (WHERE delivered_on <= promised_on) AS on_time,
    count(*) FILTER (WHERE delivered_on > promised_on) AS late,
    count(*) FILTER (WHERE delivered_on IS NULL) AS outstanding,
    count(*) FILTER (WHERE delivered_on <= promised_on) / count(*) AS on_time_rate,
    count(*) FILTER (WHERE delivered_on IS NOT NULL AND quality_issue) AS quality_issues,
    count(*) FILTER (WHERE delivered_on IS NOT NULL AND invoice_issue) AS invoice_issues
FROM due
GROUP BY month
ORDER BY month;
