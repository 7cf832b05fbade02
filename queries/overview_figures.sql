-- grain: account
-- One row per account in view: its share of the overview's headline figures as of $as_of
-- (portfolio/read/overview.py adds them up; the overview runs it again for a week and a year
-- earlier, for the changes). Per account, so a filter change only narrows a cached result.
-- key_account: strategic/key tier that had entered the programme by $as_of (key_since;
-- tiers have no history, so the current tier is used). Revenue T12M: the twelve complete
-- months up to $as_of (as in the scoring model) and the twelve before, from account_months
-- (revenue_from_deals: some of it from won deals, no finance data). Pipeline: deals
-- open on $as_of, weighted by $stage_probabilities. Late-stage coverage: the share of the
-- seven buying-center roles covered (an active contact engaged within $recent_days days),
-- summed over deals in a late stage ($late_stages, settings.toml) on $as_of (the
-- mean is the sum over late_deals), and those lacking an active decider or approver. On time:
-- deliveries promised in the $on_time_days days up to $as_of delivered by the promised day.
WITH scoped AS (
    SELECT account_id, tier, key_since
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[], $visible::VARCHAR[])
),
bounds AS (
    SELECT $as_of::DATE AS as_of,
           CASE WHEN $as_of::DATE = last_day($as_of::DATE) THEN date_trunc('month', $as_of::DATE)
                ELSE date_trunc('month', $as_of::DATE) - INTERVAL 1 MONTH END::DATE AS last_month
),
revenue AS (
    SELECT
        m.account_id,
        sum(revenue_of(m.equipment_revenue, m.service_revenue, m.consumables_revenue,
                       m.spares_revenue))
            FILTER (WHERE m.month > b.last_month - INTERVAL 12 MONTH)::DOUBLE AS revenue_t12m,
        sum(revenue_of(m.equipment_revenue, m.service_revenue, m.consumables_revenue,
                       m.spares_revenue))
            FILTER (WHERE m.month <= b.last_month - INTERVAL 12 MONTH)::DOUBLE
            AS revenue_prior_t12m,
        coalesce(bool_or(m.revenue_source = 'won_deals'), false) AS revenue_from_deals
    FROM account_months m, bounds b
    WHERE m.month <= b.last_month AND m.month > b.last_month - INTERVAL 24 MONTH
      AND m.account_id IN (SELECT account_id FROM scoped)
    GROUP BY m.account_id
),
open_deals AS MATERIALIZED (
    SELECT d.deal_no, d.account_id, d.value::DOUBLE AS value, d.stage_on AS stage
    FROM open_deals_on($as_of::DATE) d
    WHERE d.account_id IN (SELECT account_id FROM scoped)
),
pipeline AS (
    SELECT
        account_id,
        count(*) AS open_deals,
        coalesce(sum(value), 0) AS open_value,
        coalesce(sum(value * CASE stage
            WHEN 'preliminaries' THEN ($stage_probabilities::DOUBLE[])[1]
            WHEN 'investigation' THEN ($stage_probabilities::DOUBLE[])[2]
            WHEN 'demonstrating_capability' THEN ($stage_probabilities::DOUBLE[])[3]
            WHEN 'obtaining_commitment' THEN ($stage_probabilities::DOUBLE[])[4]
        END), 0) AS weighted_value
    FROM open_deals
    GROUP BY account_id
),
late_members AS (
    -- roles covered: the distinct role_order values, counted as bits
    SELECT m.deal_no,
           bit_count(bit_or(1::INTEGER << m.role_order) FILTER (
               WHERE m.last_contact_on <= $as_of::DATE
                 AND m.last_contact_on >= $as_of::DATE - to_days($recent_days::INTEGER)))::BIGINT
               AS roles_covered,
           -- covered at the top: an active decider and an active approver
           bool_or(m.role_order = 6) AND bool_or(m.role_order = 7) AS top_met
    FROM deal_members m
    WHERE (m.left_on IS NULL OR m.left_on > $as_of::DATE)
      AND (m.last_contact_on IS NULL OR m.last_contact_on <= $as_of::DATE)
      AND m.deal_no IN (SELECT deal_no FROM open_deals
                        WHERE list_contains($late_stages::VARCHAR[], stage))
    GROUP BY m.deal_no
),
late AS (
    SELECT
        o.account_id,
        count(*) AS late_deals,
        sum(coalesce(m.roles_covered, 0) / 7) AS late_coverage_sum,
        count(*) FILTER (WHERE NOT coalesce(m.top_met, false)) AS late_without_top,
        coalesce(sum(o.value) FILTER (WHERE NOT coalesce(m.top_met, false)), 0)
            AS late_without_top_value
    FROM open_deals o
    LEFT JOIN late_members m USING (deal_no)
    WHERE list_contains($late_stages::VARCHAR[], o.stage)
    GROUP BY o.account_id
),
delivery AS (
    SELECT
        dl.account_id,
        count(*) AS deliveries_due,
        count(*) FILTER (WHERE dl.delivered_on <= dl.promised_on) AS deliveries_on_time
    FROM deliveries dl
    WHERE dl.promised_on <= $as_of::DATE
      AND dl.promised_on > $as_of::DATE - $on_time_days::INTEGER
      AND dl.account_id IN (SELECT account_id FROM scoped)
    GROUP BY dl.account_id
)
SELECT
    s.account_id,
    s.tier IN ('strategic', 'key') AND (s.key_since IS NULL OR s.key_since <= $as_of::DATE)
        AS key_account,
    r.revenue_t12m, r.revenue_prior_t12m,
    coalesce(r.revenue_from_deals, false) AS revenue_from_deals,
    coalesce(p.open_deals, 0) AS open_deals, coalesce(p.open_value, 0) AS open_value,
    coalesce(p.weighted_value, 0) AS weighted_value,
    coalesce(l.late_deals, 0) AS late_deals, coalesce(l.late_coverage_sum, 0) AS late_coverage_sum,
    coalesce(l.late_without_top, 0) AS late_without_top,
    coalesce(l.late_without_top_value, 0) AS late_without_top_value,
    coalesce(dv.deliveries_due, 0) AS deliveries_due,
    coalesce(dv.deliveries_on_time, 0) AS deliveries_on_time
FROM scoped s
LEFT JOIN revenue r USING (account_id)
LEFT JOIN pipeline p USING (account_id)
LEFT JOIN late l USING (account_id)
LEFT JOIN delivery dv USING (account_id)
ORDER BY s.account_id;
