-- grain: one account
-- One row for account $account_id if it is within the filtered accounts: its name,
-- tier, relationship stage, region, country, industry, manager and key-account date.
SELECT a.account_id, a.name, a.tier, a.kam_stage, a.region, a.country, a.industry,
       a.key_since, m.name AS manager_name, p.name AS parent_name
FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                     $kam_stages::VARCHAR[], $visible::VARCHAR[]) a
LEFT JOIN managers m USING (manager_id)
LEFT JOIN accounts p ON p.account_id = a.parent_account_id
WHERE a.account_id = $account_id::VARCHAR;
