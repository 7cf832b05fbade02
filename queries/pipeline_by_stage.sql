-- grain: account
-- One row per account in view and stage it has deals in (the four open stages, then won
-- and lost): the number of deals in that stage on $as_of and their value. Won and lost
-- count the deals closed in the twelve months up to $as_of. portfolio/overview.py adds the
-- accounts up into one row per stage.
WITH scoped AS (
    SELECT account_id
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[], $visible::VARCHAR[])
),
stage_at AS (
    SELECT d.deal_id, d.account_id, d.value, d.stage_on AS stage,
           coalesce(d.closed_on, d.stage_since) AS closed_on
    FROM deals_on($as_of::DATE) d
    JOIN scoped USING (account_id)
),
stages(stage, stage_order) AS (
    VALUES ('preliminaries', 1), ('investigation', 2), ('demonstrating_capability', 3),
           ('obtaining_commitment', 4), ('won', 5), ('lost', 6)
)
SELECT
    a.account_id,
    s.stage,
    s.stage_order,
    count(*) AS deals,
    coalesce(sum(a.value), 0)::DOUBLE AS value
FROM stages s
JOIN stage_at a
    ON a.stage = s.stage
   AND (s.stage_order <= 4 OR a.closed_on > $as_of::DATE - INTERVAL 12 MONTH)
GROUP BY a.account_id, s.stage, s.stage_order
ORDER BY a.account_id, s.stage_order;
