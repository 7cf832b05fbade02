-- One row per manager: id, name, region, whom they report to, how many managers sit
-- below them (their team) and how many accounts they manage themselves.
WITH RECURSIVE below(manager_id, member_id) AS (
    SELECT manager_id, manager_id FROM managers
    UNION
    SELECT b.manager_id, m.manager_id
    FROM below b JOIN managers m ON m.reports_to = b.member_id
)
SELECT
    m.manager_id,
    m.name,
    m.region,
    m.reports_to,
    (SELECT count(*) - 1 FROM below b WHERE b.manager_id = m.manager_id) AS team_size,
    (SELECT count(*) FROM accounts a WHERE a.manager_id = m.manager_id) AS own_accounts
FROM managers m
ORDER BY team_size DESC, m.name;
