-- grain: one account
-- One row per deal of account $account_id (when it is within the filtered accounts) open on
-- $as_of, with its buying center rated by the same rules as the buying-center page
-- (rated_open_deals in queries/rules/macros.sql: stage on that day and since when, roles
-- covered by contacts still at the client engaged within $recent_days days before $as_of,
-- whether a decider and an approver still at the client were met by then, the people
-- covering and the risk), and its product line, expected close, owner and last call.
-- The most valuable first.
WITH rated AS (
    SELECT *
    FROM rated_open_deals($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                          $kam_stages::VARCHAR[], $as_of::DATE, $recent_days::INTEGER,
                          $late_stages::VARCHAR[], $min_roles_covered::INTEGER,
                          $visible::VARCHAR[], $account_id::VARCHAR)
),
last_call AS (
    SELECT deal_id, arg_max(outcome, (occurred_on, call_id)) AS last_outcome,
           max(occurred_on) AS last_call_on
    FROM calls
    WHERE occurred_on <= $as_of::DATE AND deal_id IN (SELECT deal_id FROM rated)
    GROUP BY deal_id
)
SELECT
    r.deal_id, r.deal_name, d.product_line, r.stage, r.stage_since,
    ($as_of::DATE - r.stage_since) AS days_in_stage, r.value, d.expected_close_on,
    r.owner_id, m.name AS owner_name, l.last_outcome, l.last_call_on,
    r.roles_covered::BIGINT AS roles_covered, r.coverage, r.decider_met, r.approver_met,
    r.people_covering, r.risk
FROM rated r
JOIN deals d USING (deal_id)
LEFT JOIN last_call l USING (deal_id)
LEFT JOIN managers m ON m.manager_id = r.owner_id
ORDER BY r.value DESC NULLS LAST, r.deal_id;
