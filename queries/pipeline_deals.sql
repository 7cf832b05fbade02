-- grain: account
-- One row per deal of the accounts in view that is open on $as_of, or was won or lost (as
-- of $as_of) since the first day of the seventh quarter before the quarter of $as_of (the
-- win-rate chart's first quarter; the twelve months of the stage chart lie within). Its
-- stage on $as_of and since when (stage_since), closed_on (the close date, or the day it
-- reached won/lost), value, owner (the deal's, else the account manager) and expected
-- close. For open deals also what its sales calls up to $as_of say: the last `advance`
-- call, the last call that did not end in `continuation` (last_other_on), the last call
-- and its outcome, and the calls in a row since then that all ended in `continuation`.
-- The pipeline queries read these rows as their input `pipeline_deals`: the dashboard
-- computes them once for the viewer's whole scope and narrows them to each filter. The rows
-- come in no particular order (sorting 400,000 rows cost 0.1 s): its readers order theirs.
WITH scoped AS (
    SELECT account_id, name AS account_name, manager_id
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[], $visible::VARCHAR[])
),
stages(stage, stage_order) AS (
    VALUES ('preliminaries', 1), ('investigation', 2), ('demonstrating_capability', 3),
           ('obtaining_commitment', 4), ('won', 5), ('lost', 6)
),
chosen AS (
    SELECT o.deal_id, d.name AS deal_name, o.account_id, s.account_name, o.stage_on AS stage,
           st.stage_order, o.value::DOUBLE AS value, o.stage_since,
           coalesce(o.closed_on, o.stage_since) AS closed_on,
           coalesce(d.owner_id, s.manager_id) AS owner_id, d.expected_close_on
    FROM deals_on($as_of::DATE) o
    JOIN scoped s USING (account_id)
    JOIN stages st ON st.stage = o.stage_on
    JOIN deals d USING (deal_id)
    WHERE st.stage_order <= 4
       OR coalesce(o.closed_on, o.stage_since)
          >= date_trunc('quarter', $as_of::DATE) - INTERVAL 21 MONTH
),
call_facts AS (
    SELECT c.deal_id,
           max(c.occurred_on) FILTER (WHERE c.outcome = 'advance') AS last_advance_on,
           max(c.occurred_on) FILTER (WHERE c.outcome <> 'continuation') AS last_other_on,
           arg_max(c.outcome, (c.occurred_on, c.call_id)) AS last_outcome,
           max(c.occurred_on) AS last_call_on
    FROM calls c
    WHERE c.occurred_on <= $as_of::DATE
      AND c.deal_id IN (SELECT deal_id FROM chosen WHERE stage_order <= 4)
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
)
SELECT c.*, m.name AS owner_name,
       f.last_advance_on, f.last_other_on, f.last_outcome, f.last_call_on,
       coalesce(k.continuation_streak, 0) AS continuation_streak, k.continuations_since
FROM chosen c
LEFT JOIN managers m ON m.manager_id = c.owner_id
LEFT JOIN call_facts f USING (deal_id)
LEFT JOIN streaks k USING (deal_id);
