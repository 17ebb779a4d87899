//! The only code that moves money. Every change is an immutable entry in
//! `ledger_entries` plus the matching update of the user's bucket, inside the
//! caller's transaction. A (kind, bucket, reference) is posted at most once:
//! the UNIQUE constraint, not a lock, makes a retry or a race harmless.
//! Buckets never go negative (CHECK constraints and the guarded UPDATE).

use super::db::{Db, now_ms};
use sqlx::{AnyConnection, Row};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bucket {
    Available,
    Held,
}

impl Bucket {
    fn as_str(self) -> &'static str {
        match self {
            Bucket::Available => "available",
            Bucket::Held => "held",
        }
    }
    fn column(self) -> &'static str {
        match self {
            Bucket::Available => "available_paise",
            Bucket::Held => "held_paise",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    DepositCredit,
    WithdrawalHold,
    HoldRelease,
    WithdrawalPayout,
    Adjustment,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::DepositCredit => "deposit_credit",
            EntryKind::WithdrawalHold => "withdrawal_hold",
            EntryKind::HoldRelease => "hold_release",
            EntryKind::WithdrawalPayout => "withdrawal_payout",
            EntryKind::Adjustment => "adjustment",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("insufficient funds")]
    InsufficientFunds,
    #[error("amount must be more than zero")]
    NotPositive,
    #[error("reference {reference} was already posted with another user or amount")]
    ConflictingEntry { reference: String },
    #[error("unknown user")]
    UnknownUser,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Inside a larger transaction a ledger refusal aborts it like a database error.
impl From<LedgerError> for sqlx::Error {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::Db(e) => e,
            other => sqlx::Error::Protocol(other.to_string()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Posted {
    /// The entry was written now.
    New,
    /// The same (kind, bucket, reference) was posted before; nothing changed.
    AlreadyPosted,
}

/// Posts one entry and moves the bucket by `amount_paise` (signed).
async fn post(
    tx: &mut AnyConnection,
    user_id: i64,
    bucket: Bucket,
    amount_paise: i64,
    kind: EntryKind,
    reference: &str,
    memo: &str,
) -> Result<Posted, LedgerError> {
    if amount_paise == 0 {
        return Err(LedgerError::NotPositive);
    }
    let inserted = sqlx::query(
        "INSERT INTO ledger_entries (user_id, bucket, amount_paise, kind, reference, memo, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (kind, bucket, reference) DO NOTHING RETURNING id",
    )
    .bind(user_id)
    .bind(bucket.as_str())
    .bind(amount_paise)
    .bind(kind.as_str())
    .bind(reference)
    .bind(memo)
    .bind(now_ms())
    .fetch_optional(&mut *tx)
    .await?;
    if inserted.is_none() {
        // A retry of the same movement is harmless; the same reference with
        // another user or amount is a bug or an attack, never a silent success.
        let existing = sqlx::query(
            "SELECT user_id, amount_paise FROM ledger_entries WHERE kind = $1 AND bucket = $2 AND reference = $3",
        )
        .bind(kind.as_str())
        .bind(bucket.as_str())
        .bind(reference)
        .fetch_one(&mut *tx)
        .await?;
        let (uid, amount): (i64, i64) = (existing.try_get("user_id")?, existing.try_get("amount_paise")?);
        if uid != user_id || amount != amount_paise {
            return Err(LedgerError::ConflictingEntry { reference: reference.to_string() });
        }
        return Ok(Posted::AlreadyPosted);
    }
    let col = bucket.column();
    let updated = sqlx::query(&format!("UPDATE users SET {col} = {col} + $1 WHERE id = $2 AND {col} + $1 >= 0"))
        .bind(amount_paise)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    if updated.rows_affected() == 0 {
        // Take the entry back, so a caller that commits after this error
        // still leaves every balance equal to the sum of its entries.
        let id: i64 = inserted.as_ref().map(|r| r.try_get::<i64, _>("id")).transpose()?.unwrap_or_default();
        sqlx::query("DELETE FROM ledger_entries WHERE id = $1").bind(id).execute(&mut *tx).await?;
        let exists = sqlx::query("SELECT 1 FROM users WHERE id = $1").bind(user_id).fetch_optional(&mut *tx).await?;
        return Err(if exists.is_some() { LedgerError::InsufficientFunds } else { LedgerError::UnknownUser });
    }
    Ok(Posted::New)
}

/// Every public movement takes a positive amount; the direction is in the
/// function's name. A negative "hold" would mint money.
fn positive(amount_paise: i64) -> Result<i64, LedgerError> {
    if amount_paise > 0 { Ok(amount_paise) } else { Err(LedgerError::NotPositive) }
}

/// A deposit arrived: +amount to available. `reference` names the provider transaction.
pub async fn credit_deposit(
    tx: &mut AnyConnection,
    user_id: i64,
    amount_paise: i64,
    reference: &str,
    memo: &str,
) -> Result<Posted, LedgerError> {
    let amount = positive(amount_paise)?;
    post(tx, user_id, Bucket::Available, amount, EntryKind::DepositCredit, reference, memo).await
}

/// Reserves money for a withdrawal: available -> held.
pub async fn hold(
    tx: &mut AnyConnection,
    user_id: i64,
    amount_paise: i64,
    reference: &str,
) -> Result<Posted, LedgerError> {
    let amount = positive(amount_paise)?;
    let first = post(tx, user_id, Bucket::Available, -amount, EntryKind::WithdrawalHold, reference, "").await?;
    if first == Posted::AlreadyPosted {
        return Ok(first);
    }
    post(tx, user_id, Bucket::Held, amount, EntryKind::WithdrawalHold, reference, "").await
}

/// Gives a hold back: held -> available. At most once per reference.
pub async fn release(
    tx: &mut AnyConnection,
    user_id: i64,
    amount_paise: i64,
    reference: &str,
    memo: &str,
) -> Result<Posted, LedgerError> {
    let amount = positive(amount_paise)?;
    let first = post(tx, user_id, Bucket::Held, -amount, EntryKind::HoldRelease, reference, memo).await?;
    if first == Posted::AlreadyPosted {
        return Ok(first);
    }
    post(tx, user_id, Bucket::Available, amount, EntryKind::HoldRelease, reference, memo).await
}

/// The money left: -amount from held.
pub async fn payout(
    tx: &mut AnyConnection,
    user_id: i64,
    amount_paise: i64,
    reference: &str,
) -> Result<Posted, LedgerError> {
    let amount = positive(amount_paise)?;
    post(tx, user_id, Bucket::Held, -amount, EntryKind::WithdrawalPayout, reference, "").await
}

/// Which way an admin's correction goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Adjustment {
    Credit,
    Debit,
}

/// An admin's correction with a reason: a positive amount, credited or
/// debited; a debit never makes the balance negative.
pub async fn adjust(
    tx: &mut AnyConnection,
    user_id: i64,
    direction: Adjustment,
    amount_paise: i64,
    reference: &str,
    memo: &str,
) -> Result<Posted, LedgerError> {
    let amount = positive(amount_paise)?;
    let signed = match direction {
        Adjustment::Credit => amount,
        Adjustment::Debit => -amount,
    };
    post(tx, user_id, Bucket::Available, signed, EntryKind::Adjustment, reference, memo).await
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Balance {
    pub login: String,
    pub balance_paise: i64,
    pub available_paise: i64,
}

pub async fn balance(db: &Db, login: &str) -> Result<Option<Balance>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        login: String,
        available_paise: i64,
        held_paise: i64,
    }
    let row: Option<Row> = sqlx::query_as("SELECT login, available_paise, held_paise FROM users WHERE login = $1")
        .bind(login)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|r| Balance {
        login: r.login,
        balance_paise: r.available_paise + r.held_paise,
        available_paise: r.available_paise,
    }))
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Mismatch {
    pub login: String,
    pub available_paise: i64,
    pub available_from_entries: i64,
    pub held_paise: i64,
    pub held_from_entries: i64,
}

/// Every account whose buckets differ from the sum of their entries. Empty = healthy.
pub async fn check(db: &Db) -> Result<Vec<Mismatch>, sqlx::Error> {
    let rows: Vec<Mismatch> = sqlx::query_as(
        "SELECT u.login, u.available_paise, u.held_paise,
                CAST(COALESCE((SELECT SUM(e.amount_paise) FROM ledger_entries e WHERE e.user_id = u.id AND e.bucket = 'available'), 0) AS BIGINT)
                    AS available_from_entries,
                CAST(COALESCE((SELECT SUM(e.amount_paise) FROM ledger_entries e WHERE e.user_id = u.id AND e.bucket = 'held'), 0) AS BIGINT)
                    AS held_from_entries
         FROM users u ORDER BY u.login",
    )
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .filter(|m| m.available_paise != m.available_from_entries || m.held_paise != m.held_from_entries)
        .collect())
}
