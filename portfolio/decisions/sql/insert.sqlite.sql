-- Record one decision (a new row; the log is append-only).
INSERT INTO decisions (account_id, suggestion, reasons, attractiveness, tier, suggested_tier,
                       verdict, decided_by, signed_in, decided_at, note, defer_until, owner,
                       due_on, data_release, as_of)
VALUES (:account_id, :suggestion, :reasons, :attractiveness, :tier, :suggested_tier,
        :verdict, :decided_by, :signed_in, :decided_at, :note, :defer_until, :owner,
        :due_on, :data_release, :as_of)
RETURNING id;
