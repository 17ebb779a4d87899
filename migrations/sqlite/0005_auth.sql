-- Accounts under attack (issue 7, part 3). Same numbering and meaning as
-- migrations/postgres. Times are INTEGER unix milliseconds (UTC).

-- Failed sign-ins (per login and per client address) and sign-ups (per
-- address), counted in a sliding window. In the database, so every portal
-- process sharing it sees the same counts. Old rows are purged in the background.
CREATE TABLE auth_attempts (
    id    INTEGER PRIMARY KEY AUTOINCREMENT,
    kind  TEXT    NOT NULL CHECK (kind IN ('login', 'address', 'signup')),
    key   TEXT    NOT NULL,                 -- the login as typed (lowercased), or the client address
    at    INTEGER NOT NULL
);
CREATE INDEX auth_attempts_kind_key_at ON auth_attempts(kind, key, at);
CREATE INDEX auth_attempts_at ON auth_attempts(at);

-- Idle timeout: a session unused for SESSION_IDLE_TIMEOUT_SECONDS ends.
-- Sessions open at upgrade time count as seen now (nobody is signed out by the upgrade).
ALTER TABLE sessions ADD COLUMN last_seen_at INTEGER NOT NULL DEFAULT 0;
UPDATE sessions SET last_seen_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000;
CREATE INDEX sessions_expiry ON sessions(expires_at);
CREATE INDEX sessions_last_seen ON sessions(last_seen_at);
