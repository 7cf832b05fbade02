-- input: rated_deals = buying_center_rated
-- One row per buying-center finding and stage, for the deals open on $as_of at the
-- filtered accounts (the rules of buying_center_rated, same parameters): the number of
-- deals, their value and their average coverage. `finding` is 'open' (every open deal),
-- 'alarm' (a stage in $late_stages without an active decider or approver), 'high_risk',
-- or a gap: 'no_decider', 'no_approver', 'decider_left', 'approver_left', 'doubters',
-- 'single_threaded', 'dark'. Only findings with at least one deal in the stage have a row.
WITH rated AS (
    SELECT *
    FROM rated_deals
),
findings(finding, finding_order) AS (
    VALUES ('open', 1), ('alarm', 2), ('high_risk', 3), ('no_decider', 4), ('no_approver', 5),
           ('decider_left', 6), ('approver_left', 7), ('doubters', 8), ('single_threaded', 9),
           ('dark', 10)
)
SELECT f.finding, f.finding_order, r.stage, r.stage_order,
       count(*) AS deals, sum(r.value) AS value, avg(r.coverage) AS average_coverage
FROM rated r
JOIN findings f ON CASE f.finding
        WHEN 'open' THEN true
        WHEN 'alarm' THEN r.late_stage AND NOT (r.decider_met AND r.approver_met)
        WHEN 'high_risk' THEN r.risk = 'high'
        WHEN 'no_decider' THEN r.no_decider
        WHEN 'no_approver' THEN r.no_approver
        WHEN 'decider_left' THEN r.decider_left
        WHEN 'approver_left' THEN r.approver_left
        WHEN 'doubters' THEN r.has_doubters
        WHEN 'single_threaded' THEN r.single_threaded
        WHEN 'dark' THEN r.dark
    END
GROUP BY f.finding, f.finding_order, r.stage, r.stage_order
ORDER BY f.finding_order, r.stage_order DESC;
