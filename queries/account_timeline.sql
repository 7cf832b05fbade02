-- grain: one account
-- One row per relationship event of account $account_id (when it is within the filtered
-- accounts) in the 24 months up to $as_of, newest first, from three sources:
--   'recorded'  the relationship_events table (manager changes, contacts leaving, broken
--               promises, disputes, conflicts, escalations, culture clashes);
--   'contacts'  a contact of the account who left the client (kind key_contact_left;
--               severity high when they were a decider or approver on one of its deals,
--               medium when on a deal in another role, low otherwise), unless a recorded
--               key_contact_left event of the account falls on the same day;
--   'service'   a high or critical service case whose due date passed while it was open
--               (kind promise_broken, dated on the due date; still open on $as_of or closed
--               late), unless a recorded promise_broken event of the account falls on the
--               same day. Severity critical counts as high.
WITH account AS (
    SELECT account_id
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[], $visible::VARCHAR[])
    WHERE account_id = $account_id::VARCHAR
),
bounds AS (
    SELECT $as_of::DATE AS as_of, ($as_of::DATE - INTERVAL 24 MONTH)::DATE AS since
),
recorded AS (
    SELECT e.event_id AS ref, e.occurred_on, e.kind, e.severity, e.note,
           'recorded' AS source
    FROM relationship_events e
    JOIN account USING (account_id), bounds b
    WHERE e.occurred_on <= b.as_of AND e.occurred_on > b.since
),
left_contacts AS (
    SELECT
        c.contact_id AS ref, c.left_on AS occurred_on, 'key_contact_left' AS kind,
        CASE WHEN bool_or(dc.role IN ('decider', 'approver')) THEN 'high'
             WHEN count(dc.role) > 0 THEN 'medium'
             ELSE 'low' END AS severity,
        coalesce(c.name, 'A contact') || coalesce(' (' || c.title || ')', '')
            || ' left the client'
            || coalesce(': ' || string_agg(DISTINCT dc.role, ', ' ORDER BY dc.role), '')
            AS note,
        'contacts' AS source
    FROM contacts c
    JOIN account USING (account_id)
    CROSS JOIN bounds b
    LEFT JOIN deal_contacts dc USING (contact_id)
    WHERE c.left_on <= b.as_of AND c.left_on > b.since
      AND NOT EXISTS (SELECT 1 FROM recorded r
                      WHERE r.kind = 'key_contact_left' AND r.occurred_on = c.left_on)
    GROUP BY c.contact_id, c.left_on, c.name, c.title
),
missed_cases AS (
    SELECT
        sc.case_id AS ref, sc.due_on AS occurred_on, 'promise_broken' AS kind,
        'high' AS severity,
        upper(sc.severity[1]) || sc.severity[2:] || ' ' || sc.kind || ' case ' || sc.case_id
            || ' was promised by ' || strftime(sc.due_on, '%-d %b %Y') || ': '
            || CASE WHEN sc.closed_on <= b.as_of
                    THEN 'closed ' || (sc.closed_on - sc.due_on) || ' days late'
                    ELSE 'still open, ' || (b.as_of - sc.due_on) || ' days overdue' END
            || CASE WHEN sc.client_informed_on IS NULL OR sc.client_informed_on > b.as_of
                    THEN '; client not told' ELSE '' END AS note,
        'service' AS source
    FROM service_cases sc
    JOIN account USING (account_id)
    CROSS JOIN bounds b
    WHERE sc.severity IN ('high', 'critical')
      AND sc.status <> 'cancelled'
      AND sc.due_on < b.as_of AND sc.due_on > b.since
      AND (sc.closed_on IS NULL OR sc.closed_on > sc.due_on)
      AND NOT EXISTS (SELECT 1 FROM recorded r
                      WHERE r.kind = 'promise_broken' AND r.occurred_on = sc.due_on)
)
SELECT occurred_on, kind, severity, note, source, ref
FROM (SELECT * FROM recorded
      UNION ALL SELECT * FROM left_contacts
      UNION ALL SELECT * FROM missed_cases)
ORDER BY occurred_on DESC, source, ref;
