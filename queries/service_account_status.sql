-- grain: account
-- One row per account in view: the service facts of the $status_window_days days up to
-- $as_of that portfolio/service.py turns into a green/amber/red service status with its
-- reasons in words (the Service, Account and Overview pages share it).
--   deliveries promised in the window: due, on time (delivered by $as_of, on or before the
--     promised day), delivered late, outstanding (not delivered by $as_of), delivered, and of
--     those delivered how many had a quality or an invoice issue; on_time_rate = on time / due;
--   open cases: not cancelled, opened by $as_of and not closed by $as_of;
--   broken promises open on $as_of: open cases past their due date; how many are high or
--     critical, how many the client had not been told about by $as_of, the most days
--     overdue and their kinds;
--   cases closed in the window, and of those closed_late: after their due date (promises
--     kept late);
--   cases opened in the window that can be judged (the client was told by $as_of, or more
--     than $inform_within_days days have passed), and of those told_late_or_never: told
--     more than $inform_within_days days after opening, or not told by $as_of;
--   has_service_data: a delivery promised or a case opened in the $history_days days up to
--     $as_of, or a case still open. Without any there is nothing to judge: the account's
--     service status is "no service data", never green (a CRM export holds no deliveries).
WITH scoped AS (
    SELECT a.account_id, a.name AS account_name, a.tier, a.kam_stage, a.manager_id,
           m.name AS manager_name
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[], $visible::VARCHAR[]) a
    LEFT JOIN managers m USING (manager_id)
),
delivery AS (
    SELECT
        account_id,
        count(*) AS deliveries_due,
        count(*) FILTER (WHERE delivered_on <= $as_of::DATE AND delivered_on <= promised_on)
            AS on_time,
        count(*) FILTER (WHERE delivered_on <= $as_of::DATE AND delivered_on > promised_on)
            AS delivered_late,
        count(*) FILTER (WHERE delivered_on IS NULL OR delivered_on > $as_of::DATE)
            AS outstanding,
        count(*) FILTER (WHERE delivered_on <= $as_of::DATE) AS delivered,
        count(*) FILTER (WHERE delivered_on <= $as_of::DATE AND quality_issue) AS quality_issues,
        count(*) FILTER (WHERE delivered_on <= $as_of::DATE AND invoice_issue) AS invoice_issues
    FROM deliveries
    WHERE promised_on > $as_of::DATE - $status_window_days::INTEGER
      AND promised_on <= $as_of::DATE
      AND account_id IN (SELECT account_id FROM scoped)
    GROUP BY account_id
),
cases AS (
    SELECT
        account_id, kind, severity, opened_on, due_on, closed_on,
        closed_on IS NULL OR closed_on > $as_of::DATE AS still_open,
        CASE WHEN client_informed_on <= $as_of::DATE THEN client_informed_on END AS told_on,
        opened_on > $as_of::DATE - $status_window_days::INTEGER AS opened_in_window
    FROM service_cases
    WHERE opened_on <= $as_of::DATE
      AND status <> 'cancelled'
      AND (closed_on IS NULL OR closed_on > $as_of::DATE - $status_window_days::INTEGER)
      AND account_id IN (SELECT account_id FROM scoped)
),
seen AS (
    SELECT account_id FROM deliveries
    WHERE promised_on <= $as_of::DATE
      AND promised_on > $as_of::DATE - $history_days::INTEGER
      AND account_id IN (SELECT account_id FROM scoped)
    UNION
    SELECT account_id FROM service_cases
    WHERE opened_on <= $as_of::DATE
      AND opened_on > $as_of::DATE - $history_days::INTEGER
      AND account_id IN (SELECT account_id FROM scoped)
),
case_facts AS (
    SELECT
        account_id,
        count(*) FILTER (WHERE still_open) AS open_cases,
        count(*) FILTER (WHERE still_open AND due_on < $as_of::DATE) AS overdue_cases,
        count(*) FILTER (WHERE still_open AND due_on < $as_of::DATE
                           AND severity IN ('high', 'critical')) AS overdue_severe,
        count(*) FILTER (WHERE still_open AND due_on < $as_of::DATE AND told_on IS NULL)
            AS overdue_not_told,
        max($as_of::DATE - due_on) FILTER (WHERE still_open AND due_on < $as_of::DATE)
            AS oldest_overdue_days,
        string_agg(DISTINCT kind, ', ' ORDER BY kind)
            FILTER (WHERE still_open AND due_on < $as_of::DATE) AS overdue_kinds,
        count(*) FILTER (WHERE NOT still_open) AS cases_closed,
        count(*) FILTER (WHERE NOT still_open AND closed_on > due_on) AS closed_late,
        count(*) FILTER (WHERE opened_in_window
                           AND (told_on IS NOT NULL
                                OR $as_of::DATE - opened_on > $inform_within_days::INTEGER))
            AS cases_judged,
        count(*) FILTER (WHERE opened_in_window
                           AND (told_on - opened_on > $inform_within_days::INTEGER
                                OR (told_on IS NULL
                                    AND $as_of::DATE - opened_on
                                        > $inform_within_days::INTEGER)))
            AS told_late_or_never
    FROM cases
    GROUP BY account_id
)
SELECT
    s.account_id, s.account_name, s.tier, s.kam_stage, s.manager_id, s.manager_name,
    coalesce(d.deliveries_due, 0) AS deliveries_due,
    coalesce(d.on_time, 0) AS on_time,
    coalesce(d.delivered_late, 0) AS delivered_late,
    coalesce(d.outstanding, 0) AS outstanding,
    coalesce(d.delivered, 0) AS delivered,
    coalesce(d.quality_issues, 0) AS quality_issues,
    coalesce(d.invoice_issues, 0) AS invoice_issues,
    d.on_time / d.deliveries_due AS on_time_rate,
    coalesce(c.open_cases, 0) AS open_cases,
    coalesce(c.overdue_cases, 0) AS overdue_cases,
    coalesce(c.overdue_severe, 0) AS overdue_severe,
    coalesce(c.overdue_not_told, 0) AS overdue_not_told,
    c.oldest_overdue_days,
    c.overdue_kinds,
    coalesce(c.cases_closed, 0) AS cases_closed,
    coalesce(c.closed_late, 0) AS closed_late,
    coalesce(c.cases_judged, 0) AS cases_judged,
    coalesce(c.told_late_or_never, 0) AS told_late_or_never,
    s.account_id IN (SELECT account_id FROM seen) OR coalesce(c.open_cases, 0) > 0
        AS has_service_data
FROM scoped s
LEFT JOIN delivery d USING (account_id)
LEFT JOIN case_facts c USING (account_id)
ORDER BY s.account_id;
