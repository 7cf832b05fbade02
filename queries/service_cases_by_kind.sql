-- One row per case kind and state for the filtered accounts: the service cases opened in
-- the $history_days days up to $as_of plus every case still open on $as_of, by their state
-- on $as_of: done (closed by $as_of on or before its due date, or without one), late
-- (closed by $as_of after its due date), pending (open, not yet due), overdue (open past its
-- due date) or cancelled. Ages in days: for open cases since opening (up to $as_of), for
-- closed ones the days it took to close them.
WITH scoped AS (
    SELECT account_id
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[], $visible::VARCHAR[])
),
cases AS (
    SELECT
        kind,
        CASE WHEN status = 'cancelled' AND coalesce(closed_on <= $as_of::DATE, true)
                 THEN 'cancelled'
             WHEN closed_on <= $as_of::DATE AND closed_on > due_on THEN 'late'
             WHEN closed_on <= $as_of::DATE THEN 'done'
             WHEN due_on < $as_of::DATE THEN 'overdue'
             ELSE 'pending' END AS state,
        CASE WHEN closed_on <= $as_of::DATE THEN closed_on - opened_on
             WHEN status = 'cancelled' THEN NULL
             ELSE $as_of::DATE - opened_on END AS age_days
    FROM service_cases
    WHERE opened_on <= $as_of::DATE
      AND (opened_on > $as_of::DATE - $history_days::INTEGER
           OR closed_on > $as_of::DATE OR (closed_on IS NULL AND status <> 'cancelled'))
      AND account_id IN (SELECT account_id FROM scoped)
)
SELECT kind, state, count(*) AS cases,
       median(age_days)::DOUBLE AS median_age_days, max(age_days) AS max_age_days
FROM cases
GROUP BY kind, state
ORDER BY kind, state;
