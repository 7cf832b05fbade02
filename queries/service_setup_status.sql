-- One row per kind (installation, training) and state for the filtered accounts: the
-- installation and training cases opened in the $setup_days days up to $as_of (cancelled
-- ones excluded) by their state on $as_of: done (closed by $as_of), pending (open, not yet
-- due or without a due date) or overdue (open past its due date); with the days they have
-- been open (pending, overdue) or took (done): median and longest.
WITH scoped AS (
    SELECT account_id
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[], $visible::VARCHAR[])
),
kinds(kind, kind_order) AS (VALUES ('installation', 1), ('training', 2)),
states(state, state_order) AS (VALUES ('done', 1), ('pending', 2), ('overdue', 3)),
cases AS (
    SELECT
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
)
SELECT k.kind, s.state, count(c.kind) AS cases,
       median(c.age_days)::DOUBLE AS median_age_days, max(c.age_days) AS max_age_days
FROM kinds k
CROSS JOIN states s
LEFT JOIN cases c ON c.kind = k.kind AND c.state = s.state
GROUP BY k.kind, k.kind_order, s.state, s.state_order
ORDER BY k.kind_order, s.state_order;
