-- Record one decision (a new row; the log is append-only).
INSERT INTO decisions (account_id, suggestion, reasons, attractiveness, tier, suggested_tier,
                       verdict, decided_by, signed_in, decided_at, note, defer_until, owner,
                       due_on, data_release, as_of)
VALUES (%(account_id)s, %(suggestion)s, %(reasons)s, %(attractiveness)s, %(tier)s,
        %(suggested_tier)s, %(verdict)s, %(decided_by)s, %(signed_in)s, %(decided_at)s,
        %(note)s, %(defer_until)s, %(owner)s, %(due_on)s, %(data_release)s, %(as_of)s)
RETURNING id;
