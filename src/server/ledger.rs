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

/// A signed payment for a known deposit, as `postback::credit_items` applies it.
#[derive(Debug, Clone)]
pub struct PaymentCredit<'a> {
    pub postback_id: i64,
    pub transaction_id: &'a str,
    /// The item's kind as `provider_payments.kind` stores it.
    pub kind: &'a str,
    pub deposit_id: &'a str,
    pub user_id: i64,
    pub amount_paise: i64,
    pub currency: &'a str,
    pub order_ref: &'a str,
    pub label: &'a str,
    pub flags: &'a str,
    /// The deposit's timeline entry when credited now, and when the
    /// transaction id was claimed before.
    pub credited_detail: &'a str,
    pub duplicate_detail: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentOutcome {
    /// Credited now; the deposit as it is after this payment.
    Credited { status: String, credited_paise: Option<i64> },
    /// The transaction id was claimed before: nothing moved (the deposit's
    /// timeline notes the repeat).
    Duplicate,
    /// Claimed now, but its ledger entry existed already with the same user
    /// and amount: nothing moved.
    AlreadyPosted,
}

/// Claims a payment's transaction id, posts its credit, moves the balance,
/// settles the deposit (terminal states stay; a late payment is added and
/// flagged) and appends the deposit's timeline entry, inside the caller's
/// transaction, in one round trip and with no re-reads: on PostgreSQL one
/// statement (data-modifying CTEs, each step fed by the RETURNING of the one
/// before, so nothing moves unless the claim and the entry are new); on
/// SQLite, which has no such CTEs, the same steps as one text of five
/// statements, each guarded by the one before. Exactly once comes from
/// `provider_payments.transaction_id UNIQUE` and the ledger's UNIQUE reference.
pub async fn credit_payment(tx: &mut AnyConnection, p: &PaymentCredit<'_>) -> Result<PaymentOutcome, LedgerError> {
    let amount = positive(p.amount_paise)?;
    let reference = format!("payment:{}", p.transaction_id);
    let memo = format!("for deposit {}", p.deposit_id);
    let now = now_ms();
    let postgres = tx.backend_name() == "PostgreSQL";
    let query = sqlx::query(if postgres { CREDIT_PAYMENT_POSTGRES } else { CREDIT_PAYMENT_SQLITE })
        .bind(p.transaction_id)
        .bind(p.postback_id)
        .bind(p.kind)
        .bind(p.deposit_id)
        .bind(p.user_id)
        .bind(amount)
        .bind(p.currency)
        .bind(p.order_ref)
        .bind(p.label)
        .bind(p.flags)
        .bind(now)
        .bind(&reference)
        .bind(&memo)
        .bind(p.credited_detail)
        .bind(p.duplicate_detail);
    if postgres {
        let row = query.fetch_one(&mut *tx).await?;
        let (claimed, posted, moved): (i64, i64, i64) =
            (row.try_get("claimed")?, row.try_get("posted")?, row.try_get("moved")?);
        return match (claimed, posted, moved) {
            (0, _, _) => Ok(PaymentOutcome::Duplicate),
            (_, 0, _) => already_posted(tx, p.user_id, amount, &reference).await,
            // The entry is in, the balance did not move: the caller's error
            // rolls the whole transaction back.
            (_, _, 0) => Err(LedgerError::UnknownUser),
            _ => Ok(PaymentOutcome::Credited {
                status: row.try_get("status")?,
                credited_paise: row.try_get("credited_paise")?,
            }),
        };
    }
    // SQLite: the same steps in one call (sqlx runs each statement of the
    // text in turn, `$n` naming the same arguments in all). Each step runs
    // only if the one before changed a row (`changes()` is the count of the
    // statement before), and says so by RETURNING its name.
    let rows = query.fetch_all(&mut *tx).await?;
    let mut done = std::collections::HashMap::new();
    for row in rows {
        done.insert(row.try_get::<String, _>("step")?, row);
    }
    if !done.contains_key("claimed") {
        return Ok(PaymentOutcome::Duplicate);
    }
    if !done.contains_key("posted") {
        return already_posted(tx, p.user_id, amount, &reference).await;
    }
    let Some(deposit) = done.get("deposit").filter(|_| done.contains_key("moved")) else {
        // The entry is in, the balance or the deposit did not move: the
        // caller's error rolls the whole transaction back.
        return Err(LedgerError::UnknownUser);
    };
    Ok(PaymentOutcome::Credited {
        status: deposit.try_get("status")?,
        credited_paise: deposit.try_get("credited_paise")?,
    })
}

/// `credit_payment` for many payments at once, inside the caller's
/// transaction, with the same outcome for each as if each had been credited
/// on its own, one after another.
///
/// On PostgreSQL the payments whose transaction id and deposit are the first
/// of their kind in `credits` go in one statement (`CREDIT_PAYMENTS_POSTGRES`:
/// the same steps as `credit_payment`, over a set): a batch of postbacks costs
/// one statement instead of one per postback. Any later payment with the same
/// transaction id or deposit (a repeat delivered twice at once, a second
/// payment for one deposit) is then credited alone, after the set, as it
/// would be had it arrived a moment later. SQLite (one writer, no
/// data-modifying CTEs) credits them one by one.
pub async fn credit_payments(
    tx: &mut AnyConnection,
    credits: &[PaymentCredit<'_>],
) -> Result<Vec<PaymentOutcome>, LedgerError> {
    let postgres = tx.backend_name() == "PostgreSQL";
    let mut outcomes: Vec<Option<PaymentOutcome>> = vec![None; credits.len()];
    let mut set = Vec::with_capacity(credits.len());
    if postgres && credits.len() > 1 {
        let mut txns = std::collections::HashSet::new();
        let mut deposits = std::collections::HashSet::new();
        for (i, c) in credits.iter().enumerate() {
            positive(c.amount_paise)?;
            if txns.insert(c.transaction_id) & deposits.insert(c.deposit_id) {
                set.push(i);
            }
        }
    }
    if !set.is_empty() {
        let now = now_ms();
        let input: Vec<serde_json::Value> = set
            .iter()
            .map(|&i| {
                let c = &credits[i];
                serde_json::json!({
                    "ord": i,
                    "transaction_id": c.transaction_id,
                    "postback_id": c.postback_id,
                    "kind": c.kind,
                    "deposit_id": c.deposit_id,
                    "user_id": c.user_id,
                    "amount_paise": c.amount_paise,
                    "currency": c.currency,
                    "order_ref": c.order_ref,
                    "label": c.label,
                    "flags": c.flags,
                    "reference": format!("payment:{}", c.transaction_id),
                    "memo": format!("for deposit {}", c.deposit_id),
                    "credited_detail": c.credited_detail,
                    "duplicate_detail": c.duplicate_detail,
                })
            })
            .collect();
        let rows = sqlx::query(CREDIT_PAYMENTS_POSTGRES)
            .bind(serde_json::Value::Array(input).to_string())
            .bind(now)
            .fetch_all(&mut *tx)
            .await?;
        for row in rows {
            let i = usize::try_from(row.try_get::<i64, _>("ord")?).map_err(|_| LedgerError::UnknownUser)?;
            let c = credits.get(i).ok_or(LedgerError::UnknownUser)?;
            let (claimed, posted, moved): (bool, bool, bool) =
                (row.try_get("claimed")?, row.try_get("posted")?, row.try_get("moved")?);
            outcomes[i] = Some(match (claimed, posted, moved) {
                (false, _, _) => PaymentOutcome::Duplicate,
                (true, false, _) => {
                    already_posted(tx, c.user_id, c.amount_paise, &format!("payment:{}", c.transaction_id)).await?
                }
                // The entry is in, the balance did not move: the caller's
                // error rolls the whole transaction back.
                (true, true, false) => return Err(LedgerError::UnknownUser),
                (true, true, true) => PaymentOutcome::Credited {
                    status: row.try_get("status")?,
                    credited_paise: row.try_get("credited_paise")?,
                },
            });
        }
    }
    let mut done = Vec::with_capacity(credits.len());
    for (c, outcome) in credits.iter().zip(outcomes) {
        done.push(match outcome {
            Some(o) => o,
            None => credit_payment(tx, c).await?,
        });
    }
    Ok(done)
}

/// `credit_payments` on PostgreSQL: `CREDIT_PAYMENT_POSTGRES` over a set of
/// payments (`$1`, a JSON array; their transaction ids, references and
/// deposits are distinct). Each step still reads only what the step before it
/// RETURNED, row by row: no entry without a new claim, no balance or deposit
/// change without a new entry; the balances move by the sum of each user's
/// new entries. One row per payment tells what happened to it. The
/// `= ANY (ARRAY(...))` beside each join lets the planner probe the primary
/// key: it cannot see how few rows the JSON holds, and would otherwise scan
/// a table not yet analyzed (a young database) whole, for every batch.
const CREDIT_PAYMENTS_POSTGRES: &str = "WITH input AS MATERIALIZED (
        SELECT * FROM json_to_recordset($1::json) AS v(ord bigint, transaction_id text, postback_id bigint, kind text,
            deposit_id text, user_id bigint, amount_paise bigint, currency text, order_ref text, label text, flags text,
            reference text, memo text, credited_detail text, duplicate_detail text)
    ), claim AS (
        INSERT INTO provider_payments (transaction_id, postback_id, kind, deposit_id, user_id, amount_paise, currency, order_ref, label, status, reason, flags, created_at)
        SELECT transaction_id, postback_id, kind, deposit_id, user_id, amount_paise, currency, order_ref, label, 'credited', '', flags, $2
        FROM input ORDER BY ord
        ON CONFLICT (transaction_id) DO NOTHING
        RETURNING transaction_id
    ), entry AS (
        INSERT INTO ledger_entries (user_id, bucket, amount_paise, kind, reference, memo, created_at)
        SELECT i.user_id, 'available', i.amount_paise, 'deposit_credit', i.reference, i.memo, $2
        FROM input i JOIN claim c ON c.transaction_id = i.transaction_id ORDER BY i.ord
        ON CONFLICT (kind, bucket, reference) DO NOTHING
        RETURNING reference
    ), credited AS (
        SELECT i.* FROM input i JOIN entry e ON e.reference = i.reference
    ), moved AS (
        UPDATE users SET available_paise = users.available_paise + t.total
        FROM (SELECT user_id, SUM(amount_paise)::bigint AS total FROM credited GROUP BY user_id) t
        WHERE users.id = t.user_id AND users.id = ANY (ARRAY(SELECT user_id FROM credited))
        RETURNING users.id
    ), deposit AS (
        UPDATE deposits SET
            credited_paise = COALESCE(deposits.credited_paise, 0) + c.amount_paise,
            provider_txn_id = CASE WHEN deposits.status IN ('created', 'pending', 'unknown') THEN c.transaction_id ELSE deposits.provider_txn_id END,
            flags = CASE WHEN deposits.status IN ('created', 'pending', 'unknown') THEN c.flags
                         WHEN deposits.flags = '' THEN 'late_or_extra_payment' ELSE deposits.flags || ',late_or_extra_payment' END,
            next_check_at = CASE WHEN deposits.status IN ('created', 'pending', 'unknown') THEN NULL ELSE deposits.next_check_at END,
            status = CASE WHEN deposits.status IN ('created', 'pending', 'unknown') THEN 'credited' ELSE deposits.status END,
            updated_at = $2
        FROM credited c
        WHERE deposits.id = c.deposit_id AND deposits.id = ANY (ARRAY(SELECT deposit_id FROM credited))
        RETURNING deposits.id, deposits.status, deposits.credited_paise
    ), event AS (
        INSERT INTO deposit_events (deposit_id, at, kind, detail, postback_id)
        SELECT i.deposit_id, $2, 'postback', CASE WHEN c.transaction_id IS NULL THEN i.duplicate_detail ELSE i.credited_detail END, i.postback_id
        FROM input i
        LEFT JOIN claim c ON c.transaction_id = i.transaction_id
        LEFT JOIN entry e ON e.reference = i.reference
        WHERE e.reference IS NOT NULL OR c.transaction_id IS NULL
        ORDER BY i.ord
    )
    SELECT i.ord, c.transaction_id IS NOT NULL AS claimed, e.reference IS NOT NULL AS posted,
           EXISTS (SELECT 1 FROM moved m WHERE m.id = i.user_id) AS moved, d.status, d.credited_paise
    FROM input i
    LEFT JOIN claim c ON c.transaction_id = i.transaction_id
    LEFT JOIN entry e ON e.reference = i.reference
    LEFT JOIN deposit d ON d.id = i.deposit_id
    ORDER BY i.ord";

/// A new claim whose entry already exists: harmless if it is the same
/// movement, a bug or an attack otherwise (the caller's transaction aborts).
async fn already_posted(
    tx: &mut AnyConnection,
    user_id: i64,
    amount_paise: i64,
    reference: &str,
) -> Result<PaymentOutcome, LedgerError> {
    let existing = sqlx::query(
        "SELECT user_id, amount_paise FROM ledger_entries WHERE kind = 'deposit_credit' AND bucket = 'available' AND reference = $1",
    )
    .bind(reference)
    .fetch_one(&mut *tx)
    .await?;
    let (uid, amount): (i64, i64) = (existing.try_get("user_id")?, existing.try_get("amount_paise")?);
    if uid != user_id || amount != amount_paise {
        return Err(LedgerError::ConflictingEntry { reference: reference.to_string() });
    }
    Ok(PaymentOutcome::AlreadyPosted)
}

/// `credit_payment` on SQLite, which has no data-modifying CTEs: one
/// statement per step, sent as one text. An open deposit becomes `credited`;
/// a terminal one keeps its status, adds the late payment and is flagged
/// `late_or_extra_payment`. The timeline gets the credit, or the repeat of a
/// claimed transaction id (`$2`, the postback, is on the claim only if it
/// was made now).
const CREDIT_PAYMENT_SQLITE: &str = "
    INSERT INTO provider_payments (transaction_id, postback_id, kind, deposit_id, user_id, amount_paise, currency, order_ref, label, status, reason, flags, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'credited', '', $10, $11)
        ON CONFLICT (transaction_id) DO NOTHING
        RETURNING 'claimed' AS step;
    INSERT INTO ledger_entries (user_id, bucket, amount_paise, kind, reference, memo, created_at)
        SELECT $5, 'available', $6, 'deposit_credit', $12, $13, $11 WHERE changes() = 1
        ON CONFLICT (kind, bucket, reference) DO NOTHING
        RETURNING 'posted' AS step;
    UPDATE users SET available_paise = available_paise + $6 WHERE id = $5 AND changes() = 1
        RETURNING 'moved' AS step;
    UPDATE deposits SET
            credited_paise = COALESCE(credited_paise, 0) + $6,
            provider_txn_id = CASE WHEN status IN ('created', 'pending', 'unknown') THEN $1 ELSE provider_txn_id END,
            flags = CASE WHEN status IN ('created', 'pending', 'unknown') THEN $10
                         WHEN flags = '' THEN 'late_or_extra_payment' ELSE flags || ',late_or_extra_payment' END,
            next_check_at = CASE WHEN status IN ('created', 'pending', 'unknown') THEN NULL ELSE next_check_at END,
            status = CASE WHEN status IN ('created', 'pending', 'unknown') THEN 'credited' ELSE status END,
            updated_at = $11
        WHERE id = $4 AND changes() = 1
        RETURNING 'deposit' AS step, status, credited_paise;
    INSERT INTO deposit_events (deposit_id, at, kind, detail, postback_id)
        SELECT $4, $11, 'postback', CASE WHEN changes() = 1 THEN $14 ELSE $15 END, $2
        WHERE changes() = 1
           OR NOT EXISTS (SELECT 1 FROM provider_payments WHERE transaction_id = $1 AND postback_id = $2);
";

/// `credit_payment` on PostgreSQL: one statement. Every CTE sees the
/// snapshot from before the statement, so each step reads only what the step
/// before it RETURNED: no entry without a new claim, no balance or deposit
/// change without a new entry. The timeline gets the credit, or the repeat
/// of a claimed transaction id. (The deposit's status change fires the NOTIFY
/// trigger of migration 0010.)
const CREDIT_PAYMENT_POSTGRES: &str = "WITH claim AS (
        INSERT INTO provider_payments (transaction_id, postback_id, kind, deposit_id, user_id, amount_paise, currency, order_ref, label, status, reason, flags, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'credited', '', $10, $11)
        ON CONFLICT (transaction_id) DO NOTHING
        RETURNING user_id, amount_paise
    ), entry AS (
        INSERT INTO ledger_entries (user_id, bucket, amount_paise, kind, reference, memo, created_at)
        SELECT user_id, 'available', amount_paise, 'deposit_credit', $12, $13, $11 FROM claim
        ON CONFLICT (kind, bucket, reference) DO NOTHING
        RETURNING user_id, amount_paise
    ), moved AS (
        UPDATE users SET available_paise = users.available_paise + entry.amount_paise
        FROM entry WHERE users.id = entry.user_id
        RETURNING users.id
    ), deposit AS (
        UPDATE deposits SET
            credited_paise = COALESCE(deposits.credited_paise, 0) + entry.amount_paise,
            provider_txn_id = CASE WHEN deposits.status IN ('created', 'pending', 'unknown') THEN $1 ELSE deposits.provider_txn_id END,
            flags = CASE WHEN deposits.status IN ('created', 'pending', 'unknown') THEN $10
                         WHEN deposits.flags = '' THEN 'late_or_extra_payment' ELSE deposits.flags || ',late_or_extra_payment' END,
            next_check_at = CASE WHEN deposits.status IN ('created', 'pending', 'unknown') THEN NULL ELSE deposits.next_check_at END,
            status = CASE WHEN deposits.status IN ('created', 'pending', 'unknown') THEN 'credited' ELSE deposits.status END,
            updated_at = $11
        FROM entry WHERE deposits.id = $4
        RETURNING deposits.status, deposits.credited_paise
    ), event AS (
        INSERT INTO deposit_events (deposit_id, at, kind, detail, postback_id)
        SELECT $4, $11, 'postback', CASE WHEN EXISTS (SELECT 1 FROM claim) THEN $14 ELSE $15 END, $2
        WHERE EXISTS (SELECT 1 FROM entry) OR NOT EXISTS (SELECT 1 FROM claim)
    )
    SELECT (SELECT COUNT(*) FROM claim) AS claimed, (SELECT COUNT(*) FROM entry) AS posted,
           (SELECT COUNT(*) FROM moved) AS moved,
           (SELECT status FROM deposit) AS status, (SELECT credited_paise FROM deposit) AS credited_paise";

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
