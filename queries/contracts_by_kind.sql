-- One row per service-contract kind (all five, in a fixed order) for the filtered accounts:
-- the contracts running on $as_of (started by then, not yet ended), their annual value, and
-- of those the ones ending within $renewal_days days after $as_of (renewals due), their
-- value and how many of them renew automatically.
WITH scoped AS (
    SELECT account_id
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[], $visible::VARCHAR[])
),
kinds(kind, kind_order) AS (
    VALUES ('maintenance', 1), ('support', 2), ('spare_parts', 3), ('consumables', 4),
           ('training', 5)
),
running AS (
    SELECT kind, annual_value::DOUBLE AS annual_value, auto_renew,
           ends_on <= $as_of::DATE + $renewal_days::INTEGER AS renewal_due
    FROM service_contracts
    WHERE starts_on <= $as_of::DATE
      AND (ends_on IS NULL OR ends_on >= $as_of::DATE)
      AND account_id IN (SELECT account_id FROM scoped)
)
SELECT
    k.kind,
    count(r.kind) AS contracts,
    coalesce(sum(r.annual_value), 0) AS annual_value,
    count(r.kind) FILTER (WHERE r.renewal_due) AS renewals_due,
    coalesce(sum(r.annual_value) FILTER (WHERE r.renewal_due), 0) AS renewal_value,
    count(r.kind) FILTER (WHERE r.renewal_due AND r.auto_renew) AS renewals_automatic
FROM kinds k
LEFT JOIN running r USING (kind)
GROUP BY k.kind, k.kind_order
ORDER BY k.kind_order;
