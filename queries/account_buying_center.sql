-- grain: one account
-- One row per contact of account $account_id (when it is within the filtered accounts) and
-- buying-center role they held on the account's current deals: deals opened by $as_of and
-- open on it, or closed in the twelve months before. With their attitude at their latest
-- engagement in that role, when we last engaged them in it (by $as_of), on how many of
-- those deals and how many of them are open on $as_of, whether they were engaged within
-- $recent_days days before $as_of (and are still there), and the day they left the client
-- if that was by $as_of. Contacts of the account on none of those deals appear once, with
-- no role. People still there first, most recently engaged first; then those who left.
WITH account AS (
    SELECT account_id
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[], $visible::VARCHAR[])
    WHERE account_id = $account_id::VARCHAR
),
people AS (
    SELECT c.contact_id, c.name, c.title,
           CASE WHEN c.left_on <= $as_of::DATE THEN c.left_on END AS left_on
    FROM contacts c
    JOIN account USING (account_id)
),
current_deals AS (
    SELECT d.deal_id, d.closed_on IS NULL OR d.closed_on > $as_of::DATE AS open_on_as_of
    FROM deals d
    JOIN account USING (account_id)
    WHERE d.opened_on <= $as_of::DATE
      AND (d.closed_on IS NULL OR d.closed_on > $as_of::DATE - INTERVAL 12 MONTH)
),
roles AS (
    SELECT
        dc.contact_id, dc.role,
        arg_max(dc.attitude, (dc.last_contact_on, dc.deal_id))
            FILTER (WHERE dc.last_contact_on <= $as_of::DATE) AS attitude,
        max(dc.last_contact_on) FILTER (WHERE dc.last_contact_on <= $as_of::DATE)
            AS last_contact_on,
        count(DISTINCT dc.deal_id) AS deals,
        count(DISTINCT dc.deal_id) FILTER (WHERE cd.open_on_as_of) AS open_deals
    FROM deal_contacts dc
    JOIN current_deals cd USING (deal_id)
    GROUP BY dc.contact_id, dc.role
)
SELECT
    p.contact_id, p.name, p.title, r.role, r.attitude, r.last_contact_on,
    coalesce(r.deals, 0) AS deals, coalesce(r.open_deals, 0) AS open_deals,
    coalesce(p.left_on IS NULL
             AND r.last_contact_on >= $as_of::DATE - $recent_days::INTEGER, false)
        AS engaged_recently,
    p.left_on
FROM people p
LEFT JOIN roles r USING (contact_id)
ORDER BY p.left_on IS NOT NULL, p.left_on DESC,
         max(r.last_contact_on) OVER (PARTITION BY p.contact_id) DESC NULLS LAST,
         p.contact_id,
         CASE r.role WHEN 'initiator' THEN 1 WHEN 'user' THEN 2 WHEN 'influencer' THEN 3
                     WHEN 'gatekeeper' THEN 4 WHEN 'buyer' THEN 5 WHEN 'decider' THEN 6
                     WHEN 'approver' THEN 7 END;
