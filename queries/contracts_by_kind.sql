-- grain: account
-- One row per filtered account and service-contract kind it has running on $as_of
-- (started by then, not yet ended): the contracts, their annual value, and of those the
-- ones ending within $renewal_days days after $as_of (renewals due), their value and how
-- many of them renew automatically. portfolio/service_totals.py (contracts_by_kind) adds the
-- accounts up into all five kinds in a fixed order.
WITH scoped AS (
    SELECT account_id
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[], $visible::VARCHAR[])
),
running AS (
    SELECT account_id, kind, annual_value::DOUBLE AS annual_value, auto_renew,
           ends_on <= $as_of::DATE + $renewal_days::INTEGER AS renewal_due
    FROM service_contracts
    WHERE starts_on <= $as_of::DATE
      AND (ends_on IS NULL OR ends_on >= $as_of::DATE)
      AND account_id IN (SELECT account_id FROM scoped)
)
SELECT
    account_id,
    kind,
    count(*) AS contracts,
    sum(annual_value) AS annual_value,
    count(*) FILTER (WHERE renewal_due) AS renewals_due,
    coalesce(sum(annual_value) FILTER (WHERE renewal_due), 0) AS renewal_value,
    count(*) FILTER (WHERE renewal_due AND auto_renew) AS renewals_automatic
FROM running
GROUP BY account_id, kind
ORDER BY account_id, kind;
