-- IMPS withdrawals (issue 10). Same numbering and meaning as migrations/postgres.
-- A withdrawal: requested (hold placed, provider not yet answered) ->
-- submitted (the provider took it) | unknown (no answer: timeout) ->
-- paid | rejected (by the provider) | failed (never reached it) | cancelled (by an admin).
-- SQLite cannot alter a CHECK constraint: the table is rebuilt under its own
-- name. `holds` references it: its rows dangle between the DROP and the
-- INSERT, and the foreign-key check waits for the commit, by which time every
-- parent row is back (an insert into the parent settles the deferred check).
PRAGMA defer_foreign_keys = ON;
CREATE TABLE withdrawals_before_0009 AS SELECT * FROM withdrawals;
DROP TABLE withdrawals;
CREATE TABLE withdrawals (
    id               TEXT    PRIMARY KEY,
    user_id          INTEGER NOT NULL REFERENCES users(id),
    amount_paise     INTEGER NOT NULL CHECK (amount_paise > 0),
    account_number   TEXT    NOT NULL,
    account_name     TEXT    NOT NULL,
    ifsc             TEXT    NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('requested', 'submitted', 'unknown', 'paid', 'rejected', 'failed', 'cancelled')),
    provider_status  TEXT    NOT NULL DEFAULT '',
    failure_reason   TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    -- the confirmation form's one-time key: the same form sent twice is one withdrawal
    request_key      TEXT,
    -- unsigned or late disagreements an admin should see (paid_after_cancelled, ...)
    flags            TEXT    NOT NULL DEFAULT '',
    resolved_at      INTEGER,
    -- when the provider is asked again (same withdrawal_id) for a request it never answered
    next_submit_at   INTEGER
);
INSERT INTO withdrawals (id, user_id, amount_paise, account_number, account_name, ifsc, status, provider_status, failure_reason, created_at, updated_at)
    SELECT id, user_id, amount_paise, account_number, account_name, ifsc, status, provider_status, failure_reason, created_at, updated_at
    FROM withdrawals_before_0009;
DROP TABLE withdrawals_before_0009;
CREATE INDEX withdrawals_user ON withdrawals(user_id, created_at DESC);
CREATE INDEX withdrawals_created_id ON withdrawals(created_at DESC, id DESC);
CREATE UNIQUE INDEX withdrawals_request_key ON withdrawals(user_id, request_key);
CREATE INDEX withdrawals_open ON withdrawals(status, next_submit_at);

-- A hold resolves at most once: one release or one payout per withdrawal,
-- never both (TigerBeetle's pending transfer), whatever races.
CREATE UNIQUE INDEX ledger_hold_resolves_once ON ledger_entries(reference)
    WHERE bucket = 'held' AND kind IN ('hold_release', 'withdrawal_payout');

-- What happened to a withdrawal, in order, written beside each state change.
CREATE TABLE withdrawal_events (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    withdrawal_id  TEXT    NOT NULL REFERENCES withdrawals(id),
    at             INTEGER NOT NULL,
    kind           TEXT    NOT NULL,   -- requested | provider_answer | postback | resubmitted | cancelled | flagged
    detail         TEXT    NOT NULL DEFAULT '',
    postback_id    INTEGER REFERENCES postbacks(id)
);
CREATE INDEX withdrawal_events_withdrawal ON withdrawal_events(withdrawal_id, id);
