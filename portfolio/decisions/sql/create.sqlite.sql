-- The decision log (SQLite): one row per decision, appended, never changed or removed.
-- A changed mind is a new row; the triggers refuse any change to a recorded one.
CREATE TABLE IF NOT EXISTS decisions (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id     TEXT NOT NULL,
    suggestion     TEXT NOT NULL,
    reasons        TEXT NOT NULL,
    attractiveness REAL,
    tier           TEXT,
    suggested_tier TEXT,
    verdict        TEXT NOT NULL CHECK (verdict IN ('accept', 'reject', 'defer')),
    decided_by     TEXT NOT NULL,
    signed_in      INTEGER NOT NULL CHECK (signed_in IN (0, 1)),
    decided_at     TEXT NOT NULL,
    note           TEXT,
    defer_until    TEXT,
    owner          TEXT,
    due_on         TEXT,
    data_release   TEXT NOT NULL,
    as_of          TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_by_account ON decisions (account_id, id);
CREATE TRIGGER IF NOT EXISTS decisions_never_changed BEFORE UPDATE ON decisions
BEGIN SELECT RAISE(ABORT, 'the decision log is append-only: record a new decision'); END;
CREATE TRIGGER IF NOT EXISTS decisions_never_removed BEFORE DELETE ON decisions
BEGIN SELECT RAISE(ABORT, 'the decision log is append-only: record a new decision'); END;
