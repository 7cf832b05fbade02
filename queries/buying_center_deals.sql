-- input: rated_deals = buying_center_rated
-- One row per deal open on $as_of at the filtered accounts: its buying center against the
-- seven roles, each role's state on $as_of ('recent': reached through a contact still with
-- the client and engaged on the deal in the $recent_days days up to $as_of; 'long_ago':
-- reached through such a contact, but earlier or on an unknown date; 'left': reached only
-- through contacts who have left; 'never': nobody in the role), with the attitude, name and
-- last engagement of the contact behind that state (the best-placed one; `role_people`
-- counts everyone in the role). Engagements dated after $as_of do not count.
-- A role is covered when it is 'recent'; coverage = covered roles / 7.
-- Gaps: no_decider / no_approver (nobody ever in the role), decider_left / approver_left
-- (everybody in the role has left), doubters (a skeptic or opponent, still with the client,
-- as decider or approver), single_threaded (one person engaged recently holds every
-- covered role), dark (nobody engaged recently).
-- risk: 'high' = a stage in $late_stages without an active decider or approver, an
-- opponent as decider or approver, or every decider gone; 'medium' = single-threaded, dark,
-- fewer than $min_roles_covered roles covered or a skeptic as decider or approver; else
-- 'low'.
-- Rows: the deals with gap $gap ('' = all) whose deal, account or owner name contains
-- $search ('' = all), riskiest then most valuable first ($sort_by = 'risk') or most
-- valuable first ($sort_by = 'value'), $limit rows from $offset; matching_deals and
-- matching_value give the size and value of the whole selection. Without $with_roles the
-- buying centers are not read (for lists that show no roles): every role reads 'never',
-- people_engaged is 0 and the names of deciders left, doubters and single thread NULL.
WITH rated AS (
    SELECT *
    FROM rated_deals
),
selected AS (
    SELECT r.*, m.name AS owner_name,
           CASE r.risk WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END AS risk_rank
    FROM rated r
    LEFT JOIN managers m ON m.manager_id = r.owner_id
    WHERE ($gap::VARCHAR = ''
           OR ($gap::VARCHAR = 'no_decider' AND r.no_decider)
           OR ($gap::VARCHAR = 'no_approver' AND r.no_approver)
           OR ($gap::VARCHAR = 'decider_left' AND r.decider_left)
           OR ($gap::VARCHAR = 'approver_left' AND r.approver_left)
           OR ($gap::VARCHAR = 'doubters' AND r.has_doubters)
           OR ($gap::VARCHAR = 'single_threaded' AND r.single_threaded)
           OR ($gap::VARCHAR = 'dark' AND r.dark))
      AND ($search::VARCHAR = ''
           OR contains(lower(coalesce(r.deal_name, '')), lower($search::VARCHAR))
           OR contains(lower(r.account_name), lower($search::VARCHAR))
           OR contains(lower(coalesce(m.name, '')), lower($search::VARCHAR)))
),
page AS (
    SELECT *, count(*) OVER () AS matching_deals, sum(value) OVER () AS matching_value
    FROM selected
    ORDER BY CASE WHEN $sort_by::VARCHAR = 'risk' THEN risk_rank ELSE 0 END DESC,
             value DESC, deal_id
    LIMIT $limit::INTEGER OFFSET $offset::INTEGER
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
    WHERE $with_roles::BOOLEAN AND dc.deal_id IN (SELECT deal_id FROM page)
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
    FROM page p
    CROSS JOIN roles r
    LEFT JOIN cells c ON c.deal_id = p.deal_id AND c.role_order = r.role_order
    GROUP BY p.deal_id
)
SELECT
    p.deal_id, p.deal_name, p.account_id, p.account_name, p.stage, p.stage_order, p.value,
    p.owner_id, p.owner_name, p.risk, p.roles_covered, p.coverage,
    coalesce(x.people_engaged, 0) AS people_engaged,
    p.decider_met, p.approver_met, p.no_decider, p.no_approver, p.decider_left,
    x.deciders_left, p.approver_left, p.has_doubters, x.doubters, p.opponent_at_top, p.single_threaded,
    x.single_thread, p.dark, p.late_stage,
    g.role_states, g.role_attitudes, g.role_contacts, g.role_people, g.role_last_contact,
    p.matching_deals, p.matching_value
FROM page p
JOIN grid g USING (deal_id)
LEFT JOIN details x USING (deal_id)
ORDER BY CASE WHEN $sort_by::VARCHAR = 'risk' THEN p.risk_rank ELSE 0 END DESC,
         p.value DESC, p.deal_id;
