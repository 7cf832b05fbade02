-- The accounts within the filters and the viewer's scope: what narrows a per-account
-- result (queries marked `-- grain: account`) computed for the whole scope.
SELECT account_id
FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                     $kam_stages::VARCHAR[], $visible::VARCHAR[])
ORDER BY account_id;
