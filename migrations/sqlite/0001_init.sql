-- Portal schema (SQLite). Same numbering and meaning as migrations/postgres.
-- Money is INTEGER paise. Times are INTEGER unix milliseconds (UTC).

CREATE TABLE users (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    login          TEXT    NOT NULL UNIQUE,
    password_hash  TEXT    NOT NULL,
    role           TEXT    NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    -- maintained in the same transaction as ledger_entries; `portal ledger check` proves it
    available_paise INTEGER NOT NULL DEFAULT 0 CHECK (available_paise >= 0),
    held_paise      INTEGER NOT NULL DEFAULT 0 CHECK (held_paise >= 0),
    created_at     INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash   TEXT    PRIMARY KEY,           -- sha256 of the cookie value; the cookie itself is never stored
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE deposits (
    id                 TEXT    PRIMARY KEY,     -- our custom_transaction_id, written before the provider is called
    user_id            INTEGER NOT NULL REFERENCES users(id),
    amount_paise       INTEGER NOT NULL CHECK (amount_paise > 0),
    method             TEXT    NOT NULL CHECK (method IN ('qr', 'window')),
    status             TEXT    NOT NULL CHECK (status IN ('created', 'pending', 'unknown', 'credited', 'failed', 'expired')),
    order_id           TEXT    UNIQUE,          -- the provider's order id (API mode)
    qr_data            TEXT,
    failure_reason     TEXT,
    credited_paise     INTEGER,
    provider_txn_id    TEXT,
    flags              TEXT    NOT NULL DEFAULT '',
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    expires_at         INTEGER NOT NULL,
    last_check_at      INTEGER
);
CREATE INDEX deposits_user ON deposits(user_id, created_at DESC);
CREATE INDEX deposits_status ON deposits(status, created_at DESC);

-- Every postback as it arrived, with the verdict. Kept even when rejected.
CREATE TABLE postbacks (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at    INTEGER NOT NULL,
    remote_addr    TEXT    NOT NULL DEFAULT '',
    body           TEXT    NOT NULL,
    direction      TEXT    NOT NULL DEFAULT '',
    verdict        TEXT    NOT NULL,
    detail         TEXT    NOT NULL DEFAULT '',
    http_status    INTEGER NOT NULL
);
CREATE INDEX postbacks_received ON postbacks(received_at DESC);

-- One row per provider transaction (the UPI reference). The UNIQUE constraint
-- is what makes crediting idempotent across processes.
CREATE TABLE provider_payments (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    transaction_id   TEXT    NOT NULL UNIQUE,
    postback_id      INTEGER NOT NULL REFERENCES postbacks(id),
    deposit_id       TEXT    REFERENCES deposits(id),
    user_id          INTEGER REFERENCES users(id),
    amount_paise     INTEGER NOT NULL,
    order_ref        TEXT    NOT NULL DEFAULT '',   -- plugin_custom_order_id as signed
    label            TEXT    NOT NULL DEFAULT '',   -- label as sent (unsigned)
    status           TEXT    NOT NULL CHECK (status IN ('credited', 'suspense', 'assigned')),
    flags            TEXT    NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    resolved_at      INTEGER,
    resolved_by      INTEGER REFERENCES users(id)
);

-- Immutable entries. Each user has two buckets: 'available' and 'held'.
CREATE TABLE ledger_entries (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id        INTEGER NOT NULL REFERENCES users(id),
    bucket         TEXT    NOT NULL CHECK (bucket IN ('available', 'held')),
    amount_paise   INTEGER NOT NULL CHECK (amount_paise <> 0),
    kind           TEXT    NOT NULL CHECK (kind IN ('deposit_credit', 'withdrawal_hold', 'hold_release', 'withdrawal_payout', 'adjustment')),
    reference      TEXT    NOT NULL,             -- what caused it: payment:<txn>, withdrawal:<id>, adjustment:<id>
    memo           TEXT    NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    UNIQUE (kind, bucket, reference)
);
CREATE INDEX ledger_user ON ledger_entries(user_id, id DESC);

CREATE TABLE withdrawals (
    id               TEXT    PRIMARY KEY,
    user_id          INTEGER NOT NULL REFERENCES users(id),
    amount_paise     INTEGER NOT NULL CHECK (amount_paise > 0),
    account_number   TEXT    NOT NULL,
    account_name     TEXT    NOT NULL,
    ifsc             TEXT    NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('requested', 'submitted', 'paid', 'rejected', 'failed')),
    provider_status  TEXT    NOT NULL DEFAULT '',
    failure_reason   TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX withdrawals_user ON withdrawals(user_id, created_at DESC);

CREATE TABLE holds (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id        INTEGER NOT NULL REFERENCES users(id),
    withdrawal_id  TEXT    NOT NULL UNIQUE REFERENCES withdrawals(id),
    amount_paise   INTEGER NOT NULL CHECK (amount_paise > 0),
    status         TEXT    NOT NULL CHECK (status IN ('active', 'released', 'captured')),
    created_at     INTEGER NOT NULL,
    resolved_at    INTEGER
);

CREATE TABLE admin_actions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    admin_id     INTEGER NOT NULL REFERENCES users(id),
    action       TEXT    NOT NULL,
    target       TEXT    NOT NULL,
    detail       TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL
);
