-- grain: account
-- One row per service case of the filtered accounts opened in the $history_days days up to
-- $as_of (cancelled ones excluded) whose client was told more than $inform_within_days days
-- after the opening ('late') or not told by $as_of although that many days have passed
-- ('never'): days_to_tell is the days it took (NULL for never). With whether the case is
-- still open on $as_of and whether it went past its due date; account_lapses and
-- account_never count the account's. portfolio/service_totals.py (informed_lapses) merges
-- the accounts into one list, never told and still open first, then never told, then the
-- longest wait, oldest first, and the totals.
WITH scoped AS (
    SELECT a.account_id, a.name AS account_name, m.name AS manager_name
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[], $visible::VARCHAR[]) a
    LEFT JOIN managers m USING (manager_id)
),
lapses AS (
    SELECT
        c.case_id, c.account_id, c.kind, c.severity, c.opened_on, c.due_on,
        CASE WHEN c.client_informed_on <= $as_of::DATE THEN c.client_informed_on END
            AS client_informed_on,
        CASE WHEN c.client_informed_on <= $as_of::DATE THEN 'late' ELSE 'never' END AS told,
        CASE WHEN c.client_informed_on <= $as_of::DATE
             THEN c.client_informed_on - c.opened_on END AS days_to_tell,
        c.closed_on IS NULL OR c.closed_on > $as_of::DATE AS still_open,
        c.due_on < coalesce(CASE WHEN c.closed_on <= $as_of::DATE THEN c.closed_on END,
                            $as_of::DATE) AS past_due
    FROM service_cases c
    WHERE c.opened_on <= $as_of::DATE
      AND c.opened_on > $as_of::DATE - $history_days::INTEGER
      AND c.status <> 'cancelled'
      AND (CASE WHEN c.client_informed_on <= $as_of::DATE THEN c.client_informed_on
                ELSE $as_of::DATE END) - c.opened_on > $inform_within_days::INTEGER
      AND c.account_id IN (SELECT account_id FROM scoped)
),
counts AS (
    SELECT account_id, count(*) AS account_lapses,
           count(*) FILTER (WHERE told = 'never') AS account_never
    FROM lapses
    GROUP BY account_id
)
SELECT
    l.case_id, l.account_id, s.account_name, s.manager_name, l.kind, l.severity,
    l.opened_on, l.due_on, l.client_informed_on, l.told, l.days_to_tell, l.still_open,
    l.past_due, c.account_lapses, c.account_never
FROM lapses l
JOIN counts c USING (account_id)
JOIN scoped s USING (account_id)
ORDER BY l.account_id, l.case_id;
