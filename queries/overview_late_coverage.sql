-- One row per number of buying-center roles covered (0 to 7) among the late-stage deals
-- (demonstrating_capability, obtaining_commitment) open on $as_of for the filtered
-- accounts: how many deals, their value, and how many of them (and what value) have no
-- decider or approver met through a contact who is still at the client. A role is
-- covered by an active contact engaged within $recent_days days before $as_of.
WITH late_deals AS (
    SELECT d.deal_id, d.value::DOUBLE AS value
    FROM deals_as_of($as_of::DATE) d
    WHERE d.stage_on IN ('demonstrating_capability', 'obtaining_commitment')
      AND d.account_id IN (
          SELECT account_id
          FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[],
                               $tiers::VARCHAR[], $kam_stages::VARCHAR[], $visible::VARCHAR[]))
),
members AS (
    SELECT dc.deal_id,
           count(DISTINCT dc.role) FILTER (
               WHERE dc.last_contact_on <= $as_of::DATE
                 AND dc.last_contact_on >= $as_of::DATE - to_days($recent_days::INTEGER))
               AS roles_covered,
           bool_or(dc.role IN ('decider', 'approver')) AS top_met
    FROM deal_contacts dc JOIN contacts c USING (contact_id)
    WHERE (c.left_on IS NULL OR c.left_on > $as_of::DATE)
      AND dc.deal_id IN (SELECT deal_id FROM late_deals)
    GROUP BY dc.deal_id
),
per_deal AS (
    SELECT l.deal_id, l.value, coalesce(m.roles_covered, 0) AS roles_covered,
           coalesce(m.top_met, false) AS top_met
    FROM late_deals l LEFT JOIN members m USING (deal_id)
)
SELECT
    r.roles_covered,
    count(p.deal_id) AS deals,
    coalesce(sum(p.value), 0) AS value,
    count(p.deal_id) FILTER (WHERE NOT p.top_met) AS without_top,
    coalesce(sum(p.value) FILTER (WHERE NOT p.top_met), 0) AS without_top_value
FROM range(0, 8) AS r(roles_covered)
LEFT JOIN per_deal p ON p.roles_covered = r.roles_covered
GROUP BY r.roles_covered
ORDER BY r.roles_covered;
