-- One row per open stage, in order: what became of the deals of the filtered accounts that
-- entered the stage in the $history_months months up to $as_of (from the stage history;
-- deals without history rows are left out). By $as_of each of them has either advanced (reached
-- a later stage or won), been lost while this was its furthest stage, or is still in the stage.
-- conversion = advanced / entered; loss_rate = lost / entered; values are deal values.
WITH scoped AS (
    SELECT account_id
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[], $visible::VARCHAR[])
),
stages(stage, stage_order) AS (
    VALUES ('preliminaries', 1), ('investigation', 2), ('demonstrating_capability', 3),
           ('obtaining_commitment', 4), ('won', 5), ('lost', 6)
),
history AS (
    SELECT h.deal_id, s.stage_order, h.entered_on, d.value
    FROM deal_stage_history h
    JOIN stages s USING (stage)
    JOIN deals d USING (deal_id)
    JOIN scoped USING (account_id)
    WHERE h.entered_on <= $as_of::DATE
),
outcome AS (
    SELECT deal_id,
           max(stage_order) FILTER (WHERE stage_order <= 5) AS furthest,
           bool_or(stage_order = 6) AS lost
    FROM history
    GROUP BY deal_id
),
entries AS (
    SELECT deal_id, stage_order, any_value(value) AS value
    FROM history
    WHERE stage_order <= 4
    GROUP BY deal_id, stage_order
    HAVING min(entered_on) > $as_of::DATE - to_months($history_months::INTEGER)
),
fates AS (
    SELECT e.stage_order, e.value,
           CASE WHEN o.furthest > e.stage_order THEN 'advanced'
                WHEN o.lost THEN 'lost'
                ELSE 'open' END AS fate
    FROM entries e
    JOIN outcome o USING (deal_id)
)
SELECT
    s.stage, s.stage_order,
    count(f.fate) AS entered,
    count(f.fate) FILTER (WHERE f.fate = 'advanced') AS advanced,
    count(f.fate) FILTER (WHERE f.fate = 'lost') AS lost,
    count(f.fate) FILTER (WHERE f.fate = 'open') AS still_open,
    coalesce(sum(f.value), 0)::DOUBLE AS value_entered,
    coalesce(sum(f.value) FILTER (WHERE f.fate = 'advanced'), 0)::DOUBLE AS value_advanced,
    coalesce(sum(f.value) FILTER (WHERE f.fate = 'lost'), 0)::DOUBLE AS value_lost,
    advanced / nullif(entered, 0) AS conversion,
    lost / nullif(entered, 0) AS loss_rate
FROM stages s
LEFT JOIN fates f USING (stage_order)
WHERE s.stage_order <= 4
GROUP BY s.stage, s.stage_order
ORDER BY s.stage_order;
