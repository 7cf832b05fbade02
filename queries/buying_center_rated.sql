-- grain: account
-- Every deal open on $as_of at the accounts in view with its buying center rated: roles
-- covered, the gaps and the risk (rated_open_deals in queries/ddl/schema.sql has the
-- rules). The other buying-center queries read these rows as their input `rated_deals`
-- (`-- input: rated_deals = buying_center_rated`), so the dashboard rates the deals of the
-- viewer's whole scope once and narrows that to each filter's accounts.
SELECT *
FROM rated_open_deals($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                      $kam_stages::VARCHAR[], $as_of::DATE, $recent_days::INTEGER,
                      $late_stages::VARCHAR[], $min_roles_covered::INTEGER, $visible::VARCHAR[])
ORDER BY account_id, deal_id;
