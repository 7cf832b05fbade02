-- grain: account
-- One row per account in view and open stage: what became of the account's deals that
-- entered the stage in the $history_months months up to $as_of (from the stage history;
-- deals without history rows are left out). By $as_of each has advanced (reached a later
-- stage or won), been lost while this was its furthest stage, or is still in the stage;
-- values are deal values. pipeline_conversion adds the accounts in view up (its input
-- `conversion_accounts`), so a filter change does not re-read the stage history.
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
    SELECT h.deal_id, d.account_id, s.stage_order, h.entered_on, d.value
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
    SELECT deal_id, account_id, stage_order, any_value(value) AS value
    FROM history
    WHERE stage_order <= 4
    GROUP BY deal_id, account_id, stage_order
    HAVING min(entered_on) > $as_of::DATE - to_months($history_months::INTEGER)
),
fates AS (
    SELECT e.account_id, e.stage_order, e.value,
           CASE WHEN o.furthest > e.stage_order THEN 'advanced'
                WHEN o.lost THEN 'lost'
                ELSE 'open' END AS fate
    FROM entries e
    JOIN outcome o USING (deal_id)
)
SELECT
    account_id, stage_order,
    count(*) AS entered,
    count(*) FILTER (WHERE fate = 'advanced') AS advanced,
    count(*) FILTER (WHERE fate = 'lost') AS lost,
    count(*) FILTER (WHERE fate = 'open') AS still_open,
    sum(value)::DOUBLE AS value_entered,
    coalesce(sum(value) FILTER (WHERE fate = 'advanced'), 0)::DOUBLE AS value_advanced,
    coalesce(sum(value) FILTER (WHERE fate = 'lost'), 0)::DOUBLE AS value_lost
FROM fates
GROUP BY account_id, stage_order
ORDER BY account_id, stage_order;
