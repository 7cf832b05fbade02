-- One row: the portfolio's headline figures for the filtered accounts as of $as_of.
-- Revenue is the twelve complete months up to $as_of (T12M: a month counts once its last
-- day is on or before $as_of, as in the scoring) against the twelve before (account_months:
-- revenue_from_deals when some of it is won deals' value); pipeline is the
-- deals open on $as_of, weighted by $stage_probabilities (one per stage, in stage order).
WITH scoped AS (
    SELECT account_id, tier
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[], $visible::VARCHAR[])
),
last_complete AS (
    SELECT CASE WHEN $as_of::DATE = last_day($as_of::DATE) THEN date_trunc('month', $as_of::DATE)
                ELSE date_trunc('month', $as_of::DATE) - INTERVAL 1 MONTH END::DATE AS month
),
revenue AS (
    SELECT
        sum(CASE WHEN m.month > l.month - INTERVAL 12 MONTH
                 THEN revenue_of(equipment_revenue, service_revenue, consumables_revenue,
                                 spares_revenue)
            END)::DOUBLE AS revenue_t12m,
        sum(CASE WHEN m.month <= l.month - INTERVAL 12 MONTH
                 THEN equipment_revenue + service_revenue + consumables_revenue + spares_revenue
            END)::DOUBLE AS revenue_prior_t12m,
        coalesce(bool_or(m.revenue_source = 'won_deals'), false) AS revenue_from_deals
    FROM account_months m JOIN scoped USING (account_id), last_complete l
    WHERE m.month > l.month - INTERVAL 24 MONTH AND m.month <= l.month
),
stage_at AS (
    SELECT d.deal_id, d.value, d.stage_on AS stage
    FROM deals_on($as_of::DATE) d
    JOIN scoped USING (account_id)
),
pipeline AS (
    SELECT
        count(*) FILTER (WHERE stage NOT IN ('won', 'lost')) AS open_deals,
        coalesce(sum(value) FILTER (WHERE stage NOT IN ('won', 'lost')), 0)::DOUBLE AS open_value,
        coalesce(sum(value * CASE stage
            WHEN 'preliminaries' THEN ($stage_probabilities::DOUBLE[])[1]
            WHEN 'investigation' THEN ($stage_probabilities::DOUBLE[])[2]
            WHEN 'demonstrating_capability' THEN ($stage_probabilities::DOUBLE[])[3]
            WHEN 'obtaining_commitment' THEN ($stage_probabilities::DOUBLE[])[4]
        END), 0)::DOUBLE AS weighted_value
    FROM stage_at
),
delivery AS (
    SELECT
        count(*) AS deliveries_due_90d,
        count(*) FILTER (WHERE delivered_on <= promised_on) AS on_time_90d
    FROM deliveries JOIN scoped USING (account_id)
    WHERE promised_on > $as_of::DATE - INTERVAL 90 DAY AND promised_on <= $as_of::DATE
),
service AS (
    SELECT count(*) AS overdue_cases
    FROM service_cases JOIN scoped USING (account_id)
    WHERE opened_on <= $as_of::DATE AND due_on < $as_of::DATE
      AND (closed_on IS NULL OR closed_on > $as_of::DATE) AND status <> 'cancelled'
)
SELECT
    (SELECT count(*) FROM scoped) AS accounts,
    (SELECT count(*) FROM scoped WHERE tier IN ('strategic', 'key')) AS key_accounts,
    revenue.*, pipeline.*,
    delivery.deliveries_due_90d,
    CASE WHEN delivery.deliveries_due_90d > 0
         THEN delivery.on_time_90d / delivery.deliveries_due_90d END AS on_time_rate_90d,
    service.overdue_cases
FROM revenue, pipeline, delivery, service;
