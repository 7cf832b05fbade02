-- grain: account
-- One row per account in view and number of buying-center roles covered (0 to 7) among
-- its deals in a late stage ($late_stages, settings.toml) open on $as_of,
-- for the numbers that occur (portfolio/overview.py adds the accounts up, 0 to 7): how
-- many deals, their value, and how many of them (and what value) lack an active
-- decider or an active approver (a contact in the role still at the client). A role is
-- covered by an active contact engaged within $recent_days days before $as_of.
WITH late_deals AS (
    SELECT d.deal_no, d.account_id, d.value::DOUBLE AS value
    FROM open_deals_on($as_of::DATE) d
    WHERE list_contains($late_stages::VARCHAR[], d.stage_on)
      AND d.account_id IN (
          SELECT account_id
          FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[],
                               $tiers::VARCHAR[], $kam_stages::VARCHAR[], $visible::VARCHAR[]))
),
members AS (
    -- roles covered: the distinct role_order values, counted as bits
    SELECT m.deal_no,
           bit_count(bit_or(1::INTEGER << m.role_order) FILTER (
               WHERE m.last_contact_on <= $as_of::DATE
                 AND m.last_contact_on >= $as_of::DATE - to_days($recent_days::INTEGER)))::BIGINT
               AS roles_covered,
           -- covered at the top: an active decider and an active approver
           bool_or(m.role_order = 6) AND bool_or(m.role_order = 7) AS top_met
    FROM deal_members m
    WHERE (m.left_on IS NULL OR m.left_on > $as_of::DATE)
      AND (m.last_contact_on IS NULL OR m.last_contact_on <= $as_of::DATE)
      AND m.deal_no IN (SELECT deal_no FROM late_deals)
    GROUP BY m.deal_no
),
per_deal AS (
    SELECT l.deal_no, l.account_id, l.value, coalesce(m.roles_covered, 0) AS roles_covered,
           coalesce(m.top_met, false) AS top_met
    FROM late_deals l LEFT JOIN members m USING (deal_no)
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
