-- One row per deal open on $as_of for the filtered accounts: its account, stage, value,
-- days in the current stage, the outcome of its last call, owner and expected close.
WITH scoped AS (
    SELECT account_id, name AS account_name, manager_id
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[], $visible::VARCHAR[])
),
stage_at AS (
    SELECT d.*, o.stage_on AS stage_now, o.stage_since
    FROM open_deals_on($as_of::DATE) o
    JOIN deals d USING (deal_id)
),
last_call AS (
    SELECT deal_id, arg_max(outcome, occurred_on) AS last_outcome, max(occurred_on) AS last_call_on
    FROM calls WHERE occurred_on <= $as_of::DATE GROUP BY deal_id
)
SELECT
    d.deal_id, d.name AS deal_name, s.account_id, s.account_name,
    d.stage_now AS stage, d.value::DOUBLE AS value,
    ($as_of::DATE - d.stage_since) AS days_in_stage,
    c.last_outcome, c.last_call_on,
    coalesce(d.owner_id, s.manager_id) AS owner_id, m.name AS owner_name,
    d.expected_close_on
FROM stage_at d
JOIN scoped s USING (account_id)
LEFT JOIN last_call c USING (deal_id)
LEFT JOIN managers m ON m.manager_id = coalesce(d.owner_id, s.manager_id)
WHERE d.stage_now NOT IN ('won', 'lost')
ORDER BY d.value DESC, d.deal_id;
