-- One row per region that has accounts the viewer may see ($visible, see scoped_accounts).
SELECT DISTINCT region
FROM scoped_accounts([]::VARCHAR[], []::VARCHAR[], []::VARCHAR[], []::VARCHAR[],
                     $visible::VARCHAR[])
WHERE region IS NOT NULL
ORDER BY region;
