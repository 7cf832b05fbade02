-- Tables derived from the imported ones, filled once when a database is written
-- (portfolio.core.db.write_database), so that pages do not recompute them on every query.

-- Each stay of a deal in a stage: entered_on up to the next stage entered (left_on). On
-- a day with two entries the later stage in Rackham's order counts as the one the deal
-- was in at the end of the day (the earlier one gets a stay of zero days).
INSERT INTO deal_stage_spans
SELECT h.deal_id, d.account_id, h.stage, s.stage_order, h.entered_on,
       lead(h.entered_on) OVER (PARTITION BY h.deal_id
                                ORDER BY h.entered_on, s.stage_order) AS left_on
FROM deal_stage_history h
JOIN (SELECT deal_id, account_id FROM deals) d USING (deal_id)
JOIN (VALUES ('preliminaries', 1), ('investigation', 2), ('demonstrating_capability', 3),
             ('obtaining_commitment', 4), ('won', 5), ('lost', 6)) s(stage, stage_order)
    USING (stage)
ORDER BY h.entered_on, h.deal_id;

-- Each deal's stage from its opening, by the rule of `deals_as_of` (queries/rules/macros.sql):
-- its history's stays where it has them; before its first recorded stay, `preliminaries`
-- until the day it reached its recorded stage (the later of closed_on and stage_entered_on)
-- and that stage from then on. Empty periods are left out. The table's content follows
-- that rule, so it is written here, in a file the schema fingerprint covers: changing the
-- rule means changing this too, and the releases built before are then rebuilt.
-- (tests/test_derived_tables.py checks the two agree on every day.)
CREATE TEMP TABLE deal_numbers AS
SELECT deal_id, row_number() OVER (ORDER BY deal_id)::INTEGER AS deal_no FROM deals;

INSERT INTO deal_periods
WITH firsts AS (
    SELECT deal_id, min(entered_on) AS first_on FROM deal_stage_spans GROUP BY deal_id
),
deal_facts AS (
    SELECT d.deal_id, d.account_id, d.value, d.stage, d.opened_on, d.closed_on,
           coalesce(d.closed_on, d.stage_entered_on, d.opened_on) AS stage_since,
           -- greatest ignores NULLs; NULL when neither day is known
           greatest(d.closed_on, d.stage_entered_on) AS reached_on,
           f.first_on
    FROM deals d
    LEFT JOIN firsts f USING (deal_id)
),
periods AS (
    SELECT deal_id, account_id, value, closed_on, 'preliminaries' AS stage,
           opened_on AS stage_since, opened_on AS from_on, least(reached_on, first_on) AS to_on
    FROM deal_facts
    WHERE reached_on > opened_on
    UNION ALL
    SELECT deal_id, account_id, value, closed_on, stage, stage_since,
           greatest(opened_on, reached_on) AS from_on, first_on AS to_on
    FROM deal_facts
    UNION ALL
    SELECT s.deal_id, f.account_id, f.value, f.closed_on, s.stage, s.entered_on AS stage_since,
           greatest(s.entered_on, f.opened_on) AS from_on, s.left_on AS to_on
    FROM deal_stage_spans s
    JOIN deal_facts f USING (deal_id)
)
SELECT p.deal_id, n.deal_no, p.account_id, p.value, p.stage, p.stage_since, p.closed_on,
       p.from_on, p.to_on
FROM periods p
JOIN deal_numbers n USING (deal_id)
WHERE p.to_on IS NULL OR p.to_on > p.from_on
ORDER BY to_on NULLS LAST, deal_id;

INSERT INTO deal_members
SELECT n.deal_no, d.account_id, dc.role, r.role_order, dc.contact_id, dc.attitude,
       dc.last_contact_on, c.left_on
FROM deal_contacts dc
JOIN deal_numbers n USING (deal_id)
JOIN (SELECT deal_id, account_id FROM deals) d USING (deal_id)
JOIN (SELECT contact_id, left_on FROM contacts) c USING (contact_id)
JOIN (VALUES ('initiator', 1), ('user', 2), ('influencer', 3), ('gatekeeper', 4), ('buyer', 5),
             ('decider', 6), ('approver', 7)) r(role, role_order) USING (role)
ORDER BY n.deal_no, r.role_order, dc.contact_id;

DROP TABLE deal_numbers;

-- The one definition of revenue (see account_months in schema.sql): the finance feed's
-- revenue where it gives an account's revenue, else the won deals and service contracts.
INSERT INTO account_months
WITH finance_accounts AS (
    SELECT DISTINCT account_id
    FROM account_metrics
    WHERE coalesce(equipment_revenue, service_revenue, consumables_revenue,
                   spares_revenue) IS NOT NULL
),
newest(day) AS (
    -- the newest date of the data (as queries/data_dates.sql): where an open-ended
    -- contract's spread stops
    SELECT max(day) FROM (
        SELECT max(closed_on) FROM deals UNION ALL SELECT max(opened_on) FROM deals
        UNION ALL SELECT max(entered_on) FROM deal_stage_history
        UNION ALL SELECT max(occurred_on) FROM calls
        UNION ALL SELECT max(delivered_on) FROM deliveries
        UNION ALL SELECT max(opened_on) FROM service_cases
        UNION ALL SELECT max(closed_on) FROM service_cases
        UNION ALL SELECT max(occurred_on) FROM relationship_events
        UNION ALL SELECT last_day(max(month)) FROM account_metrics) AS d(day)
),
won AS (
    SELECT account_id, date_trunc('month', closed_on)::DATE AS month,
           sum(value)::DOUBLE AS equipment, 0.0 AS service, 0.0 AS consumables,
           0.0 AS spares
    FROM deals
    WHERE stage = 'won' AND closed_on IS NOT NULL AND value IS NOT NULL
      AND account_id NOT IN (SELECT account_id FROM finance_accounts)
    GROUP BY ALL
),
contracts AS (
    SELECT account_id, kind, annual_value::DOUBLE AS annual_value, starts_on,
           coalesce(ends_on, (SELECT day FROM newest)) AS ends_on
    FROM service_contracts
    WHERE account_id NOT IN (SELECT account_id FROM finance_accounts)
),
contract_days AS (
    SELECT account_id, kind, annual_value, starts_on, ends_on,
           unnest(generate_series(date_trunc('month', starts_on), date_trunc('month', ends_on),
                                  INTERVAL 1 MONTH))::DATE AS month
    FROM contracts
    WHERE ends_on >= starts_on
),
contract_months AS (
    SELECT account_id, month, 0.0 AS equipment,
           sum(share) FILTER (WHERE kind IN ('maintenance', 'training', 'support')) AS service,
           sum(share) FILTER (WHERE kind = 'consumables') AS consumables,
           sum(share) FILTER (WHERE kind = 'spare_parts') AS spares
    FROM (SELECT account_id, kind, month,
                 annual_value * (datediff('day', greatest(month, starts_on),
                                          least(last_day(month), ends_on)) + 1) / 365 AS share
          FROM contract_days)
    GROUP BY ALL
),
stand_in AS (
    SELECT account_id, month, sum(equipment) AS equipment,
           coalesce(sum(service), 0) AS service, coalesce(sum(consumables), 0) AS consumables,
           coalesce(sum(spares), 0) AS spares
    FROM (SELECT * FROM won UNION ALL BY NAME SELECT * FROM contract_months)
    GROUP BY ALL
),
finance AS (
    SELECT m.account_id, m.month,
           CASE WHEN has_revenue THEN coalesce(m.equipment_revenue, 0) END AS equipment,
           CASE WHEN has_revenue THEN coalesce(m.service_revenue, 0) END AS service,
           CASE WHEN has_revenue THEN coalesce(m.consumables_revenue, 0) END AS consumables,
           CASE WHEN has_revenue THEN coalesce(m.spares_revenue, 0) END AS spares,
           CASE WHEN has_revenue THEN 'finance' END AS revenue_source,
           m.gross_margin_pct, m.client_market_share_pct, m.financial_health,
           m.share_of_wallet_pct
    FROM (SELECT *, coalesce(equipment_revenue, service_revenue, consumables_revenue,
                             spares_revenue) IS NOT NULL AS has_revenue
          FROM account_metrics) m
    WHERE m.account_id IN (SELECT account_id FROM finance_accounts)
),
deals_based AS (
    SELECT coalesce(s.account_id, m.account_id) AS account_id,
           coalesce(s.month, m.month) AS month,
           s.equipment, s.service, s.consumables, s.spares,
           CASE WHEN s.account_id IS NOT NULL THEN 'won_deals' END AS revenue_source,
           m.gross_margin_pct, m.client_market_share_pct, m.financial_health,
           m.share_of_wallet_pct
    FROM stand_in s
    FULL JOIN (SELECT * FROM account_metrics
               WHERE account_id NOT IN (SELECT account_id FROM finance_accounts)) m
      ON m.account_id = s.account_id AND m.month = s.month
)
SELECT account_id, month, equipment, service, consumables, spares, revenue_source,
       gross_margin_pct::DOUBLE, client_market_share_pct::DOUBLE, financial_health::DOUBLE,
       share_of_wallet_pct::DOUBLE
FROM (SELECT * FROM finance UNION ALL SELECT * FROM deals_based)
ORDER BY account_id, month;
