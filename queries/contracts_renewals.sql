-- One row per service contract of the filtered accounts running on $as_of and ending
-- within $renewal_days days after it (ends_on from $as_of to $as_of + $renewal_days): a
-- renewal due. With its annual value, the days left and whether it renews automatically;
-- those that do not renew by themselves first, then the soonest; at most $limit rows;
-- renewals_total and renewal_value_total count them all, before that cut.
WITH scoped AS (
    SELECT a.account_id, a.name AS account_name, m.name AS manager_name
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[], $visible::VARCHAR[]) a
    LEFT JOIN managers m USING (manager_id)
),
due AS (
    SELECT contract_id, account_id, kind, annual_value::DOUBLE AS annual_value,
           starts_on, ends_on, ends_on - $as_of::DATE AS days_left, auto_renew
    FROM service_contracts
    WHERE starts_on <= $as_of::DATE
      AND ends_on >= $as_of::DATE
      AND ends_on <= $as_of::DATE + $renewal_days::INTEGER
      AND account_id IN (SELECT account_id FROM scoped)
),
totals AS (
    SELECT count(*) AS renewals_total, coalesce(sum(annual_value), 0) AS renewal_value_total
    FROM due
),
shown AS (
    SELECT * FROM due ORDER BY auto_renew, ends_on, annual_value DESC, contract_id
    LIMIT $limit::INTEGER
)
SELECT d.contract_id, d.account_id, s.account_name, s.manager_name, d.kind, d.annual_value,
       d.starts_on, d.ends_on, d.days_left, d.auto_renew, t.renewals_total,
       t.renewal_value_total
FROM shown d
JOIN scoped s USING (account_id)
CROSS JOIN totals t
ORDER BY d.auto_renew, d.ends_on, d.annual_value DESC, d.contract_id;
