-- input: pipeline_deals = pipeline_deals
-- One row per calendar quarter, the eight up to and including the quarter of $as_of
-- (which counts up to $as_of only): the deals of the filtered accounts won and lost in
-- that quarter (by their close date as of $as_of), their value, the win rate by number
-- (won / (won + lost)) and by value, and the biggest win.
WITH quarters AS (
    SELECT unnest(generate_series(date_trunc('quarter', $as_of::DATE) - INTERVAL 21 MONTH,
                                  date_trunc('quarter', $as_of::DATE),
                                  INTERVAL 3 MONTH))::DATE AS quarter
),
closed AS (
    SELECT p.stage AS outcome, p.value, p.deal_id, p.deal_name, p.account_name,
           date_trunc('quarter', p.closed_on)::DATE AS quarter
    FROM pipeline_deals p
    WHERE p.stage IN ('won', 'lost')
)
SELECT
    q.quarter,
    count(c.outcome) FILTER (WHERE c.outcome = 'won') AS won,
    count(c.outcome) FILTER (WHERE c.outcome = 'lost') AS lost,
    coalesce(sum(c.value) FILTER (WHERE c.outcome = 'won'), 0) AS won_value,
    coalesce(sum(c.value) FILTER (WHERE c.outcome = 'lost'), 0) AS lost_value,
    won / nullif(won + lost, 0) AS win_rate,
    won_value / nullif(won_value + lost_value, 0) AS win_rate_value,
    -- the biggest win; of equal ones the same on every run (by deal id)
    arg_max(c.deal_name, (c.value, c.deal_id)) FILTER (WHERE c.outcome = 'won')
        AS top_win_name,
    arg_max(c.account_name, (c.value, c.deal_id)) FILTER (WHERE c.outcome = 'won')
        AS top_win_account,
    max(c.value) FILTER (WHERE c.outcome = 'won') AS top_win_value
FROM quarters q
LEFT JOIN closed c USING (quarter)
GROUP BY q.quarter
ORDER BY q.quarter;
