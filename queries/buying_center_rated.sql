-- grain: account
-- Every deal open on $as_of at the accounts in view with its buying center rated: roles
-- covered, the gaps and the risk (rated_open_deals in queries/rules/macros.sql has the
-- rules), and the owner's name (the deal's owner, else the account's manager).
-- A role is covered when a contact still with the client was engaged on the deal in the
-- $recent_days days up to $as_of; coverage = covered roles / 7.
-- Gaps: no_decider / no_approver (nobody ever in the role), decider_left / approver_left
-- (everybody in the role has left), doubters (a skeptic or opponent, still with the client,
-- as decider or approver), single_threaded (one person engaged recently holds every
-- covered role), dark (nobody engaged recently).
-- risk: 'high' = a stage in $late_stages without an active decider or approver, an
-- opponent as decider or approver, or every decider gone; 'medium' = single-threaded, dark,
-- fewer than $min_roles_covered roles covered or a skeptic as decider or approver; else
-- 'low'. The other buying-center queries read these rows as their input `rated_deals`
-- (`-- input: rated_deals = buying_center_rated`), so the dashboard rates the deals of the
-- viewer's whole scope once and narrows that to each filter's accounts.
SELECT r.* EXCLUDE (stage_since, people_covering), m.name AS owner_name
FROM rated_open_deals($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                      $kam_stages::VARCHAR[], $as_of::DATE, $recent_days::INTEGER,
                      $late_stages::VARCHAR[], $min_roles_covered::INTEGER, $visible::VARCHAR[],
                      NULL) r
LEFT JOIN managers m ON m.manager_id = r.owner_id
ORDER BY r.account_id, r.deal_id;
