-- grain: account
-- One row per service contract of the filtered accounts running on $as_of and ending
-- within $renewal_days days after it (ends_on from $as_of to $as_of + $renewal_days): a
-- renewal due. With its annual value, the days left and whether it renews automatically;
-- account_renewals and account_renewal_value count the account's.
-- portfolio/service_totals.py (renewals) merges the accounts into one list, those that do
-- not renew by themselves first, then the soonest, and the totals.
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
counts AS (
    SELECT account_id, count(*) AS account_renewals,
           sum(annual_value) AS account_renewal_value
    FROM due
    GROUP BY account_id
)
SELECT d.contract_id, d.account_id, s.account_name, s.manager_name, d.kind, d.annual_value,
       d.starts_on, d.ends_on, d.days_left, d.auto_renew, c.account_renewals,
       c.account_renewal_value
FROM due d
JOIN counts c USING (account_id)
JOIN scoped s USING (account_id)
ORDER BY d.account_id, d.contract_id;
