-- One row per open stage, in order: the $usual_percentile quantile of the days of the
-- stays in it that finished by $as_of in the $history_months months up to it (as in
-- pipeline_finished_stays), among all accounts in the viewer's scope whatever the filters:
-- the "longer than usual" benchmark pipeline_stage_time falls back on ($usual_all) when
-- the accounts in view have too few finished stays. NULL: no finished stay at all.
WITH stages(stage_order) AS (VALUES (1), (2), (3), (4)),
finished AS (
    SELECT stage_order, (left_on - entered_on)::DOUBLE AS days
    FROM deal_stage_spans
    WHERE stage_order <= 4 AND entered_on <= $as_of::DATE AND left_on <= $as_of::DATE
      AND left_on > $as_of::DATE - to_months($history_months::INTEGER)
      AND account_id IN (
          SELECT account_id
          FROM scoped_accounts([]::VARCHAR[], []::VARCHAR[], []::VARCHAR[], []::VARCHAR[],
                               $visible::VARCHAR[]))
)
SELECT s.stage_order, quantile_cont(f.days, $usual_percentile::DOUBLE) AS usual_all
FROM stages s
LEFT JOIN finished f USING (stage_order)
GROUP BY s.stage_order
ORDER BY s.stage_order;
