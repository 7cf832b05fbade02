-- grain: account
-- One row per filtered account with revenue in the twelve months up to $as_of (T12M: the
-- month of $as_of and the eleven before): revenue by stream, after-sales (service +
-- consumables + spares), its share of the total and the same share in the twelve months
-- before, and whether after-sales out-earns equipment. portfolio/read/service_totals.py
-- (revenue_mix) puts the largest first, cuts the list and counts them all.
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
        revenue_of(equipment_revenue, service_revenue, consumables_revenue,
                   spares_revenue)::DOUBLE AS revenue,
        revenue_of(NULL, service_revenue, consumables_revenue, spares_revenue)::DOUBLE
            AS aftersales
    FROM account_metrics
    -- rows with no revenue stream (another feed's measures only) say nothing about the mix
    WHERE revenue_of(equipment_revenue, service_revenue, consumables_revenue,
                     spares_revenue) IS NOT NULL
      AND month <= $as_of::DATE
      AND month > date_trunc('month', $as_of::DATE) - INTERVAL 24 MONTH
      AND account_id IN (SELECT account_id FROM scoped)
),
per_account AS (
    SELECT
        account_id,
        coalesce(sum(equipment) FILTER (WHERE recent_year), 0) AS equipment,
        coalesce(sum(service) FILTER (WHERE recent_year), 0) AS service,
        coalesce(sum(consumables) FILTER (WHERE recent_year), 0) AS consumables,
        coalesce(sum(spares) FILTER (WHERE recent_year), 0) AS spares,
        coalesce(sum(aftersales) FILTER (WHERE NOT recent_year), 0)
            / nullif(sum(revenue) FILTER (WHERE NOT recent_year), 0) AS aftersales_share_before
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
    aftersales_share_before, aftersales > equipment AS aftersales_led
FROM mix
ORDER BY account_id;
