-- One row per relationship event of account $account_id up to $as_of, newest first.
SELECT occurred_on, kind, severity, note
FROM relationship_events
WHERE account_id = $account_id::VARCHAR AND occurred_on <= $as_of::DATE
  AND account_id IN (SELECT account_id
                     FROM scoped_accounts([]::VARCHAR[], []::VARCHAR[], []::VARCHAR[],
                                          []::VARCHAR[], $visible::VARCHAR[]))
ORDER BY occurred_on DESC, event_id;
