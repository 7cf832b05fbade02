-- grain: account
-- One row per account in view: the uncoupling-risk signals of the recent window, the
-- $recent_days days up to $as_of (the dashboard's one meaning of "recent", settings.toml);
-- portfolio/scoring.py weighs them into a risk level and puts them in words.
-- Relationship events are counted per kind, with the date and note of the latest and the
-- highest severity (1 low, 2 medium or unknown, 3 high); key contacts who left = contacts
-- who were a decider, approver or champion on one of the account's deals and left
-- within the window; broken promises = service cases of high or critical severity (the
-- ones the client feels) open on $as_of past their due date; "not told in time" = overdue
-- cases of any severity whose client was not told within $inform_within_days days of the
-- case's opening (told_in_time, queries/rules/macros.sql); decider
-- silence = days since any decider or approver still at the client was last engaged on
-- any deal, for accounts with deals open on $as_of (NULL: none ever engaged).
WITH scoped AS (
    SELECT account_id
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[], $visible::VARCHAR[])
),
-- (the scans of the large tables compare with $as_of itself: joined with `bounds` they
-- run as a nested loop)
bounds AS (
    SELECT $as_of::DATE AS as_of,
           $as_of::DATE - to_days($recent_days::INTEGER) AS window_start
),
events_in_window AS (
    SELECT e.account_id, e.kind, e.occurred_on, e.note,
           CASE e.severity WHEN 'low' THEN 1 WHEN 'high' THEN 3 ELSE 2 END AS severity
    FROM relationship_events e, bounds b
    WHERE e.occurred_on <= b.as_of AND e.occurred_on > b.window_start
      AND e.account_id IN (SELECT account_id FROM scoped)
),
events AS (
    SELECT
        account_id,
        count(*) FILTER (WHERE kind = 'kam_changed') AS kam_changed,
        max(occurred_on) FILTER (WHERE kind = 'kam_changed') AS kam_changed_on,
        max(severity) FILTER (WHERE kind = 'kam_changed') AS kam_changed_severity,
        count(*) FILTER (WHERE kind = 'key_contact_left') AS contact_left_events,
        max(occurred_on) FILTER (WHERE kind = 'key_contact_left') AS contact_left_event_on,
        max(severity) FILTER (WHERE kind = 'key_contact_left') AS contact_left_severity,
        count(*) FILTER (WHERE kind = 'promise_broken') AS promise_broken,
        max(occurred_on) FILTER (WHERE kind = 'promise_broken') AS promise_broken_on,
        max(severity) FILTER (WHERE kind = 'promise_broken') AS promise_broken_severity,
        count(*) FILTER (WHERE kind = 'price_dispute') AS price_dispute,
        max(occurred_on) FILTER (WHERE kind = 'price_dispute') AS price_dispute_on,
        max(severity) FILTER (WHERE kind = 'price_dispute') AS price_dispute_severity,
        count(*) FILTER (WHERE kind = 'personal_conflict') AS personal_conflict,
        max(occurred_on) FILTER (WHERE kind = 'personal_conflict') AS personal_conflict_on,
        max(severity) FILTER (WHERE kind = 'personal_conflict') AS personal_conflict_severity,
        count(*) FILTER (WHERE kind = 'complaint_escalated') AS complaint_escalated,
        max(occurred_on) FILTER (WHERE kind = 'complaint_escalated') AS complaint_escalated_on,
        max(severity) FILTER (WHERE kind = 'complaint_escalated')
            AS complaint_escalated_severity,
        count(*) FILTER (WHERE kind = 'culture_clash') AS culture_clash,
        max(occurred_on) FILTER (WHERE kind = 'culture_clash') AS culture_clash_on,
        max(severity) FILTER (WHERE kind = 'culture_clash') AS culture_clash_severity,
        arg_max(note, occurred_on) FILTER (WHERE kind = 'kam_changed') AS kam_changed_note,
        arg_max(note, occurred_on) FILTER (WHERE kind = 'key_contact_left')
            AS contact_left_note
    FROM events_in_window
    GROUP BY account_id
),
contacts_left AS (
    SELECT
        c.account_id,
        count(*) AS contacts_left,
        max(c.left_on) AS contact_left_on,
        arg_max(coalesce(c.name, 'a contact') || coalesce(' (' || c.title || ')', ''), c.left_on)
            AS contact_left_who
    FROM contacts c, bounds b
    WHERE c.left_on <= b.as_of AND c.left_on > b.window_start
      AND c.account_id IN (SELECT account_id FROM scoped)
      AND c.contact_id IN (SELECT contact_id FROM deal_members
                           WHERE left_on <= $as_of::DATE
                             AND (role_order >= 6 OR attitude = 'champion'))
    GROUP BY c.account_id
),
overdue AS (
    SELECT
        sc.account_id,
        count(*) FILTER (WHERE sc.severity IN ('high', 'critical')) AS overdue_cases,
        max($as_of::DATE - sc.due_on) FILTER (WHERE sc.severity IN ('high', 'critical'))
            AS oldest_overdue_days,
        string_agg(DISTINCT sc.kind, ', ' ORDER BY sc.kind)
            FILTER (WHERE sc.severity IN ('high', 'critical')) AS overdue_kinds,
        count(*) FILTER (WHERE NOT told_in_time(sc.client_informed_on, sc.opened_on,
                                                $as_of::DATE, $inform_within_days::INTEGER))
            AS not_told_in_time,
        count(*) FILTER (WHERE sc.client_informed_on IS NULL
                            OR sc.client_informed_on > $as_of::DATE) AS never_told
    FROM service_cases sc
    WHERE sc.opened_on <= $as_of::DATE AND sc.due_on < $as_of::DATE
      AND (sc.closed_on IS NULL OR sc.closed_on > $as_of::DATE)
      AND sc.status <> 'cancelled'
      AND sc.account_id IN (SELECT account_id FROM scoped)
    GROUP BY sc.account_id
),
open_deals AS (
    SELECT d.account_id, count(*) AS open_deals
    FROM open_deals_on($as_of::DATE) d
    WHERE d.account_id IN (SELECT account_id FROM scoped)
    GROUP BY d.account_id
),
deciders AS (
    SELECT m.account_id, max(m.last_contact_on) AS last_decider_contact_on
    FROM deal_members m
    WHERE m.role_order >= 6  -- decider, approver
      AND m.last_contact_on <= $as_of::DATE
      AND (m.left_on IS NULL OR m.left_on > $as_of::DATE)
    GROUP BY m.account_id
    HAVING m.account_id IN (SELECT account_id FROM open_deals)
)
SELECT
    s.account_id,
    coalesce(e.kam_changed, 0) AS kam_changed, e.kam_changed_on, e.kam_changed_severity,
    coalesce(e.contact_left_events, 0) AS contact_left_events, e.contact_left_event_on,
    e.contact_left_severity,
    coalesce(e.promise_broken, 0) AS promise_broken, e.promise_broken_on, e.promise_broken_severity,
    coalesce(e.price_dispute, 0) AS price_dispute, e.price_dispute_on, e.price_dispute_severity,
    coalesce(e.personal_conflict, 0) AS personal_conflict, e.personal_conflict_on,
    e.personal_conflict_severity,
    coalesce(e.complaint_escalated, 0) AS complaint_escalated, e.complaint_escalated_on,
    e.complaint_escalated_severity,
    coalesce(e.culture_clash, 0) AS culture_clash, e.culture_clash_on, e.culture_clash_severity,
    e.kam_changed_note, e.contact_left_note,
    coalesce(cl.contacts_left, 0) AS contacts_left, cl.contact_left_on, cl.contact_left_who,
    coalesce(o.overdue_cases, 0) AS overdue_cases, o.oldest_overdue_days, o.overdue_kinds,
    coalesce(o.not_told_in_time, 0) AS not_told_in_time,
    coalesce(o.never_told, 0) AS never_told,
    coalesce(od.open_deals, 0) AS open_deals,
    dd.last_decider_contact_on,
    CASE WHEN od.open_deals > 0
         THEN (SELECT as_of FROM bounds) - dd.last_decider_contact_on END
        AS days_since_decider_contact
FROM scoped s
LEFT JOIN events e USING (account_id)
LEFT JOIN contacts_left cl USING (account_id)
LEFT JOIN overdue o USING (account_id)
LEFT JOIN open_deals od USING (account_id)
LEFT JOIN deciders dd USING (account_id)
ORDER BY s.account_id;
