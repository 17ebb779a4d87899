-- Portal schema (PostgreSQL). Same numbering and meaning as migrations/sqlite.
-- Money is BIGINT paise. Times are BIGINT unix milliseconds (UTC).

CREATE TABLE users (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login          TEXT    NOT NULL UNIQUE,
    password_hash  TEXT    NOT NULL,
    role           TEXT    NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    -- maintained in the same transaction as ledger_entries; `portal ledger check` proves it
    available_paise BIGINT NOT NULL DEFAULT 0 CHECK (available_paise >= 0),
    held_paise      BIGINT NOT NULL DEFAULT 0 CHECK (held_paise >= 0),
    created_at     BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash   TEXT    PRIMARY KEY,           -- sha256 of the cookie value; the cookie itself is never stored
    user_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE deposits (
    id                 TEXT    PRIMARY KEY,     -- our custom_transaction_id, written before the provider is called
    user_id            BIGINT NOT NULL REFERENCES users(id),
    amount_paise       BIGINT NOT NULL CHECK (amount_paise > 0),
    method             TEXT    NOT NULL CHECK (method IN ('qr', 'window')),
    status             TEXT    NOT NULL CHECK (status IN ('created', 'pending', 'unknown', 'credited', 'failed', 'expired')),
    order_id           TEXT    UNIQUE,          -- the provider's order id (API mode)
    qr_data            TEXT,
    failure_reason     TEXT,
    credited_paise     BIGINT,
    provider_txn_id    TEXT,
    flags              TEXT    NOT NULL DEFAULT '',
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    expires_at         BIGINT NOT NULL,
    last_check_at      BIGINT
);
CREATE INDEX deposits_user ON deposits(user_id, created_at DESC);
CREATE INDEX deposits_status ON deposits(status, created_at DESC);

-- Every postback as it arrived, with the verdict. Kept even when rejected.
CREATE TABLE postbacks (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at    BIGINT NOT NULL,
    remote_addr    TEXT    NOT NULL DEFAULT '',
    body           TEXT    NOT NULL,
    direction      TEXT    NOT NULL DEFAULT '',
    verdict        TEXT    NOT NULL,
    detail         TEXT    NOT NULL DEFAULT '',
    http_status    BIGINT NOT NULL
);
CREATE INDEX postbacks_received ON postbacks(received_at DESC);

-- One row per provider transaction (the UPI reference). The UNIQUE constraint
-- is what makes crediting idempotent across processes.
CREATE TABLE provider_payments (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transaction_id   TEXT    NOT NULL UNIQUE,
    postback_id      BIGINT NOT NULL REFERENCES postbacks(id),
    deposit_id       TEXT    REFERENCES deposits(id),
    user_id          BIGINT REFERENCES users(id),
    amount_paise     BIGINT NOT NULL,
    order_ref        TEXT    NOT NULL DEFAULT '',   -- plugin_custom_order_id as signed
    label            TEXT    NOT NULL DEFAULT '',   -- label as sent (unsigned)
    status           TEXT    NOT NULL CHECK (status IN ('credited', 'suspense', 'assigned')),
    flags            TEXT    NOT NULL DEFAULT '',
    created_at       BIGINT NOT NULL,
    resolved_at      BIGINT,
    resolved_by      BIGINT REFERENCES users(id)
);

-- Immutable entries. Each user has two buckets: 'available' and 'held'.
CREATE TABLE ledger_entries (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id        BIGINT NOT NULL REFERENCES users(id),
    bucket         TEXT    NOT NULL CHECK (bucket IN ('available', 'held')),
    amount_paise   BIGINT NOT NULL CHECK (amount_paise <> 0),
    kind           TEXT    NOT NULL CHECK (kind IN ('deposit_credit', 'withdrawal_hold', 'hold_release', 'withdrawal_payout', 'adjustment')),
    reference      TEXT    NOT NULL,             -- what caused it: payment:<txn>, withdrawal:<id>, adjustment:<id>
    memo           TEXT    NOT NULL DEFAULT '',
    created_at     BIGINT NOT NULL,
    UNIQUE (kind, bucket, reference)
);
CREATE INDEX ledger_user ON ledger_entries(user_id, id DESC);

CREATE TABLE withdrawals (
    id               TEXT    PRIMARY KEY,
    user_id          BIGINT NOT NULL REFERENCES users(id),
    amount_paise     BIGINT NOT NULL CHECK (amount_paise > 0),
    account_number   TEXT    NOT NULL,
    account_name     TEXT    NOT NULL,
    ifsc             TEXT    NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('requested', 'submitted', 'paid', 'rejected', 'failed')),
    provider_status  TEXT    NOT NULL DEFAULT '',
    failure_reason   TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX withdrawals_user ON withdrawals(user_id, created_at DESC);

CREATE TABLE holds (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id        BIGINT NOT NULL REFERENCES users(id),
    withdrawal_id  TEXT    NOT NULL UNIQUE REFERENCES withdrawals(id),
    amount_paise   BIGINT NOT NULL CHECK (amount_paise > 0),
    status         TEXT    NOT NULL CHECK (status IN ('active', 'released', 'captured')),
    created_at     BIGINT NOT NULL,
    resolved_at    BIGINT
);

CREATE TABLE admin_actions (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    admin_id     BIGINT NOT NULL REFERENCES users(id),
    action       TEXT    NOT NULL,
    target       TEXT    NOT NULL,
    detail       TEXT    NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL
);
