-- One row per deal in $deal_ids at an account in the viewer's scope: its buying center
-- against the seven roles, each role's state on $as_of ('recent': reached through a contact
-- still with the client and engaged on the deal in the $recent_days days up to $as_of;
-- 'long_ago': reached through such a contact, but earlier or on an unknown date; 'left':
-- reached only through contacts who have left; 'never': nobody in the role), with the
-- attitude, name and last engagement of the contact behind that state (the best-placed
-- one; `role_people` counts everyone in the role), and the people engaged recently, the
-- single thread (the one person engaged recently, if only one), the deciders who left and
-- the doubters (skeptics and opponents as decider or approver). Engagements dated after
-- $as_of do not count. The page picks the deals from buying_center_rated
-- (portfolio/buying_center.py, select_deals) and reads the buying centers of only those.
WITH scope AS (
    SELECT account_id
    FROM scoped_accounts([]::VARCHAR[], []::VARCHAR[], []::VARCHAR[], []::VARCHAR[],
                         $visible::VARCHAR[])
),
chosen AS (
    SELECT DISTINCT unnest($deal_ids::VARCHAR[]) AS deal_id
),
roles(role, role_order) AS (
    VALUES ('initiator', 1), ('user', 2), ('influencer', 3), ('gatekeeper', 4), ('buyer', 5),
           ('decider', 6), ('approver', 7)
),
page_members AS (
    -- reach: 3 recent, 2 long ago, 1 left (as in rated_open_deals)
    SELECT dc.deal_id, r.role_order, dc.contact_id, c.name AS contact_name, dc.attitude,
           dc.last_contact_on,
           CASE WHEN c.left_on <= $as_of::DATE THEN 1
                WHEN dc.last_contact_on >= $as_of::DATE - to_days($recent_days::INTEGER) THEN 3
                ELSE 2 END AS reach
    FROM deal_contacts dc
    JOIN roles r USING (role)
    JOIN contacts c USING (contact_id)
    WHERE dc.deal_id IN (SELECT deal_id FROM chosen)
      AND (dc.last_contact_on IS NULL OR dc.last_contact_on <= $as_of::DATE)
),
details AS (
    SELECT deal_id,
           count(DISTINCT contact_id) FILTER (WHERE reach = 3) AS people_engaged,
           CASE WHEN count(DISTINCT contact_id) FILTER (WHERE reach = 3) = 1
                THEN any_value(contact_name) FILTER (WHERE reach = 3) END AS single_thread,
           string_agg(DISTINCT contact_name, ', ' ORDER BY contact_name)
               FILTER (WHERE role_order = 6 AND reach = 1) AS deciders_left,
           string_agg(DISTINCT doubter, '; ' ORDER BY doubter) AS doubters
    FROM (SELECT *,
                 CASE WHEN role_order >= 6 AND reach >= 2 AND attitude IN ('skeptic', 'opponent')
                      THEN contact_name || ' (' || CASE role_order WHEN 6 THEN 'decider'
                           ELSE 'approver' END || ', ' || attitude || ')' END AS doubter
          FROM page_members)
    GROUP BY deal_id
),
cells AS (
    SELECT deal_id, role_order, max(reach) AS reach, count(*) AS role_people,
           arg_max(attitude, (reach, coalesce(last_contact_on, DATE '0001-01-01'))) AS attitude,
           arg_max(contact_name, (reach, coalesce(last_contact_on, DATE '0001-01-01')))
               AS contact_name,
           max(last_contact_on) AS last_contact_on
    FROM page_members
    GROUP BY deal_id, role_order
),
grid AS (
    SELECT p.deal_id,
           list(CASE c.reach WHEN 3 THEN 'recent' WHEN 2 THEN 'long_ago' WHEN 1 THEN 'left'
                ELSE 'never' END ORDER BY r.role_order) AS role_states,
           list(c.attitude ORDER BY r.role_order) AS role_attitudes,
           list(c.contact_name ORDER BY r.role_order) AS role_contacts,
           list(coalesce(c.role_people, 0) ORDER BY r.role_order) AS role_people,
           list(c.last_contact_on ORDER BY r.role_order) AS role_last_contact
    FROM chosen p
    CROSS JOIN roles r
    LEFT JOIN cells c ON c.deal_id = p.deal_id AND c.role_order = r.role_order
    GROUP BY p.deal_id
)
SELECT
    g.deal_id, coalesce(x.people_engaged, 0) AS people_engaged, x.single_thread,
    x.deciders_left, x.doubters, g.role_states, g.role_attitudes, g.role_contacts,
    g.role_people, g.role_last_contact
FROM grid g
LEFT JOIN details x USING (deal_id)
WHERE g.deal_id IN (SELECT d.deal_id FROM deals d
                    WHERE d.account_id IN (SELECT account_id FROM scope)
                      AND d.deal_id IN (SELECT deal_id FROM chosen))
ORDER BY g.deal_id;
