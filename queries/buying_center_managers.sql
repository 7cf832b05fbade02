-- One row per deal owner (the deal's owner, else its account's manager) with deals open on
-- $as_of at the filtered accounts (the rules of buying_center_deals, same parameters): the
-- number and value of their open deals, the average coverage per deal and weighted by
-- value, the deals and value at high, medium and low risk, and the alarm deals (a stage in
-- $late_stages without an active decider or approver). Most value at high risk first.
WITH scoped AS (
    SELECT account_id, name AS account_name, manager_id
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[])
),
stages(stage, stage_order) AS (
    VALUES ('preliminaries', 1), ('investigation', 2), ('demonstrating_capability', 3),
           ('obtaining_commitment', 4)
),
roles(role, role_order) AS (
    VALUES ('initiator', 1), ('user', 2), ('influencer', 3), ('gatekeeper', 4), ('buyer', 5),
           ('decider', 6), ('approver', 7)
),
open_deals AS (
    SELECT d.deal_id, d.name AS deal_name, d.account_id, s.account_name, d.stage_on AS stage,
           st.stage_order, d.value::DOUBLE AS value, coalesce(d.owner_id, s.manager_id) AS owner_id
    FROM deals_as_of($as_of::DATE) d
    JOIN scoped s USING (account_id)
    JOIN stages st ON st.stage = d.stage_on
),
members AS (
    -- reach: 3 recent, 2 long ago, 1 left
    SELECT dc.deal_id, r.role_order, dc.contact_id, c.name AS contact_name, dc.attitude,
           dc.last_contact_on,
           CASE WHEN c.left_on <= $as_of::DATE THEN 1
                WHEN dc.last_contact_on >= $as_of::DATE - to_days($recent_days::INTEGER) THEN 3
                ELSE 2 END AS reach
    FROM deal_contacts dc
    JOIN roles r USING (role)
    JOIN contacts c USING (contact_id)
    WHERE dc.deal_id IN (SELECT deal_id FROM open_deals)
      AND (dc.last_contact_on IS NULL OR dc.last_contact_on <= $as_of::DATE)
),
deal_facts AS (
    SELECT deal_id,
           bit_count(bit_or(1 << role_order) FILTER (WHERE reach = 3)) AS roles_covered,
           -- one person or more: enough to tell "single-threaded" from "dark"
           min(contact_id) FILTER (WHERE reach = 3) AS first_engaged,
           max(contact_id) FILTER (WHERE reach = 3) AS last_engaged,
           bool_or(role_order = 6) AS decider_known,
           bool_or(role_order = 6 AND reach >= 2) AS decider_met,
           bool_or(role_order = 7) AS approver_known,
           bool_or(role_order = 7 AND reach >= 2) AS approver_met,
           bool_or(role_order >= 6 AND reach >= 2 AND attitude = 'opponent') AS opponent_at_top,
           bool_or(role_order >= 6 AND reach >= 2
                   AND attitude IN ('skeptic', 'opponent')) AS has_doubters
    FROM members
    GROUP BY deal_id
),
assessed AS (
    SELECT o.*,
           coalesce(f.roles_covered, 0) AS roles_covered,
           coalesce(f.roles_covered, 0) / 7 AS coverage,
           coalesce(f.decider_met, false) AS decider_met,
           coalesce(f.approver_met, false) AS approver_met,
           NOT coalesce(f.decider_known, false) AS no_decider,
           NOT coalesce(f.approver_known, false) AS no_approver,
           coalesce(f.decider_known AND NOT f.decider_met, false) AS decider_left,
           coalesce(f.approver_known AND NOT f.approver_met, false) AS approver_left,
           coalesce(f.has_doubters, false) AS has_doubters,
           coalesce(f.opponent_at_top, false) AS opponent_at_top,
           coalesce(f.first_engaged = f.last_engaged, false) AS single_threaded,
           f.first_engaged IS NULL AS dark,
           list_contains($late_stages::VARCHAR[], o.stage) AS late_stage
    FROM open_deals o
    LEFT JOIN deal_facts f USING (deal_id)
),
rated AS (
    SELECT *,
           CASE WHEN (late_stage AND NOT (decider_met AND approver_met)) OR opponent_at_top
                     OR decider_left THEN 'high'
                WHEN single_threaded OR dark OR roles_covered < $min_roles_covered::INTEGER
                     OR has_doubters THEN 'medium'
                ELSE 'low' END AS risk
    FROM assessed
)
SELECT
    r.owner_id, m.name AS owner_name,
    count(*) AS deals,
    sum(r.value) AS value,
    avg(r.coverage) AS average_coverage,
    sum(r.coverage * r.value) / nullif(sum(r.value), 0) AS value_weighted_coverage,
    count(*) FILTER (WHERE r.risk = 'high') AS high_risk_deals,
    coalesce(sum(r.value) FILTER (WHERE r.risk = 'high'), 0) AS high_risk_value,
    count(*) FILTER (WHERE r.risk = 'medium') AS medium_risk_deals,
    coalesce(sum(r.value) FILTER (WHERE r.risk = 'medium'), 0) AS medium_risk_value,
    count(*) FILTER (WHERE r.risk = 'low') AS low_risk_deals,
    coalesce(sum(r.value) FILTER (WHERE r.risk = 'low'), 0) AS low_risk_value,
    count(*) FILTER (WHERE r.late_stage AND NOT (r.decider_met AND r.approver_met))
        AS alarm_deals,
    coalesce(sum(r.value) FILTER (WHERE r.late_stage
                                  AND NOT (r.decider_met AND r.approver_met)), 0) AS alarm_value
FROM rated r
LEFT JOIN managers m ON m.manager_id = r.owner_id
GROUP BY r.owner_id, m.name
ORDER BY high_risk_value DESC, value DESC, r.owner_id;
