-- grain: account
-- One row per service case of the accounts in view that was opened by $as_of and either
-- opened within the longest look-back of the service queries (the $history_days or
-- $setup_days days up to $as_of, or since the first day of the eleventh month before the
-- month of $as_of) or not closed by $as_of: the case as stored. The service queries read
-- these rows as their input `recent_cases` and apply their own rules to them, so the
-- dashboard reads the service cases once per scope instead of once per chart.
SELECT case_id, account_id, kind, severity, status, opened_on, due_on, closed_on,
       client_informed_on
FROM service_cases
WHERE account_id IN (
        SELECT account_id
        FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                             $kam_stages::VARCHAR[], $visible::VARCHAR[]))
  AND opened_on <= $as_of::DATE
  AND (opened_on > least($as_of::DATE - $history_days::INTEGER,
                         $as_of::DATE - $setup_days::INTEGER,
                         (date_trunc('month', $as_of::DATE) - INTERVAL 11 MONTH)::DATE - 1)
       OR closed_on IS NULL OR closed_on > $as_of::DATE)
ORDER BY account_id, case_id;
