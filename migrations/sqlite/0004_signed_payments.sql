-- Signed-field authority (issue: money safety). Every signed item claims its
-- transaction_id here, whatever its kind, so a withdrawal result can never be
-- replayed as a deposit payment. SQLite cannot alter a CHECK constraint: the
-- table is rebuilt (nothing references it).

CREATE TABLE provider_payments_new (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    transaction_id   TEXT    NOT NULL UNIQUE,
    postback_id      INTEGER NOT NULL REFERENCES postbacks(id),
    -- what the signed item is: a deposit payment, a withdrawal result, or not decidable
    kind             TEXT    NOT NULL DEFAULT 'payment' CHECK (kind IN ('payment', 'withdrawal', 'unknown')),
    deposit_id       TEXT    REFERENCES deposits(id),
    user_id          INTEGER REFERENCES users(id),
    amount_paise     INTEGER NOT NULL,
    currency         TEXT    NOT NULL DEFAULT 'INR',  -- as signed
    order_ref        TEXT    NOT NULL DEFAULT '',     -- plugin_custom_order_id as signed
    label            TEXT    NOT NULL DEFAULT '',     -- label as sent (unsigned): a hint, never obeyed
    status           TEXT    NOT NULL CHECK (status IN ('credited', 'suspense', 'assigned', 'withdrawal')),
    reason           TEXT    NOT NULL DEFAULT '',     -- why it is in suspense
    flags            TEXT    NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    resolved_at      INTEGER,
    resolved_by      INTEGER REFERENCES users(id)
);
INSERT INTO provider_payments_new (id, transaction_id, postback_id, deposit_id, user_id, amount_paise, order_ref, label, status, flags, created_at, resolved_at, resolved_by)
    SELECT id, transaction_id, postback_id, deposit_id, user_id, amount_paise, order_ref, label, status, flags, created_at, resolved_at, resolved_by
    FROM provider_payments;
DROP TABLE provider_payments;
ALTER TABLE provider_payments_new RENAME TO provider_payments;
CREATE INDEX provider_payments_status ON provider_payments(status, created_at DESC);
