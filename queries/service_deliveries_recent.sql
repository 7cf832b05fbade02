-- grain: account
-- One row per delivery of the accounts in view promised in the $history_days days up to
-- $as_of, or delivered in the $setup_days days up to $as_of: the delivery as stored. The
-- service queries read these rows as their input `recent_deliveries` and apply their own
-- rules to them, so the dashboard reads the deliveries once per scope.
SELECT delivery_id, account_id, deal_id, promised_on, delivered_on, quality_issue,
       invoice_issue
FROM deliveries
WHERE account_id IN (
        SELECT account_id
        FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                             $kam_stages::VARCHAR[], $visible::VARCHAR[]))
  AND ((promised_on <= $as_of::DATE AND promised_on > $as_of::DATE - $history_days::INTEGER)
       OR (delivered_on <= $as_of::DATE
           AND delivered_on > $as_of::DATE - $setup_days::INTEGER))
ORDER BY account_id, delivery_id;
