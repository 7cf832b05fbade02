-- The decision log (PostgreSQL): one row per decision, appended, never changed or removed.
-- A changed mind is a new row; the trigger refuses any change to a recorded one.
CREATE TABLE IF NOT EXISTS decisions (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id     TEXT NOT NULL,
    suggestion     TEXT NOT NULL,
    reasons        TEXT NOT NULL,
    attractiveness DOUBLE PRECISION,
    tier           TEXT,
    suggested_tier TEXT,
    verdict        TEXT NOT NULL CHECK (verdict IN ('accept', 'reject', 'defer')),
    decided_by     TEXT NOT NULL,
    signed_in      BOOLEAN NOT NULL,
    decided_at     TIMESTAMPTZ NOT NULL,
    note           TEXT,
    defer_until    DATE,
    owner          TEXT,
    due_on         DATE,
    data_release   TEXT NOT NULL,
    as_of          DATE NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_by_account ON decisions (account_id, id);
CREATE OR REPLACE FUNCTION decisions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the decision log is append-only: record a new decision';
END $$;
CREATE OR REPLACE TRIGGER decisions_never_changed BEFORE UPDATE OR DELETE ON decisions
FOR EACH STATEMENT EXECUTE FUNCTION decisions_append_only();
