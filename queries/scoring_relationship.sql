-- grain: account
-- One row per account in view and period (0 = as of $as_of, 12 = as of twelve months
-- earlier): the raw factors of the relative-strength scorecard that come from deals and
-- service. Buying-center coverage: the value-weighted mean share of the seven roles
-- covered on the deals open on the period's date, a role counting when an active contact
-- held it and was engaged within $recent_days days before that date. Deliveries: those
-- promised in the twelve months up to the date, on time = delivered by the promised day.
-- Service promises: the cases (not cancelled) due in those twelve months, kept = closed by
-- the due date; overdue = open on the date past the due date. Deals closed: won and lost
-- in the twelve months up to the date (by closed_on, as the pipeline page's win rate), and
-- the large ones lost and won: a value of at least large_deal_value, the $large_deal_quantile
-- quantile of the values of every deal in the database (the same line for every filter).
WITH scoped AS (
    SELECT account_id
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[], $visible::VARCHAR[])
),
periods(period, ref_day) AS (
    VALUES (0, $as_of::DATE), (12, ($as_of::DATE - INTERVAL 12 MONTH)::DATE)
),
open_deals AS (
    SELECT 0 AS period, d.deal_no, d.account_id, d.value::DOUBLE AS value
    FROM open_deals_on($as_of::DATE) d
    WHERE d.account_id IN (SELECT account_id FROM scoped)
    UNION ALL
    SELECT 12 AS period, d.deal_no, d.account_id, d.value::DOUBLE AS value
    FROM open_deals_on(($as_of::DATE - INTERVAL 12 MONTH)::DATE) d
    WHERE d.account_id IN (SELECT account_id FROM scoped)
),
-- each period's covered roles (the distinct role_order values, counted as bits): one scan
-- of the buying centers per period
members AS (
    SELECT 0 AS period, m.deal_no,
           bit_count(bit_or(1::INTEGER << m.role_order))::BIGINT AS roles_covered
    FROM deal_members m
    WHERE m.last_contact_on <= $as_of::DATE
      AND m.last_contact_on >= $as_of::DATE - to_days($recent_days::INTEGER)
      AND (m.left_on IS NULL OR m.left_on > $as_of::DATE)
    GROUP BY m.deal_no
    UNION ALL
    SELECT 12 AS period, m.deal_no,
           bit_count(bit_or(1::INTEGER << m.role_order))::BIGINT AS roles_covered
    FROM deal_members m
    WHERE m.last_contact_on <= ($as_of::DATE - INTERVAL 12 MONTH)::DATE
      AND m.last_contact_on >= ($as_of::DATE - INTERVAL 12 MONTH)::DATE
                               - to_days($recent_days::INTEGER)
      AND (m.left_on IS NULL OR m.left_on > ($as_of::DATE - INTERVAL 12 MONTH)::DATE)
    GROUP BY m.deal_no
),
deal_roles AS (
    SELECT o.period, o.deal_no, o.account_id, o.value,
           coalesce(m.roles_covered, 0) AS roles_covered
    FROM open_deals o
    LEFT JOIN members m USING (period, deal_no)
),
coverage AS (
    SELECT period, account_id,
           count(*) AS open_deals,
           coalesce(sum(value), 0) AS open_value,
           coalesce(sum(roles_covered / 7 * value) / nullif(sum(value), 0),
                    avg(roles_covered / 7)) AS coverage
    FROM deal_roles
    GROUP BY period, account_id
),
-- each period as its own filtered scan: a join of the periods with the date ranges ran as
-- a nested loop over every delivery and case. Deliveries and promises are counted for every
-- account and kept for those in view by the final join: on a million rows a filter by the
-- accounts in view cost more than it saved.
delivery AS (
    SELECT 0 AS period, account_id,
           count(*) AS deliveries_due,
           count(*) FILTER (WHERE delivered_on <= promised_on) AS deliveries_on_time
    FROM deliveries
    WHERE promised_on <= $as_of::DATE
      AND promised_on > $as_of::DATE - INTERVAL 12 MONTH
    GROUP BY account_id
    UNION ALL
    SELECT 12 AS period, account_id,
           count(*) AS deliveries_due,
           count(*) FILTER (WHERE delivered_on <= promised_on) AS deliveries_on_time
    FROM deliveries
    WHERE promised_on <= ($as_of::DATE - INTERVAL 12 MONTH)::DATE
      AND promised_on > ($as_of::DATE - INTERVAL 12 MONTH)::DATE - INTERVAL 12 MONTH
    GROUP BY account_id
),
promises AS (
    SELECT 0 AS period, account_id,
           count(*) AS promises_due,
           count(*) FILTER (WHERE closed_on <= due_on) AS promises_kept
    FROM service_cases
    WHERE status <> 'cancelled'
      AND due_on <= $as_of::DATE
      AND due_on > $as_of::DATE - INTERVAL 12 MONTH
    GROUP BY account_id
    UNION ALL
    SELECT 12 AS period, account_id,
           count(*) AS promises_due,
           count(*) FILTER (WHERE closed_on <= due_on) AS promises_kept
    FROM service_cases
    WHERE status <> 'cancelled'
      AND due_on <= ($as_of::DATE - INTERVAL 12 MONTH)::DATE
      AND due_on > ($as_of::DATE - INTERVAL 12 MONTH)::DATE - INTERVAL 12 MONTH
    GROUP BY account_id
),
threshold AS (
    SELECT quantile_cont(value, $large_deal_quantile::DOUBLE)::DOUBLE AS large_deal_value
    FROM deals
    WHERE value IS NOT NULL
),
closed_deals AS (
    SELECT 0 AS period, account_id, stage, value::DOUBLE AS value
    FROM deals
    WHERE stage IN ('won', 'lost')
      AND closed_on <= $as_of::DATE AND closed_on > $as_of::DATE - INTERVAL 12 MONTH
    UNION ALL
    SELECT 12 AS period, account_id, stage, value::DOUBLE AS value
    FROM deals
    WHERE stage IN ('won', 'lost')
      AND closed_on <= ($as_of::DATE - INTERVAL 12 MONTH)::DATE
      AND closed_on > ($as_of::DATE - INTERVAL 12 MONTH)::DATE - INTERVAL 12 MONTH
),
closed AS (
    SELECT c.period, c.account_id,
           count(*) FILTER (WHERE c.stage = 'won') AS deals_won,
           count(*) FILTER (WHERE c.stage = 'lost') AS deals_lost,
           count(*) FILTER (WHERE c.stage = 'lost' AND c.value >= t.large_deal_value)
               AS large_lost,
           count(*) FILTER (WHERE c.stage = 'won' AND c.value >= t.large_deal_value)
               AS large_won,
           coalesce(sum(c.value) FILTER (WHERE c.stage = 'lost'
                                         AND c.value >= t.large_deal_value), 0) AS large_lost_value
    FROM closed_deals c, threshold t
    WHERE c.account_id IN (SELECT account_id FROM scoped)
    GROUP BY c.period, c.account_id
),
overdue AS (
    SELECT 0 AS period, account_id, count(*) AS overdue_cases
    FROM service_cases
    WHERE status <> 'cancelled'
      AND opened_on <= $as_of::DATE AND due_on < $as_of::DATE
      AND (closed_on IS NULL OR closed_on > $as_of::DATE)
      AND account_id IN (SELECT account_id FROM scoped)
    GROUP BY account_id
    UNION ALL
    SELECT 12 AS period, account_id, count(*) AS overdue_cases
    FROM service_cases
    WHERE status <> 'cancelled'
      AND opened_on <= ($as_of::DATE - INTERVAL 12 MONTH)::DATE
      AND due_on < ($as_of::DATE - INTERVAL 12 MONTH)::DATE
      AND (closed_on IS NULL OR closed_on > ($as_of::DATE - INTERVAL 12 MONTH)::DATE)
      AND account_id IN (SELECT account_id FROM scoped)
    GROUP BY account_id
)
SELECT
    s.account_id, p.period,
    coalesce(cv.open_deals, 0) AS open_deals, coalesce(cv.open_value, 0) AS open_value,
    cv.coverage,
    coalesce(dl.deliveries_due, 0) AS deliveries_due,
    coalesce(dl.deliveries_on_time, 0) AS deliveries_on_time,
    coalesce(pr.promises_due, 0) AS promises_due,
    coalesce(pr.promises_kept, 0) AS promises_kept,
    coalesce(od.overdue_cases, 0) AS overdue_cases,
    coalesce(cl.deals_won, 0) AS deals_won, coalesce(cl.deals_lost, 0) AS deals_lost,
    coalesce(cl.large_lost, 0) AS large_lost, coalesce(cl.large_won, 0) AS large_won,
    coalesce(cl.large_lost_value, 0) AS large_lost_value,
    (SELECT large_deal_value FROM threshold) AS large_deal_value
FROM scoped s
CROSS JOIN periods p
LEFT JOIN coverage cv ON cv.account_id = s.account_id AND cv.period = p.period
LEFT JOIN delivery dl ON dl.account_id = s.account_id AND dl.period = p.period
LEFT JOIN promises pr ON pr.account_id = s.account_id AND pr.period = p.period
LEFT JOIN overdue od ON od.account_id = s.account_id AND od.period = p.period
LEFT JOIN closed cl ON cl.account_id = s.account_id AND cl.period = p.period
ORDER BY s.account_id, p.period;
