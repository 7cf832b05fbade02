-- grain: account
-- One row per account in view and number of buying-center roles covered (0 to 7) among
-- its late-stage deals (demonstrating_capability, obtaining_commitment) open on $as_of,
-- for the numbers that occur (portfolio/overview.py adds the accounts up, 0 to 7): how
-- many deals, their value, and how many of them (and what value) have no
-- decider or approver met through a contact who is still at the client. A role is
-- covered by an active contact engaged within $recent_days days before $as_of.
WITH late_deals AS (
    SELECT d.deal_id, d.account_id, d.value::DOUBLE AS value
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
    SELECT l.deal_id, l.account_id, l.value, coalesce(m.roles_covered, 0) AS roles_covered,
           coalesce(m.top_met, false) AS top_met
    FROM late_deals l LEFT JOIN members m USING (deal_id)
)
SELECT
    account_id,
    roles_covered,
    count(*) AS deals,
    coalesce(sum(value), 0) AS value,
    count(*) FILTER (WHERE NOT top_met) AS without_top,
    coalesce(sum(value) FILTER (WHERE NOT top_met), 0) AS without_top_value
FROM per_deal
GROUP BY account_id, roles_covered
ORDER BY account_id, roles_covered;
