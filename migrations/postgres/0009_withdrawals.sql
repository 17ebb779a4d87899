-- IMPS withdrawals (issue 10). Same numbering and meaning as migrations/sqlite.
-- A withdrawal: requested (hold placed, provider not yet answered) ->
-- submitted (the provider took it) | unknown (no answer: timeout) ->
-- paid | rejected (by the provider) | failed (never reached it) | cancelled (by an admin).
ALTER TABLE withdrawals DROP CONSTRAINT IF EXISTS withdrawals_status_check;
ALTER TABLE withdrawals ADD CONSTRAINT withdrawals_status_check
    CHECK (status IN ('requested', 'submitted', 'unknown', 'paid', 'rejected', 'failed', 'cancelled'));
-- the confirmation form's one-time key: the same form sent twice is one withdrawal
ALTER TABLE withdrawals ADD COLUMN request_key TEXT;
-- unsigned or late disagreements an admin should see (paid_after_release, ...)
ALTER TABLE withdrawals ADD COLUMN flags TEXT NOT NULL DEFAULT '';
ALTER TABLE withdrawals ADD COLUMN resolved_at BIGINT;
-- when the provider is asked again (same withdrawal_id) for a request it never answered
ALTER TABLE withdrawals ADD COLUMN next_submit_at BIGINT;
CREATE UNIQUE INDEX withdrawals_request_key ON withdrawals(user_id, request_key);
CREATE INDEX withdrawals_open ON withdrawals(status, next_submit_at);

-- A hold resolves at most once: one release or one payout per withdrawal,
-- never both (TigerBeetle's pending transfer), whatever races.
CREATE UNIQUE INDEX ledger_hold_resolves_once ON ledger_entries(reference)
    WHERE bucket = 'held' AND kind IN ('hold_release', 'withdrawal_payout');

-- What happened to a withdrawal, in order, written beside each state change.
CREATE TABLE withdrawal_events (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    withdrawal_id  TEXT    NOT NULL REFERENCES withdrawals(id),
    at             BIGINT  NOT NULL,
    kind           TEXT    NOT NULL,   -- requested | provider_answer | postback | resubmitted | cancelled | flagged
    detail         TEXT    NOT NULL DEFAULT '',
    postback_id    BIGINT  REFERENCES postbacks(id)
);
CREATE INDEX withdrawal_events_withdrawal ON withdrawal_events(withdrawal_id, id);
