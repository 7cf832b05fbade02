-- grain: account
-- One row per installation or training case of the filtered accounts opened in the
-- $setup_days days up to $as_of (cancelled ones excluded), with its state on $as_of: done
-- (closed by $as_of), pending (open, not yet due or without a due date) or overdue (open
-- past its due date), and the days it has been open (pending, overdue) or took (done).
-- portfolio/service_totals.py (setup_status) counts them per kind and state, with the median
-- and longest age.
WITH scoped AS (
    SELECT account_id
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[], $visible::VARCHAR[])
)
SELECT
    account_id,
    kind,
    CASE WHEN closed_on <= $as_of::DATE THEN 'done'
         WHEN due_on < $as_of::DATE THEN 'overdue'
         ELSE 'pending' END AS state,
    CASE WHEN closed_on <= $as_of::DATE THEN closed_on ELSE $as_of::DATE END
        - opened_on AS age_days
FROM service_cases
WHERE kind IN ('installation', 'training')
  AND opened_on <= $as_of::DATE
  AND opened_on > $as_of::DATE - $setup_days::INTEGER
  AND status <> 'cancelled'
  AND account_id IN (SELECT account_id FROM scoped)
ORDER BY account_id, kind, state, age_days;
