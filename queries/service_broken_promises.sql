-- grain: account
-- One row per broken promise of the filtered accounts: a service case (not cancelled)
-- past its due date, either still open on $as_of (state 'open', whenever it was opened,
-- days overdue counted to $as_of) or, among the cases opened in the $history_days days up
-- to $as_of, closed by $as_of after its due date (state 'closed_late', days overdue
-- counted to the closing day). With when the client was told (by $as_of) and whether
-- that was in time: 'in_time' when told within $inform_within_days days of opening, 'late'
-- after that, 'never' when not told by $as_of; account_open and account_closed_late count
-- the account's. Late deliveries are broken promises too, by the rules of
-- service_broken_by_kind: kind 'delivery', case_id = the delivery's id, due_on = the
-- promised day, closed_on = the day delivered, no severity, told counted from the promised
-- day ('unknown' where the database records that for no delivery at all).
-- portfolio/service_totals.py (broken_promises) merges the accounts into one list, open
-- ones first, by severity and days overdue, and the totals.
WITH scoped AS (
    SELECT a.account_id, a.name AS account_name, m.name AS manager_name
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[], $visible::VARCHAR[]) a
    LEFT JOIN managers m USING (manager_id)
),
broken AS (
    SELECT
        c.case_id, c.account_id, c.kind, c.severity, c.status, c.opened_on, c.due_on,
        CASE WHEN c.closed_on <= $as_of::DATE THEN c.closed_on END AS closed_on,
        CASE WHEN c.closed_on <= $as_of::DATE THEN 'closed_late' ELSE 'open' END AS state,
        CASE WHEN c.closed_on <= $as_of::DATE THEN c.closed_on ELSE $as_of::DATE END
            - c.due_on AS days_overdue,
        CASE WHEN c.client_informed_on <= $as_of::DATE THEN c.client_informed_on END
            AS client_informed_on
    FROM service_cases c
    WHERE c.status <> 'cancelled'
      AND c.opened_on <= $as_of::DATE
      AND c.due_on < $as_of::DATE
      AND (c.closed_on IS NULL
           OR c.closed_on > $as_of::DATE
           OR (c.closed_on > c.due_on
               AND c.opened_on > $as_of::DATE - $history_days::INTEGER))
      AND c.account_id IN (SELECT account_id FROM scoped)
    UNION ALL
    SELECT
        dl.delivery_id, dl.account_id, 'delivery', NULL, NULL, NULL, dl.promised_on,
        CASE WHEN dl.delivered_on <= $as_of::DATE THEN dl.delivered_on END,
        CASE WHEN dl.delivered_on <= $as_of::DATE THEN 'closed_late' ELSE 'open' END,
        delivery_days_late(dl.promised_on, dl.delivered_on, $as_of::DATE),
        CASE WHEN dl.client_informed_on <= $as_of::DATE THEN dl.client_informed_on END
    FROM deliveries dl
    WHERE dl.promised_on > $as_of::DATE - $history_days::INTEGER
      AND late_delivery(dl.promised_on, dl.delivered_on, $as_of::DATE,
                        $late_delivery_days::INTEGER)
      AND dl.account_id IN (SELECT account_id FROM scoped)
),
ranked AS (
    SELECT
        b.*,
        CASE WHEN b.kind = 'delivery'
                  AND NOT delivery_notices_recorded()
                  THEN 'unknown'
             WHEN b.client_informed_on IS NULL THEN 'never'
             WHEN NOT told_in_time(b.client_informed_on, coalesce(b.opened_on, b.due_on),
                                   $as_of::DATE, $inform_within_days::INTEGER) THEN 'late'
             ELSE 'in_time' END AS told,
        CASE b.severity WHEN 'critical' THEN 1 WHEN 'high' THEN 2 WHEN 'medium' THEN 3
                        WHEN 'low' THEN 4 ELSE 5 END AS severity_rank
    FROM broken b
),
counts AS (
    SELECT account_id,
           count(*) FILTER (WHERE state = 'open') AS account_open,
           count(*) FILTER (WHERE state = 'closed_late') AS account_closed_late
    FROM broken
    GROUP BY account_id
)
SELECT
    r.case_id, r.account_id, s.account_name, s.manager_name, r.kind, r.severity, r.state,
    r.opened_on, r.due_on, r.closed_on, r.days_overdue, r.client_informed_on, r.told,
    r.severity_rank, c.account_open, c.account_closed_late
FROM ranked r
JOIN counts c USING (account_id)
JOIN scoped s USING (account_id)
ORDER BY r.account_id, r.case_id;
