-- grain: account
-- One row per account in view and period: the raw factors of the attractiveness scorecard
-- and the share of wallet (portfolio/read/scoring.py turns them into 0-100 scores). period 0
-- is "now": the twelve complete months up to $as_of (a month counts once its last day is
-- on or before $as_of); period 12 is the same as of $as_of minus twelve months, so the
-- trend of the score can be computed. Each period also reads the twelve months before
-- its window, for growth and for the year-on-year moves of market share and financial
-- health (the latest month with a figure in each window; *_span = months between them).
-- Revenue is account_months' (the finance feed's, else the won deals': revenue_from_deals);
-- revenue_months counts the months with revenue. The client's own size comes from
-- accounts (annual revenue times portfolio_settings `annual_revenue_unit`, default 1).
-- has_contracts / has_buying_centers: whether the database holds any service contracts /
-- buying-center rows at all (without them, after-sales share from won deals and coverage
-- are not measured rather than 0).
WITH scoped AS (
    SELECT a.account_id, a.name, a.tier, a.kam_stage, a.region, a.manager_id,
           m.name AS manager_name,
           a.annual_revenue::DOUBLE * coalesce(
               (SELECT try_cast(value AS DOUBLE) FROM portfolio_settings
                WHERE key = 'annual_revenue_unit'), 1) AS client_revenue,
           a.employees::DOUBLE AS client_employees
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[], $visible::VARCHAR[]) a
    LEFT JOIN managers m USING (manager_id)
),
periods AS (
    SELECT period, ref_day,
           CASE WHEN ref_day = last_day(ref_day) THEN date_trunc('month', ref_day)
                ELSE date_trunc('month', ref_day) - INTERVAL 1 MONTH END::DATE AS last_month
    FROM (VALUES (0, $as_of::DATE),
                 (12, ($as_of::DATE - INTERVAL 12 MONTH)::DATE)) AS p(period, ref_day)
),
monthly AS (
    SELECT p.period, mt.account_id, mt.month,
           mt.month > p.last_month - INTERVAL 12 MONTH AS this_year,
           mt.revenue_source = 'won_deals' AS from_deals,
           (mt.equipment_revenue + mt.service_revenue + mt.consumables_revenue
               + mt.spares_revenue)::DOUBLE AS revenue,
           (mt.service_revenue + mt.consumables_revenue + mt.spares_revenue)::DOUBLE
               AS aftersales,
           mt.gross_margin_pct::DOUBLE AS margin,
           mt.client_market_share_pct::DOUBLE AS share,
           mt.financial_health::DOUBLE AS health,
           mt.share_of_wallet_pct::DOUBLE AS wallet
    FROM periods p
    JOIN account_months mt
      ON mt.month <= p.last_month AND mt.month > p.last_month - INTERVAL 24 MONTH
    WHERE mt.account_id IN (SELECT account_id FROM scoped)
),
metrics AS (
    SELECT
        period, account_id,
        count(*) FILTER (WHERE this_year) AS metric_months,
        count(revenue) FILTER (WHERE this_year) AS revenue_months,
        coalesce(bool_or(from_deals) FILTER (WHERE this_year), false) AS revenue_from_deals,
        sum(revenue) FILTER (WHERE this_year) AS revenue,
        sum(revenue) FILTER (WHERE NOT this_year) AS revenue_prior,
        sum(aftersales) FILTER (WHERE this_year)
            / nullif(sum(revenue) FILTER (WHERE this_year), 0) AS aftersales_share,
        coalesce(sum(margin * revenue) FILTER (WHERE this_year AND margin IS NOT NULL)
                     / nullif(sum(revenue) FILTER (WHERE this_year AND margin IS NOT NULL), 0),
                 avg(margin) FILTER (WHERE this_year)) AS gross_margin_pct,
        arg_max(share, month) FILTER (WHERE this_year AND share IS NOT NULL) AS market_share,
        max(month) FILTER (WHERE this_year AND share IS NOT NULL) AS market_share_month,
        arg_max(share, month) FILTER (WHERE NOT this_year AND share IS NOT NULL)
            AS market_share_before,
        max(month) FILTER (WHERE NOT this_year AND share IS NOT NULL)
            AS market_share_before_month,
        arg_max(health, month) FILTER (WHERE this_year AND health IS NOT NULL) AS health,
        max(month) FILTER (WHERE this_year AND health IS NOT NULL) AS health_month,
        arg_max(health, month) FILTER (WHERE NOT this_year AND health IS NOT NULL)
            AS health_before,
        max(month) FILTER (WHERE NOT this_year AND health IS NOT NULL) AS health_before_month,
        arg_max(wallet, month) FILTER (WHERE this_year AND wallet IS NOT NULL)
            AS share_of_wallet
    FROM monthly
    GROUP BY period, account_id
)
SELECT
    s.account_id, s.name, s.tier, s.kam_stage, s.region, s.manager_id, s.manager_name,
    p.period, p.ref_day, p.last_month,
    coalesce(mt.metric_months, 0) AS metric_months,
    coalesce(mt.revenue_months, 0) AS revenue_months,
    coalesce(mt.revenue_from_deals, false) AS revenue_from_deals,
    s.client_revenue, s.client_employees,
    (SELECT count(*) > 0 FROM service_contracts) AS has_contracts,
    buying_centers_recorded() AS has_buying_centers,
    mt.revenue, mt.revenue_prior, mt.aftersales_share, mt.gross_margin_pct,
    mt.market_share, mt.market_share_before,
    datediff('month', mt.market_share_before_month, mt.market_share_month) AS market_share_span,
    mt.health, mt.health_before,
    datediff('month', mt.health_before_month, mt.health_month) AS health_span,
    mt.share_of_wallet
FROM scoped s
CROSS JOIN periods p
LEFT JOIN metrics mt ON mt.account_id = s.account_id AND mt.period = p.period
ORDER BY s.account_id, p.period;
