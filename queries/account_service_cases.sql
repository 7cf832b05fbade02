-- grain: one account
-- One row per service case of account $account_id (when it is within the filtered
-- accounts) that is open on $as_of (not cancelled, opened by then, not closed by then) or,
-- among its cases opened in the $history_days days up to $as_of, was closed by $as_of after
-- its due date: a promise kept late (the rules of service_broken_promises). State on $as_of: overdue (open past its due date), pending (open, not yet
-- due), closed_late. Days open (to $as_of, or to the closing day), days overdue (to $as_of,
-- or to the closing day), when the client was told (by $as_of) and whether in time (within
-- $inform_within_days days of opening), late, or never. Overdue first, most severe and
-- most overdue first; then pending; then closed late, latest first.
WITH account AS (
    SELECT account_id
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[], $visible::VARCHAR[])
    WHERE account_id = $account_id::VARCHAR
),
cases AS (
    SELECT
        c.case_id, c.kind, c.severity, c.status, c.opened_on, c.due_on,
        CASE WHEN c.closed_on <= $as_of::DATE THEN c.closed_on END AS closed_on,
        CASE WHEN c.client_informed_on <= $as_of::DATE THEN c.client_informed_on END
            AS client_informed_on
    FROM service_cases c
    JOIN account USING (account_id)
    WHERE c.opened_on <= $as_of::DATE
      AND c.status <> 'cancelled'
      AND (c.closed_on IS NULL OR c.closed_on > $as_of::DATE
           OR (c.closed_on > c.due_on
               AND c.opened_on > $as_of::DATE - $history_days::INTEGER))
),
judged AS (
    SELECT
        *,
        CASE WHEN closed_on IS NOT NULL THEN 'closed_late'
             WHEN due_on < $as_of::DATE THEN 'overdue'
             ELSE 'pending' END AS state,
        coalesce(closed_on, $as_of::DATE) - opened_on AS days_open,
        CASE WHEN due_on < coalesce(closed_on, $as_of::DATE)
             THEN coalesce(closed_on, $as_of::DATE) - due_on END AS days_overdue,
        CASE WHEN client_informed_on IS NULL
                  AND $as_of::DATE - opened_on <= $inform_within_days::INTEGER THEN 'waiting'
             WHEN client_informed_on IS NULL THEN 'never'
             WHEN client_informed_on - opened_on > $inform_within_days::INTEGER THEN 'late'
             ELSE 'in_time' END AS told
    FROM cases
)
SELECT case_id, kind, severity, status, state, opened_on, due_on, closed_on, days_open,
       days_overdue, client_informed_on, told
FROM judged
ORDER BY CASE state WHEN 'overdue' THEN 1 WHEN 'pending' THEN 2 ELSE 3 END,
         CASE severity WHEN 'critical' THEN 1 WHEN 'high' THEN 2 WHEN 'medium' THEN 3
                       WHEN 'low' THEN 4 ELSE 5 END,
         days_overdue DESC NULLS LAST, closed_on DESC, opened_on, case_id;
