-- One row per month of opening in the twelve months up to $as_of for the filtered
-- accounts: the service cases opened (cancelled ones excluded) and whether, by $as_of, the
-- client was told within $inform_within_days days of the opening (in_time), later (late),
-- not at all although that many days have passed (never), or not yet with time left
-- (waiting); in_time_rate = in time / (in time + late + never).
WITH scoped AS (
    SELECT account_id
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[], $visible::VARCHAR[])
),
cases AS (
    SELECT
        date_trunc('month', opened_on)::DATE AS month,
        CASE WHEN client_informed_on <= $as_of::DATE THEN client_informed_on - opened_on END
            AS days_to_tell,
        $as_of::DATE - opened_on AS days_open
    FROM service_cases
    WHERE opened_on <= $as_of::DATE
      AND opened_on >= date_trunc('month', $as_of::DATE) - INTERVAL 11 MONTH
      AND status <> 'cancelled'
      AND account_id IN (SELECT account_id FROM scoped)
),
judged AS (
    SELECT
        month,
        count(*) AS cases,
        count(*) FILTER (WHERE days_to_tell <= $inform_within_days::INTEGER) AS in_time,
        count(*) FILTER (WHERE days_to_tell > $inform_within_days::INTEGER) AS late,
        count(*) FILTER (WHERE days_to_tell IS NULL
                           AND days_open > $inform_within_days::INTEGER) AS never,
        count(*) FILTER (WHERE days_to_tell IS NULL
                           AND days_open <= $inform_within_days::INTEGER) AS waiting
    FROM cases
    GROUP BY month
)
SELECT month, cases, in_time, late, never, waiting,
       in_time / nullif(in_time + late + never, 0) AS in_time_rate
FROM judged
ORDER BY month;
