-- One row per deal open on $as_of for the filtered accounts: how many of the seven
-- buying-center roles are covered (an active contact engaged within $recent_days days
-- before $as_of), whether a decider and an approver were ever met through a contact who
-- is still there, and how many distinct people hold the covered roles.
WITH scoped AS (
    SELECT account_id, name AS account_name
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[], $visible::VARCHAR[])
),
open_deals AS (
    SELECT o.deal_id, d.name AS deal_name, o.account_id, s.account_name, o.value,
           o.stage_on AS stage
    FROM open_deals_on($as_of::DATE) o
    JOIN scoped s USING (account_id)
    JOIN deals d USING (deal_id)
),
members AS (
    SELECT dc.deal_id, dc.contact_id, dc.role,
           (c.left_on IS NULL OR c.left_on > $as_of::DATE) AS active,
           dc.last_contact_on >= $as_of::DATE - to_days($recent_days::INTEGER)
               AND dc.last_contact_on <= $as_of::DATE AS recent
    FROM deal_contacts dc JOIN contacts c USING (contact_id)
)
SELECT
    o.deal_id, o.deal_name, o.account_id, o.account_name, o.stage, o.value::DOUBLE AS value,
    count(DISTINCT m.role) FILTER (WHERE m.active AND m.recent) AS roles_covered,
    count(DISTINCT m.role) FILTER (WHERE m.active AND m.recent) / 7 AS coverage,
    coalesce(bool_or(m.role = 'decider' AND m.active), false) AS decider_met,
    coalesce(bool_or(m.role = 'approver' AND m.active), false) AS approver_met,
    count(DISTINCT m.contact_id) FILTER (WHERE m.active AND m.recent) AS people_covering
FROM open_deals o
LEFT JOIN members m USING (deal_id)
GROUP BY o.deal_id, o.deal_name, o.account_id, o.account_name, o.stage, o.value
ORDER BY o.value DESC, o.deal_id;
