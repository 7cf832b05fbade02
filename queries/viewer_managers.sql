-- One row per manager with an e-mail address: who a signed-in person can be matched to
-- (by e-mail, case-insensitive), and whether they are at the top of the hierarchy.
SELECT manager_id, name, lower(trim(email)) AS email, reports_to IS NULL AS is_top
FROM managers
WHERE email IS NOT NULL AND trim(email) <> ''
ORDER BY manager_id;
