-- input: pipeline_deals = pipeline_deals
-- One row per stage, the four open stages in order and then won and lost, for the filtered
-- accounts: the deals in that stage on $as_of and their value; for the open stages also
-- the stage probability ($stage_probabilities, one per open stage in order), the weighted
-- value (value x probability) and the median days the deals have been in the stage so far.
-- Won and lost count the deals closed in the twelve months up to $as_of.
WITH stage_at AS (
    SELECT p.deal_id, p.value, p.stage, p.stage_since, p.closed_on
    FROM pipeline_deals p
),
stages(stage, stage_order) AS (
    VALUES ('preliminaries', 1), ('investigation', 2), ('demonstrating_capability', 3),
           ('obtaining_commitment', 4), ('won', 5), ('lost', 6)
),
per_stage AS (
    SELECT
        s.stage,
        s.stage_order,
        count(a.deal_id) AS deals,
        coalesce(sum(a.value), 0)::DOUBLE AS value,
        CASE WHEN s.stage_order <= 4
             THEN ($stage_probabilities::DOUBLE[])[s.stage_order] END AS probability,
        CASE WHEN s.stage_order <= 4
             THEN median($as_of::DATE - a.stage_since)::DOUBLE END AS median_days_in_stage
    FROM stages s
    LEFT JOIN stage_at a
        ON a.stage = s.stage
       AND (s.stage_order <= 4 OR a.closed_on > $as_of::DATE - INTERVAL 12 MONTH)
    GROUP BY s.stage, s.stage_order
)
SELECT stage, stage_order, deals, value, probability, value * probability AS weighted_value,
       median_days_in_stage
FROM per_stage
ORDER BY stage_order;
