-- input: pipeline_deals = pipeline_deals
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
WITH facts AS (
    SELECT p.deal_id, p.deal_name, p.account_id, p.account_name, p.stage, p.stage_order,
           p.value, p.stage_since, p.owner_id, p.owner_name,
           ($as_of::DATE - p.stage_since) AS days_in_stage,
           ($as_of::DATE - greatest(p.stage_since,
                                    coalesce(p.last_advance_on, p.stage_since))) AS days_stalled,
           p.last_advance_on, p.last_outcome, p.last_call_on,
           p.continuation_streak, p.continuations_since,
           ($usual_days::DOUBLE[])[p.stage_order] AS usual_days
    FROM pipeline_deals p
    WHERE p.stage_order <= 4
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
    f.owner_id, f.owner_name,
    count(*) OVER () AS stalling_deals,
    sum(f.value) OVER () AS stalling_value
FROM flagged f
WHERE f.no_advance OR f.on_continuations OR f.over_usual
ORDER BY f.value DESC, f.days_stalled DESC, f.deal_id
LIMIT $limit::INTEGER;
