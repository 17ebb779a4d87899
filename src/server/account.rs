//! What the balance page reads: the user's balances, open deposits and
//! ledger entries (keyset paginated, newest first).

use super::db::Db;
use super::deposits;
use crate::views::{BalanceView, EntryView, OpenDeposit, UserWithdrawal};

/// Ledger entries per page of the balance page.
pub const PAGE_SIZE: i64 = 20;

/// (available, held) of `user_id`.
pub async fn balances(db: &Db, user_id: i64) -> Result<(i64, i64), sqlx::Error> {
    balances_on(&mut *db.pool().acquire().await?, user_id).await
}

/// (available, held) of `user_id`, read on `conn` (inside a snapshot, say).
async fn balances_on(conn: &mut sqlx::AnyConnection, user_id: i64) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as("SELECT available_paise, held_paise FROM users WHERE id = $1").bind(user_id).fetch_one(conn).await
}

/// The balance page of `user_id`: entries with an id below `before` (the
/// keyset cursor; the newest page without one). Everything is read from one
/// snapshot (`Db::snapshot`), so the page never shows a withdrawal already
/// rejected beside a balance from before its hold was released.
pub async fn balance_view(db: &Db, user_id: i64, login: &str, before: Option<i64>) -> Result<BalanceView, sqlx::Error> {
    let mut tx = db.snapshot().await?;
    let (available_paise, held_paise) = balances_on(&mut tx, user_id).await?;
    let mut entries: Vec<EntryView> = sqlx::query_as(
        "SELECT id, kind, bucket, amount_paise, reference, memo, created_at FROM ledger_entries
         WHERE user_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
    )
    .bind(user_id)
    .bind(before.unwrap_or(i64::MAX))
    .bind(PAGE_SIZE + 1)
    .fetch_all(&mut *tx)
    .await?;
    let next_before = if entries.len() as i64 > PAGE_SIZE {
        entries.truncate(PAGE_SIZE as usize);
        entries.last().map(|e| e.id)
    } else {
        None
    };
    let open_deposits = deposits::list_open(&mut tx, user_id)
        .await?
        .into_iter()
        .map(|d| OpenDeposit { id: d.id, amount_paise: d.amount_paise, status: d.status, created_at: d.created_at })
        .collect();
    let withdrawals = super::withdrawals::for_user(&mut tx, user_id, 10)
        .await?
        .into_iter()
        .map(|w| UserWithdrawal {
            account_masked: crate::domain::AccountNumber::parse(&w.account_number)
                .map(|a| a.masked())
                .unwrap_or_default(),
            id: w.id,
            amount_paise: w.amount_paise,
            ifsc: w.ifsc,
            status: w.status,
            reason: w.failure_reason,
            created_at: w.created_at,
        })
        .collect();
    tx.rollback().await?;
    Ok(BalanceView {
        login: login.to_string(),
        withdrawals,
        sandbox_admin_url: None,
        balance_paise: available_paise + held_paise,
        available_paise,
        held_paise,
        open_deposits,
        entries,
        next_before,
    })
}
