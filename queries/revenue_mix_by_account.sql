-- grain: account
-- One row per filtered account with revenue in the twelve months up to $as_of (T12M: the
-- month of $as_of and the eleven before): revenue by stream, after-sales (service + consumables +
-- spares), its share of the total and the same share in the twelve months before, and
-- whether after-sales out-sells equipment; revenue from account_months (from_deals: won
-- deals' value, no finance data). portfolio/read/service_totals.py (revenue_mix) puts the
-- largest first, cuts the list and counts them all.
WITH scoped AS (
    SELECT a.account_id, a.name AS account_name, a.tier, m.name AS manager_name
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[], $visible::VARCHAR[]) a
    LEFT JOIN managers m USING (manager_id)
),
months AS (
    SELECT
        account_id,
        month > date_trunc('month', $as_of::DATE) - INTERVAL 12 MONTH AS recent_year,
        equipment_revenue::DOUBLE AS equipment, service_revenue::DOUBLE AS service,
        consumables_revenue::DOUBLE AS consumables, spares_revenue::DOUBLE AS spares,
        revenue_source = 'won_deals' AS from_deals
    FROM account_months
    WHERE month <= $as_of::DATE
      AND revenue_source IS NOT NULL
      AND month > date_trunc('month', $as_of::DATE) - INTERVAL 24 MONTH
      AND account_id IN (SELECT account_id FROM scoped)
),
per_account AS (
    SELECT
        account_id,
        sum(equipment) FILTER (WHERE recent_year) AS equipment,
        sum(service) FILTER (WHERE recent_year) AS service,
        sum(consumables) FILTER (WHERE recent_year) AS consumables,
        sum(spares) FILTER (WHERE recent_year) AS spares,
        sum(service + consumables + spares) FILTER (WHERE NOT recent_year)
            / nullif(sum(equipment + service + consumables + spares)
                         FILTER (WHERE NOT recent_year), 0) AS aftersales_share_before,
        coalesce(bool_or(from_deals) FILTER (WHERE recent_year), false) AS from_deals
    FROM months
    GROUP BY account_id
    HAVING count(*) FILTER (WHERE recent_year) > 0
),
mix AS (
    SELECT
        p.*, s.account_name, s.tier, s.manager_name,
        p.equipment + p.service + p.consumables + p.spares AS revenue,
        p.service + p.consumables + p.spares AS aftersales
    FROM per_account p
    JOIN scoped s USING (account_id)
)
SELECT
    account_id, account_name, tier, manager_name, revenue, equipment, service, consumables,
    spares, aftersales, aftersales / nullif(revenue, 0) AS aftersales_share,
    aftersales_share_before, aftersales > equipment AS aftersales_led, from_deals
FROM mix
ORDER BY account_id;
