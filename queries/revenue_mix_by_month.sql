-- grain: account
-- One row per filtered account and month in the 24 months up to $as_of: revenue by stream
-- (equipment, service, consumables, spares; the columns of account_monthly, so the same
-- chart draws both), from account_months (from_deals: won deals' value, no finance
-- data). portfolio/read/service_totals.py (revenue_mix_by_month) adds the accounts up
-- per month and counts how many reported.
WITH scoped AS (
    SELECT account_id
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[], $visible::VARCHAR[])
)
SELECT
    account_id,
    month,
    sum(equipment_revenue)::DOUBLE AS equipment,
    sum(service_revenue)::DOUBLE AS service,
    sum(consumables_revenue)::DOUBLE AS consumables,
    sum(spares_revenue)::DOUBLE AS spares,
    coalesce(bool_or(revenue_source = 'won_deals'), false) AS from_deals
FROM account_months
WHERE month <= $as_of::DATE
  AND month > date_trunc('month', $as_of::DATE) - INTERVAL 24 MONTH
  AND account_id IN (SELECT account_id FROM scoped)
  AND revenue_source IS NOT NULL
GROUP BY account_id, month
ORDER BY account_id, month;
