-- One row per account within the filters: id and name, for choosing an account.
SELECT account_id, name, tier
FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                     $kam_stages::VARCHAR[], $visible::VARCHAR[])
ORDER BY CASE tier WHEN 'strategic' THEN 1 WHEN 'key' THEN 2 ELSE 3 END, name;
