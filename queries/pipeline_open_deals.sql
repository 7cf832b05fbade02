-- One row per deal open on $as_of at the filtered accounts, in stage $stage ('' = every
-- open stage) and whose deal, account or owner name contains $search (any case; '' = all):
-- stage, value, weighted value ($stage_probabilities, one per open stage in order), days in
-- the stage, last call, owner and expected close. The most valuable first, at most $limit
-- rows; matching_deals and matching_value give the size and value of the whole selection.
WITH scoped AS (
    SELECT account_id, name AS account_name, manager_id
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[], $visible::VARCHAR[])
),
stages(stage, stage_order) AS (
    VALUES ('preliminaries', 1), ('investigation', 2), ('demonstrating_capability', 3),
           ('obtaining_commitment', 4)
),
matching AS (
    SELECT d.deal_id, d.name AS deal_name, d.account_id, s.account_name,
           d.stage_on AS stage, st.stage_order, d.value::DOUBLE AS value,
           d.value::DOUBLE * ($stage_probabilities::DOUBLE[])[st.stage_order] AS weighted_value,
           ($as_of::DATE - d.stage_since) AS days_in_stage,
           coalesce(d.owner_id, s.manager_id) AS owner_id, m.name AS owner_name,
           d.expected_close_on
    FROM deals_as_of($as_of::DATE) d
    JOIN scoped s USING (account_id)
    JOIN stages st ON st.stage = d.stage_on
    LEFT JOIN managers m ON m.manager_id = coalesce(d.owner_id, s.manager_id)
    WHERE ($stage::VARCHAR = '' OR d.stage_on = $stage::VARCHAR)
      AND ($search::VARCHAR = ''
           OR contains(lower(coalesce(d.name, '')), lower($search::VARCHAR))
           OR contains(lower(s.account_name), lower($search::VARCHAR))
           OR contains(lower(coalesce(m.name, '')), lower($search::VARCHAR)))
),
shown AS (
    SELECT *, count(*) OVER () AS matching_deals, sum(value) OVER () AS matching_value
    FROM matching
    ORDER BY value DESC, deal_id
    LIMIT $limit::INTEGER
),
last_call AS (
    SELECT deal_id, arg_max(outcome, occurred_on) AS last_outcome,
           max(occurred_on) AS last_call_on
    FROM calls
    WHERE occurred_on <= $as_of::DATE AND deal_id IN (SELECT deal_id FROM shown)
    GROUP BY deal_id
)
SELECT
    s.deal_id, s.deal_name, s.account_id, s.account_name, s.stage, s.stage_order, s.value,
    s.weighted_value, s.days_in_stage, c.last_outcome, c.last_call_on, s.owner_id,
    s.owner_name, s.expected_close_on, s.matching_deals, s.matching_value
FROM shown s
LEFT JOIN last_call c USING (deal_id)
ORDER BY s.value DESC, s.deal_id;
