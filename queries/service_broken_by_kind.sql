-- grain: account
-- One row per filtered account, case kind, broken-promise state and told-status, with the
-- rules of service_broken_promises: cases (not cancelled) open on $as_of past their due
-- date (state 'open') and cases opened in the $history_days days up to $as_of closed by
-- $as_of after their due date ('closed_late'); told = 'in_time' (client told within
-- $inform_within_days days of opening, by $as_of), 'late' or 'never'. With the count and
-- the most days overdue (to $as_of, or to the closing day). Late deliveries are broken
-- promises too (kind 'delivery'): deliveries promised in the $history_days days up to
-- $as_of more than $late_delivery_days days late (late_delivery, macros.sql), 'open' while
-- not delivered, 'closed_late' once delivered; told in time = within $inform_within_days
-- days of the promised day (deliveries.client_informed_on; 'unknown' where the database
-- records that for no delivery at all). portfolio/service_totals.py
-- (broken_by_kind) adds the accounts up.
WITH scoped AS (
    SELECT account_id
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[], $visible::VARCHAR[])
),
broken AS (
    SELECT
        account_id,
        kind,
        CASE WHEN closed_on <= $as_of::DATE THEN 'closed_late' ELSE 'open' END AS state,
        CASE WHEN client_informed_on IS NULL OR client_informed_on > $as_of::DATE THEN 'never'
             WHEN NOT told_in_time(client_informed_on, opened_on, $as_of::DATE,
                                   $inform_within_days::INTEGER) THEN 'late'
             ELSE 'in_time' END AS told,
        CASE WHEN closed_on <= $as_of::DATE THEN closed_on ELSE $as_of::DATE END - due_on
            AS days_overdue
    FROM service_cases
    WHERE status <> 'cancelled'
      AND opened_on <= $as_of::DATE
      AND due_on < $as_of::DATE
      AND (closed_on IS NULL
           OR closed_on > $as_of::DATE
           OR (closed_on > due_on AND opened_on > $as_of::DATE - $history_days::INTEGER))
      AND account_id IN (SELECT account_id FROM scoped)
    UNION ALL
    SELECT
        account_id,
        'delivery' AS kind,
        CASE WHEN delivered_on <= $as_of::DATE THEN 'closed_late' ELSE 'open' END AS state,
        CASE WHEN NOT delivery_notices_recorded()
                  THEN 'unknown'
             WHEN client_informed_on IS NULL OR client_informed_on > $as_of::DATE THEN 'never'
             WHEN NOT told_in_time(client_informed_on, promised_on, $as_of::DATE,
                                   $inform_within_days::INTEGER) THEN 'late'
             ELSE 'in_time' END AS told,
        delivery_days_late(promised_on, delivered_on, $as_of::DATE) AS days_overdue
    FROM deliveries
    WHERE promised_on > $as_of::DATE - $history_days::INTEGER
      AND late_delivery(promised_on, delivered_on, $as_of::DATE, $late_delivery_days::INTEGER)
      AND account_id IN (SELECT account_id FROM scoped)
)
SELECT account_id, kind, state, told, count(*) AS cases, max(days_overdue) AS max_days_overdue
FROM broken
GROUP BY account_id, kind, state, told
ORDER BY account_id, kind, state DESC, told;
