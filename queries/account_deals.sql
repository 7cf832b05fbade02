-- grain: one account
-- One row per deal of account $account_id (when it is within the filtered accounts) open on
-- $as_of: stage on that day and since when, value, expected close, owner, the last call and
-- its outcome, and its buying-center coverage: roles covered by a contact still at the
-- client engaged within $recent_days days before $as_of, whether a decider and an approver
-- still at the client were ever met, and how many people cover.
-- The most valuable first.
WITH account AS MATERIALIZED (  -- read twice: resolve the filters once
    SELECT account_id, manager_id
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[], $visible::VARCHAR[])
    WHERE account_id = $account_id::VARCHAR
),
account_deals AS (
    SELECT d.*
    FROM deals d
    JOIN account a USING (account_id)
    WHERE d.opened_on <= $as_of::DATE
),
history AS (
    SELECT deal_id, arg_max(stage, entered_on) AS stage, max(entered_on) AS entered_on
    FROM deal_stage_history
    WHERE entered_on <= $as_of::DATE AND deal_id IN (SELECT deal_id FROM account_deals)
    GROUP BY deal_id
),
-- the stage on $as_of by the rule of the deals_as_of macro (queries/rules/macros.sql), here
-- computed for this account's deals only
stage_at AS (
    SELECT
        d.*,
        CASE WHEN h.stage IS NOT NULL THEN h.stage
             WHEN d.closed_on > $as_of::DATE OR d.stage_entered_on > $as_of::DATE
                 THEN 'preliminaries'
             ELSE d.stage END AS stage_on,
        CASE WHEN h.stage IS NOT NULL THEN h.entered_on
             WHEN d.closed_on > $as_of::DATE OR d.stage_entered_on > $as_of::DATE
                 THEN d.opened_on
             ELSE coalesce(d.closed_on, d.stage_entered_on, d.opened_on) END AS stage_since
    FROM account_deals d
    LEFT JOIN history h USING (deal_id)
),
open_deals AS (
    SELECT d.deal_id, d.name AS deal_name, d.product_line, d.stage_on AS stage,
           d.stage_since, d.value::DOUBLE AS value, d.expected_close_on,
           coalesce(d.owner_id, a.manager_id) AS owner_id
    FROM stage_at d
    JOIN account a USING (account_id)
    WHERE d.stage_on NOT IN ('won', 'lost')
),
last_call AS (
    SELECT deal_id, arg_max(outcome, occurred_on) AS last_outcome,
           max(occurred_on) AS last_call_on
    FROM calls
    WHERE occurred_on <= $as_of::DATE AND deal_id IN (SELECT deal_id FROM open_deals)
    GROUP BY deal_id
),
members AS (
    SELECT dc.deal_id, dc.contact_id, dc.role,
           (c.left_on IS NULL OR c.left_on > $as_of::DATE) AS active,
           dc.last_contact_on >= $as_of::DATE - $recent_days::INTEGER
               AND dc.last_contact_on <= $as_of::DATE AS recent
    FROM deal_contacts dc
    JOIN contacts c USING (contact_id)
    WHERE dc.deal_id IN (SELECT deal_id FROM open_deals)
),
coverage AS (
    SELECT deal_id,
           count(DISTINCT role) FILTER (WHERE active AND recent) AS roles_covered,
           bool_or(role = 'decider' AND active) AS decider_met,
           bool_or(role = 'approver' AND active) AS approver_met,
           count(DISTINCT contact_id) FILTER (WHERE active AND recent) AS people_covering
    FROM members
    GROUP BY deal_id
)
SELECT
    o.deal_id, o.deal_name, o.product_line, o.stage, o.stage_since,
    ($as_of::DATE - o.stage_since) AS days_in_stage, o.value, o.expected_close_on,
    o.owner_id, m.name AS owner_name, l.last_outcome, l.last_call_on,
    coalesce(c.roles_covered, 0) AS roles_covered,
    coalesce(c.roles_covered, 0) / 7 AS coverage,
    coalesce(c.decider_met, false) AS decider_met,
    coalesce(c.approver_met, false) AS approver_met,
    coalesce(c.people_covering, 0) AS people_covering
FROM open_deals o
LEFT JOIN last_call l USING (deal_id)
LEFT JOIN coverage c USING (deal_id)
LEFT JOIN managers m ON m.manager_id = o.owner_id
ORDER BY o.value DESC NULLS LAST, o.deal_id;
