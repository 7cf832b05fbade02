-- One row per account in scope: revenue over the twelve months up to $as_of (T12M) and
-- the twelve before, and the client's market share and financial health in the last
-- month up to $as_of against twelve months earlier. Revenue from account_months
-- (revenue_from_deals: won deals' value, no finance data).
WITH scoped AS (
    SELECT a.account_id, a.name, a.tier, a.kam_stage, a.region, m.name AS manager_name
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[], $visible::VARCHAR[]) a
    LEFT JOIN managers m USING (manager_id)
),
window_metrics AS (
    SELECT mt.*,
           equipment_revenue + service_revenue + consumables_revenue + spares_revenue AS revenue,
           mt.month > date_trunc('month', $as_of::DATE) - INTERVAL 12 MONTH AS recent_year
    FROM account_months mt JOIN scoped USING (account_id)
    WHERE mt.month <= $as_of::DATE
      AND mt.month > date_trunc('month', $as_of::DATE) - INTERVAL 24 MONTH
),
per_account AS (
    SELECT
        account_id,
        sum(revenue) FILTER (WHERE recent_year)::DOUBLE AS revenue_t12m,
        sum(revenue) FILTER (WHERE NOT recent_year)::DOUBLE AS revenue_prior_t12m,
        (sum(service_revenue + consumables_revenue + spares_revenue) FILTER (WHERE recent_year)
            / nullif(sum(revenue) FILTER (WHERE recent_year), 0))::DOUBLE AS aftersales_share,
        arg_max(client_market_share_pct, month)::DOUBLE AS market_share_now,
        max(month) AS last_month,
        arg_max(financial_health, month)::DOUBLE AS health_now,
        coalesce(bool_or(revenue_source = 'won_deals'), false) AS revenue_from_deals
    FROM window_metrics
    GROUP BY account_id
),
year_ago AS (
    SELECT mt.account_id,
           mt.client_market_share_pct::DOUBLE AS market_share_year_ago,
           mt.financial_health::DOUBLE AS health_year_ago
    FROM account_months mt JOIN per_account p
      ON mt.account_id = p.account_id AND mt.month = p.last_month - INTERVAL 12 MONTH
)
SELECT
    s.account_id, s.name, s.tier, s.kam_stage, s.region, s.manager_name,
    p.revenue_t12m, p.revenue_prior_t12m,
    p.revenue_t12m / nullif(p.revenue_prior_t12m, 0) - 1 AS revenue_growth,
    p.aftersales_share, coalesce(p.revenue_from_deals, false) AS revenue_from_deals,
    y.market_share_year_ago, p.market_share_now,
    y.health_year_ago, p.health_now
FROM scoped s
LEFT JOIN per_account p USING (account_id)
LEFT JOIN year_ago y USING (account_id)
ORDER BY p.revenue_t12m DESC NULLS LAST, s.account_id;
