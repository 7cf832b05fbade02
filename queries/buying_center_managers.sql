-- input: rated_deals = buying_center_rated
-- One row per deal owner (the deal's owner, else its account's manager) with deals open on
-- $as_of at the filtered accounts (the rules of buying_center_rated, same parameters): the
-- number and value of their open deals, the average coverage per deal and weighted by
-- value, the deals and value at high, medium and low risk, and the alarm deals (a stage in
-- $late_stages without an active decider or approver). Most value at high risk first.
WITH rated AS (
    SELECT *
    FROM rated_deals
)
SELECT
    r.owner_id, r.owner_name,
    count(*) AS deals,
    sum(r.value) AS value,
    avg(r.coverage) AS average_coverage,
    sum(r.coverage * r.value) / nullif(sum(r.value), 0) AS value_weighted_coverage,
    count(*) FILTER (WHERE r.risk = 'high') AS high_risk_deals,
    coalesce(sum(r.value) FILTER (WHERE r.risk = 'high'), 0) AS high_risk_value,
    count(*) FILTER (WHERE r.risk = 'medium') AS medium_risk_deals,
    coalesce(sum(r.value) FILTER (WHERE r.risk = 'medium'), 0) AS medium_risk_value,
    count(*) FILTER (WHERE r.risk = 'low') AS low_risk_deals,
    coalesce(sum(r.value) FILTER (WHERE r.risk = 'low'), 0) AS low_risk_value,
    count(*) FILTER (WHERE r.late_stage AND NOT (r.decider_met AND r.approver_met))
        AS alarm_deals,
    coalesce(sum(r.value) FILTER (WHERE r.late_stage
                                  AND NOT (r.decider_met AND r.approver_met)), 0) AS alarm_value
FROM rated r
GROUP BY r.owner_id, r.owner_name
ORDER BY high_risk_value DESC, value DESC, r.owner_id;
