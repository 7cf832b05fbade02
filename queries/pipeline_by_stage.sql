-- One row per stage (the four open stages, then won and lost) for the filtered accounts:
-- the number of deals in that stage on $as_of and their value. Closed stages count deals
-- closed in the twelve months up to $as_of.
WITH scoped AS (
    SELECT account_id
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[])
),
stage_at AS (
    SELECT d.deal_id, d.value, coalesce(h.stage, d.stage) AS stage,
           coalesce(h.entered_on, d.stage_entered_on, d.opened_on) AS entered_on
    FROM deals d
    JOIN scoped USING (account_id)
    LEFT JOIN (
        SELECT deal_id, arg_max(stage, entered_on) AS stage, max(entered_on) AS entered_on
        FROM deal_stage_history WHERE entered_on <= $as_of::DATE GROUP BY deal_id
    ) h USING (deal_id)
    WHERE d.opened_on <= $as_of::DATE
),
stages(stage, stage_order) AS (
    VALUES ('preliminaries', 1), ('investigation', 2), ('demonstrating_capability', 3),
           ('obtaining_commitment', 4), ('won', 5), ('lost', 6)
)
SELECT
    s.stage,
    s.stage_order,
    count(a.deal_id) AS deals,
    coalesce(sum(a.value), 0)::DOUBLE AS value
FROM stages s
LEFT JOIN stage_at a
    ON a.stage = s.stage
   AND (s.stage_order <= 4 OR a.entered_on > $as_of::DATE - INTERVAL 12 MONTH)
GROUP BY s.stage, s.stage_order
ORDER BY s.stage_order;
