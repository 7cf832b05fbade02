-- grain: account
-- One row per filtered account with a delivery delivered, or an installation or training
-- case opened, in the $setup_days days up to $as_of: deliveries delivered in that time and
-- the last one, and its installation and training cases of that time (cancelled ones
-- excluded) by state on $as_of: done (closed by $as_of), pending (open, not yet due) or
-- overdue (open past its due date). portfolio/service_totals.py (setup_accounts) puts those
-- with overdue cases first, then pending, cuts the list and counts them all.
WITH scoped AS (
    SELECT a.account_id, a.name AS account_name, m.name AS manager_name
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[], $visible::VARCHAR[]) a
    LEFT JOIN managers m USING (manager_id)
),
delivered AS (
    SELECT account_id, count(*) AS deliveries, max(delivered_on) AS last_delivered_on
    FROM deliveries
    WHERE delivered_on <= $as_of::DATE
      AND delivered_on > $as_of::DATE - $setup_days::INTEGER
      AND account_id IN (SELECT account_id FROM scoped)
    GROUP BY account_id
),
setup_cases AS (
    SELECT
        account_id, kind,
        CASE WHEN closed_on <= $as_of::DATE THEN 'done'
             WHEN due_on < $as_of::DATE THEN 'overdue'
             ELSE 'pending' END AS state
    FROM service_cases
    WHERE kind IN ('installation', 'training')
      AND opened_on <= $as_of::DATE
      AND opened_on > $as_of::DATE - $setup_days::INTEGER
      AND status <> 'cancelled'
      AND account_id IN (SELECT account_id FROM scoped)
),
setup AS (
    SELECT
        account_id,
        count(*) FILTER (WHERE kind = 'installation' AND state = 'done') AS installations_done,
        count(*) FILTER (WHERE kind = 'installation' AND state = 'pending')
            AS installations_pending,
        count(*) FILTER (WHERE kind = 'installation' AND state = 'overdue')
            AS installations_overdue,
        count(*) FILTER (WHERE kind = 'training' AND state = 'done') AS trainings_done,
        count(*) FILTER (WHERE kind = 'training' AND state = 'pending') AS trainings_pending,
        count(*) FILTER (WHERE kind = 'training' AND state = 'overdue') AS trainings_overdue
    FROM setup_cases
    GROUP BY account_id
),
joined AS (
    SELECT
        s.account_id, s.account_name, s.manager_name,
        coalesce(d.deliveries, 0) AS deliveries, d.last_delivered_on,
        coalesce(u.installations_done, 0) AS installations_done,
        coalesce(u.installations_pending, 0) AS installations_pending,
        coalesce(u.installations_overdue, 0) AS installations_overdue,
        coalesce(u.trainings_done, 0) AS trainings_done,
        coalesce(u.trainings_pending, 0) AS trainings_pending,
        coalesce(u.trainings_overdue, 0) AS trainings_overdue
    FROM scoped s
    LEFT JOIN delivered d USING (account_id)
    LEFT JOIN setup u USING (account_id)
    WHERE d.account_id IS NOT NULL OR u.account_id IS NOT NULL
)
SELECT *
FROM joined
ORDER BY account_id;
