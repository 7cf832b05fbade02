-- One row per stalling deal: open on $as_of for the filtered accounts and caught by at
-- least one of three rules, with the facts behind each rule:
--   no_advance       no progress for $no_advance_days days or more: days_stalled counts from
--                    the later of its last `advance` call and the day it entered its stage;
--   on_continuations its last calls, $continuation_streak or more in a row, all ended in
--                    `continuation` (the client agreed to nothing specific);
--   over_usual       longer in its stage than usual: more days than $usual_days, the usual
--                    time in each open stage in stage order (usual_days of the query
--                    pipeline_stage_time; NULL = no benchmark for that stage).
-- The most valuable first, at most $limit rows; stalling_deals and stalling_value give the
-- size and value of the whole list.
WITH scoped AS (
    SELECT account_id, name AS account_name, manager_id
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[], $visible::VARCHAR[])
),
stages(stage, stage_order) AS (
    VALUES ('preliminaries', 1), ('investigation', 2), ('demonstrating_capability', 3),
           ('obtaining_commitment', 4)
),
open_deals AS (
    SELECT d.deal_id, d.name AS deal_name, d.account_id, s.account_name, d.stage_on AS stage,
           st.stage_order, d.value::DOUBLE AS value, d.stage_since,
           coalesce(d.owner_id, s.manager_id) AS owner_id
    FROM deals_as_of($as_of::DATE) d
    JOIN scoped s USING (account_id)
    JOIN stages st ON st.stage = d.stage_on
),
call_facts AS (
    SELECT c.deal_id,
           max(c.occurred_on) FILTER (WHERE c.outcome = 'advance') AS last_advance_on,
           max(c.occurred_on) FILTER (WHERE c.outcome <> 'continuation') AS last_other_on,
           arg_max(c.outcome, c.occurred_on) AS last_outcome,
           max(c.occurred_on) AS last_call_on
    FROM calls c
    WHERE c.occurred_on <= $as_of::DATE AND c.deal_id IN (SELECT deal_id FROM open_deals)
    GROUP BY c.deal_id
),
streaks AS (
    -- the continuations after the last call that ended otherwise
    SELECT c.deal_id, count(*) AS continuation_streak, min(c.occurred_on) AS continuations_since
    FROM calls c
    JOIN call_facts f USING (deal_id)
    WHERE c.occurred_on <= $as_of::DATE AND c.outcome = 'continuation'
      AND (f.last_other_on IS NULL OR c.occurred_on > f.last_other_on)
    GROUP BY c.deal_id
),
facts AS (
    SELECT o.*,
           ($as_of::DATE - o.stage_since) AS days_in_stage,
           ($as_of::DATE - greatest(o.stage_since,
                                    coalesce(f.last_advance_on, o.stage_since))) AS days_stalled,
           f.last_advance_on, f.last_outcome, f.last_call_on,
           coalesce(k.continuation_streak, 0) AS continuation_streak, k.continuations_since,
           ($usual_days::DOUBLE[])[o.stage_order] AS usual_days
    FROM open_deals o
    LEFT JOIN call_facts f USING (deal_id)
    LEFT JOIN streaks k USING (deal_id)
),
flagged AS (
    SELECT *,
           days_stalled >= $no_advance_days::INTEGER AS no_advance,
           continuation_streak >= $continuation_streak::INTEGER AS on_continuations,
           coalesce(days_in_stage > usual_days, false) AS over_usual
    FROM facts
)
SELECT
    f.deal_id, f.deal_name, f.account_id, f.account_name, f.stage, f.stage_order, f.value,
    f.days_stalled, f.days_in_stage, f.last_advance_on, f.last_outcome, f.last_call_on,
    f.continuation_streak, f.continuations_since, f.usual_days,
    f.no_advance, f.on_continuations, f.over_usual,
    f.owner_id, m.name AS owner_name,
    count(*) OVER () AS stalling_deals,
    sum(f.value) OVER () AS stalling_value
FROM flagged f
LEFT JOIN managers m ON m.manager_id = f.owner_id
WHERE f.no_advance OR f.on_continuations OR f.over_usual
ORDER BY f.value DESC, f.days_stalled DESC, f.deal_id
LIMIT $limit::INTEGER;
