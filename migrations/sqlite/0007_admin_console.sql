-- Admin console (issue 9). Same numbering and meaning as migrations/postgres.
-- The audit trail keeps the state before and after each admin action (JSON
-- text, '' when there is none); notes on a deposit are audit entries too.
ALTER TABLE admin_actions ADD COLUMN before_state TEXT NOT NULL DEFAULT '';
ALTER TABLE admin_actions ADD COLUMN after_state TEXT NOT NULL DEFAULT '';
CREATE INDEX admin_actions_target ON admin_actions(target, id);
CREATE INDEX admin_actions_created ON admin_actions(created_at);

-- What happened to a deposit, in order: created, the provider's answer, each
-- status check, credit, expiry. Written beside the state change it describes.
CREATE TABLE deposit_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    deposit_id  TEXT    NOT NULL REFERENCES deposits(id),
    at          INTEGER NOT NULL,
    kind        TEXT    NOT NULL,       -- created | provider_answer | status_check | postback | failed | expired | flagged
    detail      TEXT    NOT NULL DEFAULT '',
    postback_id INTEGER REFERENCES postbacks(id)   -- for kind 'postback': which one
);
CREATE INDEX deposit_events_deposit ON deposit_events(deposit_id, id);

-- The transactions list: newest first by (created_at, id), keyset paginated.
CREATE INDEX deposits_created_id ON deposits(created_at DESC, id DESC);
CREATE INDEX deposits_user_created ON deposits(user_id, created_at DESC, id DESC);
CREATE INDEX withdrawals_created_id ON withdrawals(created_at DESC, id DESC);
CREATE INDEX postbacks_verdict ON postbacks(verdict, id DESC);
CREATE INDEX provider_payments_deposit ON provider_payments(deposit_id);
CREATE INDEX ledger_reference ON ledger_entries(reference);
CREATE INDEX deposits_provider_txn ON deposits(provider_txn_id);
CREATE INDEX provider_payments_created ON provider_payments(created_at DESC, transaction_id DESC);
-- the dashboard's "flagged" count reads only flagged rows
CREATE INDEX deposits_flagged ON deposits(flagged_at) WHERE flag <> '';
