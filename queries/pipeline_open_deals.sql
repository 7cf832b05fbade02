-- input: pipeline_deals = pipeline_deals
-- One row per deal open on $as_of at the filtered accounts, in stage $stage ('' = every
-- open stage) and whose deal, account or owner name contains $search (any case; '' = all):
-- stage, value, weighted value ($stage_probabilities, one per open stage in order), days in
-- the stage, last call, owner and expected close. The most valuable first, at most $limit
-- rows; matching_deals and matching_value give the size and value of the whole selection.
WITH matching AS (
    SELECT p.deal_id, p.deal_name, p.account_id, p.account_name, p.stage, p.stage_order,
           p.value, p.value * ($stage_probabilities::DOUBLE[])[p.stage_order] AS weighted_value,
           ($as_of::DATE - p.stage_since) AS days_in_stage, p.owner_id, p.owner_name,
           p.expected_close_on, p.last_outcome, p.last_call_on
    FROM pipeline_deals p
    WHERE p.stage_order <= 4
      AND ($stage::VARCHAR = '' OR p.stage = $stage::VARCHAR)
      AND ($search::VARCHAR = ''
           OR contains(lower(coalesce(p.deal_name, '')), lower($search::VARCHAR))
           OR contains(lower(p.account_name), lower($search::VARCHAR))
           OR contains(lower(coalesce(p.owner_name, '')), lower($search::VARCHAR)))
),
shown AS (
    SELECT *, count(*) OVER () AS matching_deals, sum(value) OVER () AS matching_value
    FROM matching
    ORDER BY value DESC, deal_id
    LIMIT $limit::INTEGER
)
SELECT
    deal_id, deal_name, account_id, account_name, stage, stage_order, value,
    weighted_value, days_in_stage, last_outcome, last_call_on, owner_id,
    owner_name, expected_close_on, matching_deals, matching_value
FROM shown
ORDER BY value DESC, deal_id;
