-- One row per region that has accounts.
SELECT DISTINCT region FROM accounts WHERE region IS NOT NULL ORDER BY region;
