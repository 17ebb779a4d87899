//! The sandbox's own SQLite database: orders, withdrawals, postbacks and
//! every delivery attempt.

use crate::domain::WithdrawalStatus;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{SqliteConnection, SqlitePool};

use super::SandboxError;

/// Opens the database, creating its directory and file. One connection:
/// every operation is short, and a single connection can never hit
/// SQLITE_BUSY against itself.
pub async fn open(database_url: &str) -> Result<SqlitePool, SandboxError> {
    let opts = SqliteConnectOptions::from_str(database_url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true);
    let file = opts.get_filename();
    let in_memory = database_url.contains(":memory:") || database_url.contains("mode=memory");
    if !in_memory
        && let Some(dir) = file.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)?;
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(opts)
        .await?;
    Ok(pool)
}

const SCHEMA_V1: &str = r#"
CREATE TABLE orders (
    order_id TEXT PRIMARY KEY,
    custom_transaction_id TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    amount_paise INTEGER NOT NULL,
    status TEXT NOT NULL,
    failure_reason TEXT,
    source TEXT NOT NULL,
    lang TEXT NOT NULL,
    return_targets TEXT NOT NULL,
    upi_ref TEXT NOT NULL,
    qr_data TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    paid_paise INTEGER,
    transaction_id TEXT,
    payer_vpa TEXT,
    paid_at_ms INTEGER,
    stockpiling_id INTEGER,
    finished_at_ms INTEGER
);
CREATE INDEX orders_status_expiry ON orders (status, expires_at_ms);
CREATE TABLE withdrawals (
    withdrawal_id TEXT PRIMARY KEY,
    amount_paise INTEGER NOT NULL,
    label TEXT NOT NULL,
    account_number TEXT NOT NULL,
    account_name TEXT NOT NULL,
    bank_code TEXT NOT NULL,
    branch_code TEXT NOT NULL,
    is_test INTEGER NOT NULL,
    status INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL,
    auto_at_ms INTEGER,
    decided_at_ms INTEGER,
    transaction_id TEXT,
    stockpiling_id INTEGER
);
CREATE INDEX withdrawals_auto ON withdrawals (status, auto_at_ms);
CREATE TABLE transaction_ids (id TEXT PRIMARY KEY);
CREATE TABLE merchant (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    balance_paise INTEGER NOT NULL,
    next_stockpiling_id INTEGER NOT NULL
);
CREATE TABLE postbacks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    ref_id TEXT NOT NULL,
    copy_no INTEGER NOT NULL,
    forged INTEGER NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL,
    finished_at_ms INTEGER
);
CREATE INDEX postbacks_due ON postbacks (state, next_attempt_ms);
CREATE INDEX postbacks_ref ON postbacks (ref_id);
CREATE TABLE attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    postback_id INTEGER NOT NULL REFERENCES postbacks (id),
    attempt_no INTEGER NOT NULL,
    at_ms INTEGER NOT NULL,
    http_status INTEGER,
    response_body TEXT NOT NULL,
    latency_ms INTEGER NOT NULL,
    error TEXT,
    ok INTEGER NOT NULL
);
CREATE INDEX attempts_postback ON attempts (postback_id);
PRAGMA user_version = 1;
"#;

/// Brings the schema up to date (tracked in `PRAGMA user_version`) and
/// creates the merchant row with `balance_paise` the first time.
pub async fn migrate(db: &SqlitePool, balance_paise: i64) -> Result<(), SandboxError> {
    let mut tx = db.begin().await?;
    let version: i64 = sqlx::query_scalar("PRAGMA user_version").fetch_one(&mut *tx).await?;
    if version < 1 {
        sqlx::raw_sql(SCHEMA_V1).execute(&mut *tx).await?;
    }
    sqlx::query("INSERT OR IGNORE INTO merchant (id, balance_paise, next_stockpiling_id) VALUES (1, ?, 1430001)")
        .bind(balance_paise)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Order {
    pub order_id: String,
    pub custom_transaction_id: String,
    pub label: String,
    pub amount_paise: i64,
    /// `processing`, `success` or `failed`.
    pub status: String,
    /// `declined` or `expired` when failed.
    pub failure_reason: Option<String>,
    /// `api` or `plugin`.
    pub source: String,
    pub lang: String,
    /// The payment window's return parameters, form-encoded.
    pub return_targets: String,
    pub upi_ref: String,
    pub qr_data: String,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    pub paid_paise: Option<i64>,
    pub transaction_id: Option<String>,
    pub payer_vpa: Option<String>,
    pub paid_at_ms: Option<i64>,
    pub stockpiling_id: Option<i64>,
    pub finished_at_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Withdrawal {
    pub withdrawal_id: String,
    pub amount_paise: i64,
    pub label: String,
    pub account_number: String,
    pub account_name: String,
    pub bank_code: String,
    pub branch_code: String,
    pub is_test: bool,
    /// Stored as the wire number (0 pending, 1 paid, 5 rejected).
    #[sqlx(try_from = "i64")]
    pub status: WithdrawalStatus,
    pub created_at_ms: i64,
    pub auto_at_ms: Option<i64>,
    pub decided_at_ms: Option<i64>,
    pub transaction_id: Option<String>,
    pub stockpiling_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Postback {
    pub id: i64,
    /// `deposit` or `withdrawal`.
    pub kind: String,
    /// The order id or withdrawal id.
    pub ref_id: String,
    /// 0 for the original, 1.. for chaos duplicates.
    pub copy_no: i64,
    /// A chaos copy with a wrong signature (one attempt only).
    pub forged: bool,
    pub body: String,
    /// `pending`, `delivered` or `abandoned` (a forged copy after its attempt).
    pub state: String,
    pub attempts: i64,
    pub next_attempt_ms: i64,
    pub created_at_ms: i64,
    pub finished_at_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Attempt {
    pub id: i64,
    pub postback_id: i64,
    pub attempt_no: i64,
    pub at_ms: i64,
    pub http_status: Option<i64>,
    pub response_body: String,
    pub latency_ms: i64,
    pub error: Option<String>,
    pub ok: bool,
}

/// Marks unpaid orders past their expiry as failed (`expired`).
pub async fn expire_due(conn: &mut SqliteConnection, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE orders SET status = 'failed', failure_reason = 'expired', finished_at_ms = expires_at_ms \
         WHERE status = 'processing' AND expires_at_ms <= ?",
    )
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn order(conn: &mut SqliteConnection, order_id: &str) -> Result<Option<Order>, sqlx::Error> {
    sqlx::query_as::<_, Order>("SELECT * FROM orders WHERE order_id = ?").bind(order_id).fetch_optional(conn).await
}

pub async fn order_by_custom_id(
    conn: &mut SqliteConnection,
    custom_transaction_id: &str,
) -> Result<Option<Order>, sqlx::Error> {
    sqlx::query_as::<_, Order>("SELECT * FROM orders WHERE custom_transaction_id = ?")
        .bind(custom_transaction_id)
        .fetch_optional(conn)
        .await
}

pub async fn recent_orders(conn: &mut SqliteConnection, limit: i64) -> Result<Vec<Order>, sqlx::Error> {
    sqlx::query_as::<_, Order>("SELECT * FROM orders ORDER BY created_at_ms DESC, rowid DESC LIMIT ?")
        .bind(limit)
        .fetch_all(conn)
        .await
}

pub async fn insert_order(conn: &mut SqliteConnection, o: &Order) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO orders (order_id, custom_transaction_id, label, amount_paise, status, failure_reason, \
         source, lang, return_targets, upi_ref, qr_data, created_at_ms, expires_at_ms) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&o.order_id)
    .bind(&o.custom_transaction_id)
    .bind(&o.label)
    .bind(o.amount_paise)
    .bind(&o.status)
    .bind(&o.failure_reason)
    .bind(&o.source)
    .bind(&o.lang)
    .bind(&o.return_targets)
    .bind(&o.upi_ref)
    .bind(&o.qr_data)
    .bind(o.created_at_ms)
    .bind(o.expires_at_ms)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn order_id_taken(conn: &mut SqliteConnection, order_id: &str) -> Result<bool, sqlx::Error> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM orders WHERE order_id = ?").bind(order_id).fetch_one(conn).await?;
    Ok(n > 0)
}

pub async fn mark_paid(
    conn: &mut SqliteConnection,
    order_id: &str,
    paid_paise: i64,
    transaction_id: &str,
    payer_vpa: &str,
    now: i64,
    stockpiling_id: i64,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE orders SET status = 'success', paid_paise = ?, transaction_id = ?, payer_vpa = ?, \
         paid_at_ms = ?, stockpiling_id = ?, finished_at_ms = ? WHERE order_id = ? AND status = 'processing'",
    )
    .bind(paid_paise)
    .bind(transaction_id)
    .bind(payer_vpa)
    .bind(now)
    .bind(stockpiling_id)
    .bind(now)
    .bind(order_id)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn mark_failed(
    conn: &mut SqliteConnection,
    order_id: &str,
    reason: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE orders SET status = 'failed', failure_reason = ?, finished_at_ms = ? \
         WHERE order_id = ? AND status = 'processing'",
    )
    .bind(reason)
    .bind(now)
    .bind(order_id)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Reserves a fresh, unique 12-digit numeric transaction id.
pub async fn new_transaction_id(conn: &mut SqliteConnection) -> Result<String, sqlx::Error> {
    use rand::Rng;
    loop {
        let id = rand::thread_rng().gen_range(100_000_000_000u64..1_000_000_000_000u64).to_string();
        let r =
            sqlx::query("INSERT OR IGNORE INTO transaction_ids (id) VALUES (?)").bind(&id).execute(&mut *conn).await?;
        if r.rows_affected() == 1 {
            return Ok(id);
        }
    }
}

pub async fn next_stockpiling_id(conn: &mut SqliteConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE merchant SET next_stockpiling_id = next_stockpiling_id + 1 WHERE id = 1 \
         RETURNING next_stockpiling_id - 1",
    )
    .fetch_one(conn)
    .await
}

pub async fn balance(conn: &mut SqliteConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT balance_paise FROM merchant WHERE id = 1").fetch_one(conn).await
}

pub async fn set_balance(conn: &mut SqliteConnection, paise: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE merchant SET balance_paise = ? WHERE id = 1").bind(paise).execute(conn).await?;
    Ok(())
}

pub async fn add_balance(conn: &mut SqliteConnection, paise: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE merchant SET balance_paise = balance_paise + ? WHERE id = 1").bind(paise).execute(conn).await?;
    Ok(())
}

/// Takes `paise` from the balance if it is there; false when short.
pub async fn take_balance(conn: &mut SqliteConnection, paise: i64) -> Result<bool, sqlx::Error> {
    let r = sqlx::query("UPDATE merchant SET balance_paise = balance_paise - ? WHERE id = 1 AND balance_paise >= ?")
        .bind(paise)
        .bind(paise)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn withdrawal(conn: &mut SqliteConnection, id: &str) -> Result<Option<Withdrawal>, sqlx::Error> {
    sqlx::query_as::<_, Withdrawal>("SELECT * FROM withdrawals WHERE withdrawal_id = ?")
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub async fn recent_withdrawals(conn: &mut SqliteConnection, limit: i64) -> Result<Vec<Withdrawal>, sqlx::Error> {
    sqlx::query_as::<_, Withdrawal>("SELECT * FROM withdrawals ORDER BY created_at_ms DESC, rowid DESC LIMIT ?")
        .bind(limit)
        .fetch_all(conn)
        .await
}

pub async fn insert_withdrawal(conn: &mut SqliteConnection, w: &Withdrawal) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO withdrawals (withdrawal_id, amount_paise, label, account_number, account_name, \
         bank_code, branch_code, is_test, status, created_at_ms, auto_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&w.withdrawal_id)
    .bind(w.amount_paise)
    .bind(&w.label)
    .bind(&w.account_number)
    .bind(&w.account_name)
    .bind(&w.bank_code)
    .bind(&w.branch_code)
    .bind(w.is_test)
    .bind(w.status.as_wire())
    .bind(w.created_at_ms)
    .bind(w.auto_at_ms)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn decide_withdrawal(
    conn: &mut SqliteConnection,
    id: &str,
    status: WithdrawalStatus,
    transaction_id: Option<&str>,
    stockpiling_id: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE withdrawals SET status = ?, transaction_id = ?, stockpiling_id = ?, decided_at_ms = ? \
         WHERE withdrawal_id = ? AND status = 0",
    )
    .bind(status.as_wire())
    .bind(transaction_id)
    .bind(stockpiling_id)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn due_auto_withdrawals(conn: &mut SqliteConnection, now: i64) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT withdrawal_id FROM withdrawals WHERE status = 0 AND auto_at_ms IS NOT NULL AND auto_at_ms <= ? \
         ORDER BY auto_at_ms LIMIT 100",
    )
    .bind(now)
    .fetch_all(conn)
    .await
}

pub async fn next_auto_withdrawal_ms(conn: &mut SqliteConnection) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT MIN(auto_at_ms) FROM withdrawals WHERE status = 0").fetch_one(conn).await
}

/// A postback row to insert.
pub struct NewPostback<'a> {
    pub kind: &'a str,
    pub ref_id: &'a str,
    pub copy_no: i64,
    pub forged: bool,
    pub body: &'a str,
    pub next_attempt_ms: i64,
    pub created_at_ms: i64,
}

pub async fn insert_postback(conn: &mut SqliteConnection, p: &NewPostback<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO postbacks (kind, ref_id, copy_no, forged, body, state, attempts, next_attempt_ms, created_at_ms) \
         VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?) RETURNING id",
    )
    .bind(p.kind)
    .bind(p.ref_id)
    .bind(p.copy_no)
    .bind(p.forged)
    .bind(p.body)
    .bind(p.next_attempt_ms)
    .bind(p.created_at_ms)
    .fetch_one(conn)
    .await
}

pub async fn due_postbacks(conn: &mut SqliteConnection, now: i64, limit: i64) -> Result<Vec<Postback>, sqlx::Error> {
    sqlx::query_as::<_, Postback>(
        "SELECT * FROM postbacks WHERE state = 'pending' AND next_attempt_ms <= ? \
         ORDER BY next_attempt_ms, id LIMIT ?",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await
}

pub async fn next_due_ms(conn: &mut SqliteConnection) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT MIN(next_attempt_ms) FROM postbacks WHERE state = 'pending'").fetch_one(conn).await
}

/// One finished attempt.
pub struct AttemptResult {
    pub at_ms: i64,
    pub http_status: Option<u16>,
    pub response_body: String,
    pub latency_ms: i64,
    pub error: Option<String>,
    pub ok: bool,
}

/// Records an attempt and moves the postback on: delivered, abandoned
/// (forged copy), or pending again at `retry_at_ms`.
pub async fn record_attempt(
    db: &SqlitePool,
    p: &Postback,
    a: &AttemptResult,
    retry_at_ms: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    let attempt_no = p.attempts + 1;
    sqlx::query(
        "INSERT INTO attempts (postback_id, attempt_no, at_ms, http_status, response_body, latency_ms, error, ok) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(p.id)
    .bind(attempt_no)
    .bind(a.at_ms)
    .bind(a.http_status.map(i64::from))
    .bind(&a.response_body)
    .bind(a.latency_ms)
    .bind(&a.error)
    .bind(a.ok)
    .execute(&mut *tx)
    .await?;
    let done_ms = a.at_ms.saturating_add(a.latency_ms);
    let (state, next, finished) = if a.ok {
        ("delivered", p.next_attempt_ms, Some(done_ms))
    } else if p.forged {
        ("abandoned", p.next_attempt_ms, Some(done_ms))
    } else {
        ("pending", retry_at_ms, None)
    };
    sqlx::query("UPDATE postbacks SET state = ?, attempts = ?, next_attempt_ms = ?, finished_at_ms = ? WHERE id = ?")
        .bind(state)
        .bind(attempt_no)
        .bind(next)
        .bind(finished)
        .bind(p.id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// Postbacks, newest first, optionally only those of one order/withdrawal.
pub async fn postbacks(
    conn: &mut SqliteConnection,
    ref_id: Option<&str>,
    limit: i64,
) -> Result<Vec<Postback>, sqlx::Error> {
    match ref_id {
        Some(r) => {
            sqlx::query_as::<_, Postback>("SELECT * FROM postbacks WHERE ref_id = ? ORDER BY id DESC LIMIT ?")
                .bind(r)
                .bind(limit)
                .fetch_all(conn)
                .await
        }
        None => {
            sqlx::query_as::<_, Postback>("SELECT * FROM postbacks ORDER BY id DESC LIMIT ?")
                .bind(limit)
                .fetch_all(conn)
                .await
        }
    }
}

/// The attempts of these postbacks, newest first.
pub async fn attempts_for(conn: &mut SqliteConnection, postback_ids: &[i64]) -> Result<Vec<Attempt>, sqlx::Error> {
    if postback_ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders = vec!["?"; postback_ids.len()].join(",");
    let sql = format!("SELECT * FROM attempts WHERE postback_id IN ({placeholders}) ORDER BY at_ms DESC, id DESC");
    let mut q = sqlx::query_as::<_, Attempt>(&sql);
    for id in postback_ids {
        q = q.bind(id);
    }
    q.fetch_all(conn).await
}
