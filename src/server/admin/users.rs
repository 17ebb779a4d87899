//! Balances for admins: users found by login, one user's balances, ledger
//! and deposits, and the manual adjustment (credit or debit with a reason).

use super::ADMIN_PAGE;
use crate::server::audit::{self, Action};
use crate::server::db::Db;
use crate::server::ledger::{self, Adjustment, LedgerError, Posted};
use crate::views::{AdminDeposit, AdminUserRow, AdminUserView, AdminUsers, EntryView};

/// Ledger entries per page of a user's page.
pub const LEDGER_PAGE: i64 = 25;
/// Deposits shown on a user's page (the latest).
pub const LATEST_DEPOSITS: i64 = 10;

/// A LIKE pattern matching `search` anywhere, its wildcards taken literally.
fn contains_pattern(search: &str) -> String {
    format!("%{}%", search.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"))
}

/// Users whose login contains `q` (all when empty), by login, after the
/// keyset cursor `after`; with the totals over every user.
pub async fn list(db: &Db, q: &str, after: Option<&str>) -> Result<AdminUsers, sqlx::Error> {
    let search = q.trim().to_lowercase();
    let mut users: Vec<AdminUserRow> = sqlx::query_as(
        "SELECT login, role, available_paise, held_paise, created_at FROM users
         WHERE ($1 = '' OR login LIKE $2 ESCAPE '\\') AND login > $3 ORDER BY login LIMIT $4",
    )
    .bind(&search)
    .bind(contains_pattern(&search))
    .bind(after.unwrap_or(""))
    .bind(ADMIN_PAGE + 1)
    .fetch_all(db.pool())
    .await?;
    let next_after = if users.len() as i64 > ADMIN_PAGE {
        users.truncate(ADMIN_PAGE as usize);
        users.last().map(|u| u.login.clone())
    } else {
        None
    };
    #[derive(sqlx::FromRow)]
    struct Totals {
        user_count: i64,
        available_total_paise: i64,
        held_total_paise: i64,
    }
    let totals: Totals = sqlx::query_as(
        "SELECT CAST(COUNT(*) AS BIGINT) AS user_count,
                CAST(COALESCE(SUM(available_paise), 0) AS BIGINT) AS available_total_paise,
                CAST(COALESCE(SUM(held_paise), 0) AS BIGINT) AS held_total_paise FROM users",
    )
    .fetch_one(db.pool())
    .await?;
    Ok(AdminUsers {
        users,
        next_after,
        user_count: totals.user_count,
        available_total_paise: totals.available_total_paise,
        held_total_paise: totals.held_total_paise,
    })
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    login: String,
    role: String,
    available_paise: i64,
    held_paise: i64,
    created_at: i64,
}

async fn user_row(conn: &mut sqlx::AnyConnection, login: &str) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as("SELECT id, login, role, available_paise, held_paise, created_at FROM users WHERE login = $1")
        .bind(login)
        .fetch_optional(conn)
        .await
}

/// A new one-time key for an adjustment form (128 random bits, hex).
pub fn new_adjustment_key() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A key as [`new_adjustment_key`] makes them (32 lowercase hex characters).
pub fn is_adjustment_key(key: &str) -> bool {
    key.len() == 32 && key.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// One user's page: balances, ledger entries with an id below `before`,
/// the latest deposits, the audit entries about them, a fresh form key.
/// `None` when no user has the login.
pub async fn detail(db: &Db, login: &str, before: Option<i64>) -> Result<Option<AdminUserView>, sqlx::Error> {
    let mut conn = db.pool().acquire().await?;
    let Some(user) = user_row(&mut conn, login).await? else { return Ok(None) };
    let mut entries: Vec<EntryView> = sqlx::query_as(
        "SELECT id, kind, bucket, amount_paise, reference, memo, created_at FROM ledger_entries
         WHERE user_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
    )
    .bind(user.id)
    .bind(before.unwrap_or(i64::MAX))
    .bind(LEDGER_PAGE + 1)
    .fetch_all(&mut *conn)
    .await?;
    let next_before = if entries.len() as i64 > LEDGER_PAGE {
        entries.truncate(LEDGER_PAGE as usize);
        entries.last().map(|e| e.id)
    } else {
        None
    };
    let deposits: Vec<AdminDeposit> = sqlx::query_as(
        "SELECT d.id, u.login, d.amount_paise, d.credited_paise, d.method, d.status, d.order_id, d.provider_txn_id,
                CASE WHEN d.flag = '' THEN d.flags WHEN d.flags = '' THEN d.flag ELSE d.flags || ',' || d.flag END AS flags,
                d.failure_reason, d.created_at
         FROM deposits d JOIN users u ON u.id = d.user_id
         WHERE d.user_id = $1 ORDER BY d.created_at DESC, d.id DESC LIMIT $2",
    )
    .bind(user.id)
    .bind(LATEST_DEPOSITS)
    .fetch_all(&mut *conn)
    .await?;
    drop(conn);
    let history = audit::for_target(db.pool(), &format!("user:{}", user.login)).await?;
    Ok(Some(AdminUserView {
        login: user.login,
        role: user.role,
        created_at: user.created_at,
        available_paise: user.available_paise,
        held_paise: user.held_paise,
        entries,
        next_before,
        deposits,
        history,
        adjustment_key: new_adjustment_key(),
    }))
}

/// An admin's adjustment, as the form gives it (already parsed).
#[derive(Debug, Clone)]
pub struct AdjustmentRequest<'a> {
    pub admin_id: i64,
    pub login: &'a str,
    pub direction: Adjustment,
    pub amount_paise: i64,
    pub reason: &'a str,
    /// The form's one-time key: the ledger reference is `adjustment:<key>`.
    pub key: &'a str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adjusted {
    /// Posted now, with its audit entry.
    Done,
    /// This form's key was posted before with the same user and amount: nothing changed.
    AlreadyDone,
}

#[derive(Debug, thiserror::Error)]
pub enum AdjustError {
    #[error("no user has that login")]
    UnknownUser,
    #[error("the debit is more than the available balance")]
    InsufficientFunds,
    #[error("the form's key was already used for another adjustment")]
    KeyUsedOtherwise,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

fn balances_json(available: i64, held: i64) -> String {
    serde_json::json!({"available_paise": available, "held_paise": held, "balance_paise": available + held}).to_string()
}

/// Posts the adjustment and its audit entry (before and after balances) in
/// one transaction. A debit beyond the available balance is refused and
/// changes nothing; the same form key again is answered `AlreadyDone` (the
/// ledger's UNIQUE (kind, bucket, reference) makes the repeat a no-op, even
/// when two submissions race).
pub async fn adjust(db: &Db, r: AdjustmentRequest<'_>) -> Result<Adjusted, AdjustError> {
    let mut tx = db.writer().begin().await?;
    let Some(user) = user_row(&mut tx, r.login).await? else { return Err(AdjustError::UnknownUser) };
    let reference = format!("adjustment:{}", r.key);
    let posted = ledger::adjust(&mut tx, user.id, r.direction, r.amount_paise, &reference, r.reason).await;
    match posted {
        Ok(Posted::New) => {}
        Ok(Posted::AlreadyPosted) => return Ok(Adjusted::AlreadyDone),
        Err(LedgerError::InsufficientFunds) => return Err(AdjustError::InsufficientFunds),
        Err(LedgerError::ConflictingEntry { .. }) => return Err(AdjustError::KeyUsedOtherwise),
        Err(LedgerError::UnknownUser) => return Err(AdjustError::UnknownUser),
        Err(e) => return Err(AdjustError::Db(e.into())),
    }
    let after = user_row(&mut tx, r.login).await?.ok_or(AdjustError::UnknownUser)?;
    let (word, sign) = match r.direction {
        Adjustment::Credit => ("credit", "+"),
        Adjustment::Debit => ("debit", "-"),
    };
    audit::record(
        &mut tx,
        Action {
            admin_id: r.admin_id,
            action: "adjust_balance",
            target: &format!("user:{}", user.login),
            detail: &format!(
                "{word} {sign}{} ({}): {}",
                crate::domain::Money::from_paise(r.amount_paise),
                reference,
                r.reason
            ),
            before: &balances_json(user.available_paise, user.held_paise),
            after: &balances_json(after.available_paise, after.held_paise),
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(login = %user.login, direction = word, amount_paise = r.amount_paise, %reference, "balance adjusted by an admin");
    Ok(Adjusted::Done)
}
