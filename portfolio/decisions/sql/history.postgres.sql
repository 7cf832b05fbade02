-- The decisions recorded, newest first; one account's when an account is given.
SELECT id, account_id, suggestion, reasons, attractiveness, tier, suggested_tier, verdict,
       decided_by, signed_in, decided_at, note, defer_until, owner, due_on, data_release, as_of
FROM decisions
WHERE %(account_id)s::TEXT IS NULL OR account_id = %(account_id)s::TEXT
ORDER BY id DESC;
