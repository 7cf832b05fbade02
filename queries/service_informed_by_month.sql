-- grain: account
-- One row per filtered account and month of opening in the twelve months up to $as_of:
-- the service cases opened (cancelled ones excluded) and whether, by $as_of, the client
-- was told within $inform_within_days days of the opening (in_time), later (late), not at
-- all although that many days have passed (never), or not yet with time left (waiting).
-- portfolio/service_totals.py (informed_by_month) adds the accounts up and gives in_time_rate.
WITH scoped AS (
    SELECT account_id
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[], $visible::VARCHAR[])
),
cases AS (
    SELECT
        account_id,
        date_trunc('month', opened_on)::DATE AS month,
        CASE WHEN client_informed_on <= $as_of::DATE THEN client_informed_on - opened_on END
            AS days_to_tell,
        $as_of::DATE - opened_on AS days_open
    FROM service_cases
    WHERE opened_on <= $as_of::DATE
      AND opened_on >= date_trunc('month', $as_of::DATE) - INTERVAL 11 MONTH
      AND status <> 'cancelled'
      AND account_id IN (SELECT account_id FROM scoped)
)
SELECT
    account_id,
    month,
    count(*) AS cases,
    count(*) FILTER (WHERE days_to_tell <= $inform_within_days::INTEGER) AS in_time,
    count(*) FILTER (WHERE days_to_tell > $inform_within_days::INTEGER) AS late,
    count(*) FILTER (WHERE days_to_tell IS NULL
                       AND days_open > $inform_within_days::INTEGER) AS never,
    count(*) FILTER (WHERE days_to_tell IS NULL
                       AND days_open <= $inform_within_days::INTEGER) AS waiting
FROM cases
GROUP BY account_id, month
ORDER BY account_id, month;
