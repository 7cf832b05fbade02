-- One row per manager: id, name, region, whom they report to, how many managers sit
-- below them (their team) and how many accounts they manage themselves. Only the managers
-- the viewer may see ($visible: NULL for all, else these managers and their teams).
WITH RECURSIVE below(manager_id, member_id) AS (
    SELECT manager_id, manager_id FROM managers
    UNION
    SELECT b.manager_id, m.manager_id
    FROM below b JOIN managers m ON m.reports_to = b.member_id
),
allowed AS (
    SELECT DISTINCT member_id AS manager_id
    FROM below
    WHERE list_contains($visible::VARCHAR[], manager_id)
)
SELECT
    m.manager_id,
    m.name,
    m.region,
    m.reports_to,
    (SELECT count(*) - 1 FROM below b WHERE b.manager_id = m.manager_id) AS team_size,
    (SELECT count(*) FROM accounts a WHERE a.manager_id = m.manager_id) AS own_accounts
FROM managers m
WHERE $visible::VARCHAR[] IS NULL OR m.manager_id IN (SELECT manager_id FROM allowed)
ORDER BY team_size DESC, m.name;
