-- grain: one account
-- One row per service contract of account $account_id (when it is within the filtered
-- accounts) running on $as_of, starting after it, or ended within the $history_days days
-- up to it: kind, annual value, term, whether it renews automatically, and its state on
-- $as_of: renewal_due (running and ending within $renewal_days days after $as_of),
-- running, signed (starts later) or ended; days_left until it ends (running ones).
-- Renewals due first, then running (ending soonest first), signed, ended.
WITH account AS (
    SELECT account_id
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[], $visible::VARCHAR[])
    WHERE account_id = $account_id::VARCHAR
),
contracts AS (
    SELECT
        k.contract_id, k.kind, k.annual_value::DOUBLE AS annual_value, k.starts_on,
        k.ends_on, k.auto_renew,
        CASE WHEN k.starts_on > $as_of::DATE THEN 'signed'
             WHEN k.ends_on < $as_of::DATE THEN 'ended'
             WHEN k.ends_on <= $as_of::DATE + $renewal_days::INTEGER THEN 'renewal_due'
             ELSE 'running' END AS state,
        CASE WHEN k.starts_on <= $as_of::DATE AND k.ends_on >= $as_of::DATE
             THEN k.ends_on - $as_of::DATE END AS days_left
    FROM service_contracts k
    JOIN account USING (account_id)
    WHERE k.ends_on IS NULL OR k.ends_on >= $as_of::DATE - $history_days::INTEGER
)
SELECT contract_id, kind, annual_value, starts_on, ends_on, auto_renew, state, days_left
FROM contracts
ORDER BY CASE state WHEN 'renewal_due' THEN 1 WHEN 'running' THEN 2 WHEN 'signed' THEN 3
                    ELSE 4 END,
         ends_on NULLS LAST, contract_id;
