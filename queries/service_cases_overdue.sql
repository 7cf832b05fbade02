-- One row per service case open on $as_of and past its due date (a broken promise) for
-- the filtered accounts, most overdue first, with whether the client was told and when.
WITH scoped AS (
    SELECT account_id, name AS account_name, manager_id
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[], $visible::VARCHAR[])
)
SELECT
    c.case_id, s.account_id, s.account_name, c.kind, c.severity,
    c.opened_on, c.due_on,
    ($as_of::DATE - c.due_on) AS days_overdue,
    CASE WHEN c.client_informed_on <= $as_of::DATE THEN c.client_informed_on END
        AS client_informed_on,
    m.name AS manager_name
FROM service_cases c
JOIN scoped s USING (account_id)
LEFT JOIN managers m ON m.manager_id = s.manager_id
WHERE c.opened_on <= $as_of::DATE
  AND c.due_on < $as_of::DATE
  AND (c.closed_on IS NULL OR c.closed_on > $as_of::DATE)
  AND c.status <> 'cancelled'
ORDER BY days_overdue DESC, c.case_id;
