-- input: pipeline_deals = pipeline_deals
-- One row per month of expected close and stage, for the deals open on $as_of at the
-- filtered accounts: their number, value and weighted value ($stage_probabilities, one per
-- open stage in order) and the most valuable of them. `bucket` is 'overdue' (expected
-- before $as_of, still open), 'month' (the month of $as_of and the eleven after it; `month`
-- is its first day), 'later' or 'no_date'; bucket_order sorts the buckets in time.
WITH open_deals AS (
    SELECT p.deal_id, p.deal_name, p.account_name, p.stage, p.stage_order, p.value,
           p.value * ($stage_probabilities::DOUBLE[])[p.stage_order] AS weighted_value,
           p.expected_close_on
    FROM pipeline_deals p
    WHERE p.stage_order <= 4
),
bucketed AS (
    SELECT *,
           CASE WHEN expected_close_on IS NULL THEN 'no_date'
                WHEN expected_close_on < $as_of::DATE THEN 'overdue'
                WHEN expected_close_on < date_trunc('month', $as_of::DATE) + INTERVAL 12 MONTH
                    THEN 'month'
                ELSE 'later' END AS bucket,
           date_trunc('month', expected_close_on)::DATE AS close_month
    FROM open_deals
)
SELECT
    bucket,
    CASE WHEN bucket = 'month' THEN close_month END AS month,
    CASE bucket WHEN 'overdue' THEN 0 WHEN 'later' THEN 13 WHEN 'no_date' THEN 14
         ELSE datediff('month', date_trunc('month', $as_of::DATE), close_month) + 1
    END AS bucket_order,
    stage, stage_order,
    count(*) AS deals,
    sum(value) AS value,
    sum(weighted_value) AS weighted_value,
    arg_max(deal_name, (value, deal_id)) AS top_deal_name,
    arg_max(account_name, (value, deal_id)) AS top_account_name,
    max(value) AS top_deal_value
FROM bucketed
GROUP BY ALL
ORDER BY bucket_order, stage_order;
