-- input: pipeline_deals = pipeline_deals
-- input: finished_stays = pipeline_finished_stays
-- One row per open stage, in order: how long deals stay in it, from the stage history.
-- A finished stay is one that ended (the deal entered another stage) in the
-- $history_months months up to $as_of. For the filtered accounts: the number of finished
-- stays, their median and 75th-percentile days, and the deals in the stage on $as_of with
-- the median of their days there so far. usual_days is the $usual_percentile quantile of
-- the finished stays (the "longer than usual" benchmark of the stalling list): among the
-- accounts in view, or, when those have fewer than $min_stays finished stays in the stage,
-- $usual_all (pipeline_usual_days: among all accounts in the viewer's scope; usual_scope
-- says which; NULL: no finished stay at all). open_over_usual counts the deals in the
-- stage on $as_of for longer than usual_days.
WITH stages(stage, stage_order) AS (
    VALUES ('preliminaries', 1), ('investigation', 2), ('demonstrating_capability', 3),
           ('obtaining_commitment', 4)
),
benchmarks AS (
    SELECT s.stage_order,
           count(f.days) AS finished_stays,
           quantile_cont(f.days, [0.5, 0.75, $usual_percentile::DOUBLE]) AS in_view_quantiles,
           ($usual_all::DOUBLE[])[s.stage_order] AS usual_all
    FROM stages s
    LEFT JOIN finished_stays f USING (stage_order)
    GROUP BY s.stage_order
),
usual AS (
    SELECT stage_order, finished_stays,
           in_view_quantiles[1] AS median_days, in_view_quantiles[2] AS p75_days,
           CASE WHEN finished_stays >= $min_stays::INTEGER THEN in_view_quantiles[3]
                ELSE usual_all END AS usual_days,
           CASE WHEN finished_stays >= $min_stays::INTEGER THEN 'in view'
                WHEN usual_all IS NOT NULL THEN 'all accounts' END AS usual_scope
    FROM benchmarks
),
open_now AS (
    SELECT p.stage_order, ($as_of::DATE - p.stage_since)::DOUBLE AS days
    FROM pipeline_deals p
    WHERE p.stage_order <= 4
)
SELECT
    s.stage, s.stage_order,
    coalesce(u.finished_stays, 0) AS finished_stays, u.median_days, u.p75_days,
    u.usual_days, u.usual_scope,
    count(o.days) AS open_deals,
    median(o.days) AS open_median_days,
    count(o.days) FILTER (WHERE o.days > u.usual_days) AS open_over_usual
FROM stages s
LEFT JOIN usual u USING (stage_order)
LEFT JOIN open_now o USING (stage_order)
WHERE s.stage_order <= 4
GROUP BY ALL
ORDER BY s.stage_order;
