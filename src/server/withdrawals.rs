//! IMPS withdrawals: hold, then call; each hold resolves at most once.
//!
//! 1. One transaction places the hold (available -> held, a ledger entry),
//!    writes the withdrawal with our `withdrawal_id` and its `holds` row.
//!    Only then is the provider called.
//! 2. The provider's answer: ok -> `submitted`; a refusal (field error,
//!    insufficient merchant balance) -> `rejected` and the hold released in
//!    one transaction; could not connect -> `failed`, released; no answer
//!    (timeout, a broken answer) -> `unknown`, money stays held.
//! 3. An `unknown` (or a `requested` whose process died before the answer)
//!    is asked again with the *same* `withdrawal_id`, never a new one: "ok"
//!    or "that id is taken" both mean the provider has it. It is resolved by
//!    the withdrawal-result postback or by an admin.
//! 4. Results (signed postbacks, an admin's cancel) resolve a withdrawal
//!    once: the guarded status update, the `holds` row (active -> captured |
//!    released) and a UNIQUE index on the hold's resolving ledger entry each
//!    refuse a second resolution, whatever arrives twice or races.

use super::auth::SessionUser;
use super::db::now_ms;
use super::ledger::{self, LedgerError};
use super::state::AppState;
use crate::domain::{AccountHolder, AccountNumber, Ifsc, Money, WithdrawalStatus};
use crate::paykassma::error::ProviderError;
use crate::paykassma::types::WithdrawalRequest;
use rand::Rng;
use sqlx::{AnyConnection, Row};

/// The statuses in which a withdrawal still holds money.
pub const OPEN: [&str; 3] = ["requested", "submitted", "unknown"];
/// Every status, in lifecycle order (the admin list's filter).
pub const STATUSES: [&str; 7] = ["requested", "submitted", "unknown", "paid", "rejected", "failed", "cancelled"];
const OPEN_SQL: &str = "('requested', 'submitted', 'unknown')";

/// How long a `requested` or `unknown` withdrawal waits before the provider
/// is asked again with the same id: a minute, and always longer than one
/// provider call can take, so a slow first call is never overtaken by its resend.
const RESUBMIT_AFTER_MS: i64 = 60_000;

fn resubmit_after_ms(config: &super::config::Config) -> i64 {
    RESUBMIT_AFTER_MS.max(config.provider_timeout_ms as i64 + 30_000)
}
const RESUBMIT_BATCH: i64 = 50;

/// What happened to a withdrawal, for its timeline.
pub mod event {
    pub const REQUESTED: &str = "requested";
    pub const PROVIDER_ANSWER: &str = "provider_answer";
    pub const RESUBMITTED: &str = "resubmitted";
    pub const POSTBACK: &str = "postback";
    pub const CANCELLED: &str = "cancelled";
    pub const FLAGGED: &str = "flagged";
}

#[derive(Debug, thiserror::Error)]
pub enum WithdrawalError {
    #[error("The amount must be between {min} and {max}.")]
    OutOfRange { min: Money, max: Money },
    #[error("Withdrawals are sent in whole rupees; remove the paise.")]
    WholeRupeesOnly,
    #[error("The amount is more than your available balance.")]
    InsufficientFunds,
    #[error("No such withdrawal.")]
    NotFound,
    #[error("This withdrawal is already {0}: only a withdrawal still waiting for the provider can be cancelled.")]
    NotCancellable(String),
    #[error("This confirmation was already used for a different withdrawal. Start again from the form.")]
    KeyReused,
    #[error("The service is temporarily unavailable. Try again in a moment.")]
    Db(#[from] sqlx::Error),
    /// The hold is committed but what followed failed: the withdrawal exists
    /// (it is asked again with its own id); the user must not start another.
    #[error("Your withdrawal is reserved and being sent; its status shows on the balance page.")]
    HeldPending(String),
}

/// One withdrawal, with its owner's login.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WithdrawalRow {
    pub id: String,
    pub user_id: i64,
    pub login: String,
    pub amount_paise: i64,
    pub account_number: String,
    pub account_name: String,
    pub ifsc: String,
    pub status: String,
    pub provider_status: String,
    pub failure_reason: Option<String>,
    pub flags: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub resolved_at: Option<i64>,
}

const COLUMNS: &str = "w.id, w.user_id, u.login, w.amount_paise, w.account_number, w.account_name, w.ifsc, w.status,
    w.provider_status, w.failure_reason, w.flags, w.created_at, w.updated_at, w.resolved_at";
const FROM: &str = "FROM withdrawals w JOIN users u ON u.id = w.user_id";

/// `wd_` + 20 random characters: unique, unguessable, within the provider's 36.
pub fn new_withdrawal_id() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let mut rng = rand::thread_rng();
    let s: String = (0..20).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect();
    format!("wd_{s}")
}

/// A one-time key for the confirmation form (the same form sent twice is
/// one withdrawal).
pub fn new_request_key() -> String {
    let mut rng = rand::thread_rng();
    (0..24).map(|_| char::from(b"0123456789abcdef"[rng.gen_range(0..16)])).collect()
}

/// Whether `key` looks like one [`new_request_key`] made.
pub fn valid_request_key(key: &str) -> bool {
    key.len() == 24 && key.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The configured range, whole rupees only (the provider's amount is an integer).
pub fn check_amount(config: &super::config::Config, amount: Money) -> Result<(), WithdrawalError> {
    if amount.paise() % 100 != 0 {
        return Err(WithdrawalError::WholeRupeesOnly);
    }
    if amount.paise() < config.withdrawal_min_paise || amount.paise() > config.withdrawal_max_paise {
        return Err(WithdrawalError::OutOfRange {
            min: Money::from_paise(config.withdrawal_min_paise),
            max: Money::from_paise(config.withdrawal_max_paise),
        });
    }
    Ok(())
}

pub async fn find(pool: &sqlx::AnyPool, id: &str) -> Result<Option<WithdrawalRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} {FROM} WHERE w.id = $1")).bind(id).fetch_optional(pool).await
}

/// The user's newest withdrawals.
pub async fn for_user(conn: &mut AnyConnection, user_id: i64, limit: i64) -> Result<Vec<WithdrawalRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} {FROM} WHERE w.user_id = $1 ORDER BY w.created_at DESC, w.id DESC LIMIT {limit}"
    ))
    .bind(user_id)
    .fetch_all(conn)
    .await
}

/// Appends one event to a withdrawal's timeline, inside the caller's transaction.
async fn record_event(
    conn: &mut AnyConnection,
    withdrawal_id: &str,
    kind: &str,
    detail: &str,
    postback_id: Option<i64>,
) -> Result<(), sqlx::Error> {
    super::timeline::insert(conn, super::timeline::Of::Withdrawal(withdrawal_id), kind, detail, postback_id).await
}

/// Places the hold and writes the withdrawal (one transaction), then asks
/// the provider and applies its answer. `request_key` makes a repeated
/// confirmation the same withdrawal: it is answered, never sent twice.
pub async fn request(
    state: &AppState,
    user: &SessionUser,
    draft: &crate::domain::WithdrawFields,
    request_key: &str,
) -> Result<WithdrawalRow, WithdrawalError> {
    check_amount(&state.config, draft.amount)?;
    let id = new_withdrawal_id();
    let now = now_ms();
    let mut tx = state.db.writer().begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO withdrawals (id, user_id, amount_paise, account_number, account_name, ifsc, status,
             created_at, updated_at, request_key, next_submit_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'requested', $7, $7, $8, $9)
         ON CONFLICT (user_id, request_key) DO NOTHING RETURNING id",
    )
    .bind(&id)
    .bind(user.id)
    .bind(draft.amount.paise())
    .bind(draft.account_number.as_str())
    .bind(draft.account_name.as_str())
    .bind(draft.ifsc.as_str())
    .bind(now)
    .bind(request_key)
    .bind(now + resubmit_after_ms(&state.config))
    .fetch_optional(&mut *tx)
    .await?;
    if inserted.is_none() {
        drop(tx);
        let existing: Option<WithdrawalRow> =
            sqlx::query_as(&format!("SELECT {COLUMNS} {FROM} WHERE w.user_id = $1 AND w.request_key = $2"))
                .bind(user.id)
                .bind(request_key)
                .fetch_optional(state.db.pool())
                .await?;
        let same = existing.filter(|w| {
            w.amount_paise == draft.amount.paise()
                && w.account_number == draft.account_number.as_str()
                && w.ifsc == draft.ifsc.as_str()
        });
        return same.ok_or(WithdrawalError::KeyReused);
    }
    let reference = format!("withdrawal:{id}");
    match ledger::hold(&mut tx, user.id, draft.amount.paise(), &reference).await {
        Ok(_) => {}
        // Dropping the transaction takes the withdrawal row back too.
        Err(LedgerError::InsufficientFunds) => return Err(WithdrawalError::InsufficientFunds),
        Err(e) => return Err(WithdrawalError::Db(e.into())),
    }
    sqlx::query(
        "INSERT INTO holds (user_id, withdrawal_id, amount_paise, status, created_at) VALUES ($1, $2, $3, 'active', $4)",
    )
    .bind(user.id)
    .bind(&id)
    .bind(draft.amount.paise())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let detail = format!(
        "{} to {} at {} ({}), held from the available balance",
        draft.amount,
        draft.account_number.masked(),
        draft.ifsc.as_str(),
        draft.account_name.as_str()
    );
    record_event(&mut tx, &id, event::REQUESTED, &detail, None).await?;
    tx.commit().await?;
    tracing::info!(withdrawal_id = %id, user = %user.login, amount_paise = draft.amount.paise(), "withdrawal held");
    super::metrics::withdrawal("requested");

    let held = |e: sqlx::Error| {
        tracing::error!(withdrawal_id = %id, error = %e, "withdrawal held; sending it failed here, the reconciler sends it");
        WithdrawalError::HeldPending(id.clone())
    };
    let row =
        find(state.db.pool(), &id).await.map_err(held)?.ok_or_else(|| WithdrawalError::HeldPending(id.clone()))?;
    submit(state, &row, Attempt::First).await.map_err(held)?;
    find(state.db.pool(), &id).await.map_err(held)?.ok_or_else(|| WithdrawalError::HeldPending(id.clone()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Attempt {
    /// Right after the hold: nothing was sent before.
    First,
    /// The same withdrawal_id again: an earlier attempt may have arrived.
    Again,
}

/// What the provider's answer to a create means for the withdrawal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerMeaning {
    /// The provider has it: wait for the result postback.
    Submitted(String),
    /// The provider refused it: release the hold.
    Refused(String),
    /// It never reached the provider: release the hold.
    NotSent(String),
    /// No usable answer: it may or may not be there. Money stays held.
    Unknown(String),
}

/// Reads a create answer. A field error on `withdrawal_id` means the id is
/// taken: the provider already has this withdrawal (an earlier attempt).
pub fn answer_meaning(answer: &Result<(), ProviderError>) -> AnswerMeaning {
    match answer {
        Ok(()) => AnswerMeaning::Submitted("accepted by the provider".into()),
        Err(ProviderError::Rejected { fields, .. })
            if fields.iter().any(|(f, m)| f == "withdrawal_id" && says_taken(m)) =>
        {
            AnswerMeaning::Submitted("the provider already has this withdrawal id (an earlier attempt arrived)".into())
        }
        Err(
            e
            @ (ProviderError::Rejected { .. } | ProviderError::InsufficientBalance | ProviderError::InvalidRequest(_)),
        ) => AnswerMeaning::Refused(e.user_message()),
        Err(e @ ProviderError::Unreachable(_)) => AnswerMeaning::NotSent(e.user_message()),
        Err(e) => AnswerMeaning::Unknown(e.user_message()),
    }
}

/// Whether the provider's messages on `withdrawal_id` say the id is in use
/// (any other complaint about it is a refusal).
fn says_taken(messages: &[String]) -> bool {
    messages.iter().any(|m| {
        let m = m.to_ascii_lowercase();
        m.contains("taken") || m.contains("already") || m.contains("exist")
    })
}

/// Sends (or sends again, same id) the create request and applies the answer.
async fn submit(state: &AppState, w: &WithdrawalRow, attempt: Attempt) -> Result<(), sqlx::Error> {
    let request =
        match (AccountNumber::parse(&w.account_number), AccountHolder::parse(&w.account_name), Ifsc::parse(&w.ifsc)) {
            (Ok(account_number), Ok(account_name), Ok(ifsc)) => Ok(WithdrawalRequest {
                withdrawal_id: w.id.clone(),
                amount_paise: w.amount_paise,
                label: w.login.clone(),
                account_number,
                account_name,
                ifsc,
                is_test: !state.config.provider_env.is_live(),
            }),
            _ => Err(ProviderError::InvalidRequest("the stored bank details are not valid".into())),
        };
    let answer = match request {
        Ok(r) => state.provider.create_withdrawal(&r).await,
        Err(e) => Err(e),
    };
    let meaning = answer_meaning(&answer);
    tracing::info!(withdrawal_id = %w.id, ?attempt, meaning = ?meaning, "withdrawal create answered");
    let mut tx = state.db.writer().begin().await?;
    let now = now_ms();
    let event_kind = if attempt == Attempt::First { event::PROVIDER_ANSWER } else { event::RESUBMITTED };
    match (&meaning, attempt) {
        (AnswerMeaning::Submitted(why), _) => {
            let moved = sqlx::query(
                "UPDATE withdrawals SET status = 'submitted', provider_status = 'accepted', updated_at = $1, next_submit_at = NULL
                 WHERE id = $2 AND status IN ('requested', 'unknown')",
            )
            .bind(now)
            .bind(&w.id)
            .execute(&mut *tx)
            .await?;
            if moved.rows_affected() == 1 {
                record_event(&mut tx, &w.id, event_kind, why, None).await?;
            }
        }
        (AnswerMeaning::Refused(why), Attempt::First) => {
            // A result postback may have resolved it already: then it stays as it is.
            if settle(&mut tx, &w.id, Settle::ReleaseRequested { status: "rejected", reason: why }).await?
                == Settled::Now
            {
                record_event(&mut tx, &w.id, event_kind, &format!("refused: {why} The hold was released."), None)
                    .await?;
            }
        }
        (AnswerMeaning::NotSent(why), Attempt::First) => {
            if settle(&mut tx, &w.id, Settle::ReleaseRequested { status: "failed", reason: why }).await? == Settled::Now
            {
                record_event(&mut tx, &w.id, event_kind, &format!("not sent: {why} The hold was released."), None)
                    .await?;
            }
        }
        (AnswerMeaning::Unknown(why), _)
        | (AnswerMeaning::Refused(why) | AnswerMeaning::NotSent(why), Attempt::Again) => {
            // An earlier attempt may have arrived: only the result postback or
            // an admin decides. Ask again later with the same id.
            let moved = sqlx::query(
                "UPDATE withdrawals SET status = 'unknown', provider_status = $1, updated_at = $2, next_submit_at = $3
                 WHERE id = $4 AND status IN ('requested', 'unknown')",
            )
            .bind(truncate(why, 200))
            .bind(now)
            .bind(now + resubmit_after_ms(&state.config))
            .bind(&w.id)
            .execute(&mut *tx)
            .await?;
            if moved.rows_affected() == 1 {
                record_event(
                    &mut tx,
                    &w.id,
                    event_kind,
                    &format!("no decisive answer: {why} The money stays held."),
                    None,
                )
                .await?;
            }
        }
    }
    tx.commit().await?;
    super::metrics::withdrawal(match meaning {
        AnswerMeaning::Submitted(_) => "submitted",
        AnswerMeaning::Refused(_) if attempt == Attempt::First => "rejected",
        AnswerMeaning::NotSent(_) if attempt == Attempt::First => "failed",
        _ => "unknown",
    });
    Ok(())
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// Asks the provider again, with the same id, about withdrawals it never
/// answered (`unknown`, or `requested` whose process died before the
/// answer). Each is claimed by moving its `next_submit_at`, so two processes
/// never send the same one at once.
pub async fn resubmit_due(state: &AppState) -> Result<u64, sqlx::Error> {
    let now = now_ms();
    let due: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT id FROM withdrawals WHERE status IN ('requested', 'unknown') AND next_submit_at <= $1
         ORDER BY next_submit_at LIMIT {RESUBMIT_BATCH}"
    ))
    .bind(now)
    .fetch_all(state.db.pool())
    .await?;
    let mut sent = 0;
    for id in due {
        let now = now_ms();
        let claimed = sqlx::query(
            "UPDATE withdrawals SET next_submit_at = $1 WHERE id = $2 AND status IN ('requested', 'unknown') AND next_submit_at <= $3",
        )
        .bind(now + resubmit_after_ms(&state.config))
        .bind(&id)
        .bind(now)
        .execute(state.db.writer())
        .await?;
        if claimed.rows_affected() != 1 {
            continue;
        }
        // Settled since it was claimed (a result, an admin's cancel): never sent again.
        match find(state.db.pool(), &id).await? {
            Some(w) if matches!(w.status.as_str(), "requested" | "unknown") => {
                submit(state, &w, Attempt::Again).await?;
                sent += 1;
            }
            _ => {}
        }
    }
    if sent > 0 {
        tracing::info!(sent, "withdrawals asked again with the same id");
    }
    Ok(sent)
}

/// How an open withdrawal ends.
#[derive(Debug, Clone, Copy)]
pub enum Settle<'a> {
    /// The money left: the hold becomes a payout.
    Paid,
    /// The money comes back: the hold is released; `status` is rejected,
    /// failed or cancelled; `reason` is what its owner reads.
    Release { status: &'static str, reason: &'a str },
    /// The first create call was refused or never arrived: released only if
    /// nothing else (a resend the provider took, a "pending" postback) moved
    /// the withdrawal on from `requested` meanwhile.
    ReleaseRequested { status: &'static str, reason: &'a str },
}

/// Whether [`settle`] resolved the withdrawal now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    Now,
    /// It was resolved before (or is not there); its status then.
    Already(Option<String>),
}

/// Resolves an open withdrawal inside the caller's transaction: the guarded
/// status change, the hold (active -> captured | released) and the ledger
/// entry, all or nothing.
pub async fn settle(tx: &mut AnyConnection, withdrawal_id: &str, how: Settle<'_>) -> Result<Settled, sqlx::Error> {
    let now = now_ms();
    let (status, reason, from) = match how {
        Settle::Paid => ("paid", None, OPEN_SQL),
        Settle::Release { status, reason } => (status, Some(truncate(reason, 500)), OPEN_SQL),
        Settle::ReleaseRequested { status, reason } => (status, Some(truncate(reason, 500)), "('requested')"),
    };
    let claimed = sqlx::query(&format!(
        "UPDATE withdrawals SET status = $1, failure_reason = COALESCE($2, failure_reason), updated_at = $3,
             resolved_at = $3, next_submit_at = NULL
         WHERE id = $4 AND status IN {from} RETURNING user_id, amount_paise"
    ))
    .bind(status)
    .bind(reason)
    .bind(now)
    .bind(withdrawal_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(claimed) = claimed else {
        let current: Option<String> = sqlx::query_scalar("SELECT status FROM withdrawals WHERE id = $1")
            .bind(withdrawal_id)
            .fetch_optional(&mut *tx)
            .await?;
        return Ok(Settled::Already(current));
    };
    let (user_id, amount): (i64, i64) = (claimed.try_get("user_id")?, claimed.try_get("amount_paise")?);
    let hold_status = if matches!(how, Settle::Paid) { "captured" } else { "released" };
    let hold = sqlx::query(
        "UPDATE holds SET status = $1, resolved_at = $2 WHERE withdrawal_id = $3 AND status = 'active' AND amount_paise = $4",
    )
    .bind(hold_status)
    .bind(now)
    .bind(withdrawal_id)
    .bind(amount)
    .execute(&mut *tx)
    .await?;
    if hold.rows_affected() != 1 {
        return Err(sqlx::Error::Protocol(format!("withdrawal {withdrawal_id} has no active hold of {amount} paise")));
    }
    let reference = format!("withdrawal:{withdrawal_id}");
    match how {
        Settle::Paid => ledger::payout(tx, user_id, amount, &reference).await?,
        Settle::Release { status, .. } | Settle::ReleaseRequested { status, .. } => {
            ledger::release(tx, user_id, amount, &reference, status).await?
        }
    };
    Ok(Settled::Now)
}

/// The verdict's start for a result about a withdrawal we never made.
pub const NOT_OURS: &str = "review: no withdrawal of ours has the signed withdrawal_id";

/// What a signed withdrawal result did, as the postback's item verdict.
pub async fn apply_result(
    tx: &mut AnyConnection,
    withdrawal_id: &str,
    wire_status: Option<i64>,
    signed_amount_paise: i64,
    postback_id: i64,
) -> Result<String, sqlx::Error> {
    let row: Option<(String, i64)> = sqlx::query("SELECT status, amount_paise FROM withdrawals WHERE id = $1")
        .bind(withdrawal_id)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| Ok::<_, sqlx::Error>((r.try_get("status")?, r.try_get("amount_paise")?)))
        .transpose()?;
    let Some((current, amount)) = row else {
        return Ok(format!("{NOT_OURS} {withdrawal_id}"));
    };
    let status = wire_status.and_then(WithdrawalStatus::from_wire);
    if amount != signed_amount_paise && status.is_some_and(|s| s.is_decided()) {
        let detail = format!(
            "the signed amount {} differs from the withdrawal's {}: nothing was changed",
            Money::from_paise(signed_amount_paise),
            Money::from_paise(amount)
        );
        flag(tx, withdrawal_id, "amount_mismatch", &detail, postback_id).await?;
        return Ok(format!("review: withdrawal {withdrawal_id}: {detail}"));
    }
    let open = OPEN.contains(&current.as_str());
    match status {
        Some(WithdrawalStatus::Paid) => match settle(tx, withdrawal_id, Settle::Paid).await? {
            Settled::Now => {
                record_event(tx, withdrawal_id, event::POSTBACK, "paid: the hold became a payout", Some(postback_id))
                    .await?;
                Ok("withdrawal_paid".into())
            }
            Settled::Already(Some(s)) if s == "paid" => {
                record_event(
                    tx,
                    withdrawal_id,
                    event::POSTBACK,
                    "paid again (duplicate): nothing changed",
                    Some(postback_id),
                )
                .await?;
                Ok("duplicate".into())
            }
            Settled::Already(s) => {
                let s = s.unwrap_or_default();
                let detail = format!(
                    "the provider reports it paid, but it was already {s} and its hold released: an admin must recover the payout"
                );
                flag(tx, withdrawal_id, &format!("paid_after_{s}"), &detail, postback_id).await?;
                Ok(format!("review: withdrawal {withdrawal_id}: {detail}"))
            }
        },
        Some(WithdrawalStatus::Rejected) => {
            let reason = "rejected or cancelled by the provider";
            match settle(tx, withdrawal_id, Settle::Release { status: "rejected", reason }).await? {
                Settled::Now => {
                    record_event(
                        tx,
                        withdrawal_id,
                        event::POSTBACK,
                        "rejected: the hold was released",
                        Some(postback_id),
                    )
                    .await?;
                    Ok("withdrawal_rejected".into())
                }
                Settled::Already(Some(s)) if s != "paid" => {
                    let detail = format!("rejected again (already {s}): nothing changed");
                    record_event(tx, withdrawal_id, event::POSTBACK, &detail, Some(postback_id)).await?;
                    Ok("duplicate".into())
                }
                Settled::Already(_) => {
                    let detail = "the provider reports it rejected, but it was already paid: nothing was changed";
                    flag(tx, withdrawal_id, "rejected_after_paid", detail, postback_id).await?;
                    Ok(format!("review: withdrawal {withdrawal_id}: {detail}"))
                }
            }
        }
        Some(WithdrawalStatus::Pending) | None => {
            let told = wire_status.map(|n| n.to_string()).unwrap_or_else(|| "none".into());
            if !open {
                record_event(
                    tx,
                    withdrawal_id,
                    event::POSTBACK,
                    &format!("status {told} after it was {current}: nothing changed"),
                    Some(postback_id),
                )
                .await?;
                return Ok("duplicate".into());
            }
            if status.is_none() {
                let detail =
                    format!("the provider reports status {told}, which is not paid (1) or rejected (5): still pending");
                flag(tx, withdrawal_id, "unknown_provider_status", &detail, postback_id).await?;
            } else {
                record_event(tx, withdrawal_id, event::POSTBACK, "pending at the provider", Some(postback_id)).await?;
            }
            sqlx::query(
                "UPDATE withdrawals SET status = 'submitted', provider_status = $1, updated_at = $2, next_submit_at = NULL
                 WHERE id = $3 AND status IN ('requested', 'unknown', 'submitted')",
            )
            .bind(format!("postback status {told}"))
            .bind(now_ms())
            .bind(withdrawal_id)
            .execute(&mut *tx)
            .await?;
            Ok("withdrawal_pending".into())
        }
    }
}

async fn flag(
    tx: &mut AnyConnection,
    withdrawal_id: &str,
    flag: &str,
    detail: &str,
    postback_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE withdrawals SET flags = CASE WHEN flags = '' THEN $1
                 WHEN (',' || flags || ',') LIKE ('%,' || $1 || ',%') THEN flags ELSE flags || ',' || $1 END,
             updated_at = $2
         WHERE id = $3",
    )
    .bind(flag)
    .bind(now_ms())
    .bind(withdrawal_id)
    .execute(&mut *tx)
    .await?;
    record_event(tx, withdrawal_id, event::FLAGGED, detail, Some(postback_id)).await
}

/// An admin cancels a withdrawal still waiting for the provider: the hold is
/// released and the action audited, in one transaction. It locks the
/// withdrawal, then its owner's balance; a batch of postbacks locks balances
/// first (`group_commit`), so on PostgreSQL the two can deadlock. The one
/// PostgreSQL aborts committed nothing, and a cancel that lost runs again
/// (`group_commit::retry_lost_deadlocks`) instead of answering "unavailable".
pub async fn cancel(
    db: &super::db::Db,
    admin_id: i64,
    withdrawal_id: &str,
    reason: &str,
) -> Result<WithdrawalRow, WithdrawalError> {
    super::group_commit::retry_lost_deadlocks(
        &format!("the cancel of withdrawal {withdrawal_id}"),
        || cancel_once(db, admin_id, withdrawal_id, reason),
        |e| match e {
            WithdrawalError::Db(e) => Some(e),
            _ => None,
        },
    )
    .await
}

async fn cancel_once(
    db: &super::db::Db,
    admin_id: i64,
    withdrawal_id: &str,
    reason: &str,
) -> Result<WithdrawalRow, WithdrawalError> {
    let mut tx = db.writer().begin().await?;
    let before: Option<String> = sqlx::query_scalar("SELECT status FROM withdrawals WHERE id = $1")
        .bind(withdrawal_id)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(before) = before else { return Err(WithdrawalError::NotFound) };
    let why = format!("cancelled by an admin: {reason}");
    // The owner reads a neutral sentence; the admin's reason stays in the timeline and the audit.
    let shown = "Cancelled by support. The amount is back in your available balance.";
    match settle(&mut tx, withdrawal_id, Settle::Release { status: "cancelled", reason: shown }).await? {
        Settled::Now => {}
        Settled::Already(s) => return Err(WithdrawalError::NotCancellable(s.unwrap_or_default())),
    }
    record_event(&mut tx, withdrawal_id, event::CANCELLED, &format!("{why}. The hold was released."), None).await?;
    let before_state = serde_json::json!({"status": before}).to_string();
    let after_state = serde_json::json!({"status": "cancelled", "reason": reason}).to_string();
    super::audit::record(
        &mut tx,
        super::audit::Action {
            admin_id,
            action: "cancel_withdrawal",
            target: &format!("withdrawal:{withdrawal_id}"),
            detail: reason,
            before: &before_state,
            after: &after_state,
        },
    )
    .await?;
    tx.commit().await?;
    super::metrics::withdrawal("cancelled");
    tracing::info!(withdrawal_id, admin_id, "withdrawal cancelled by an admin");
    find(db.pool(), withdrawal_id).await?.ok_or(WithdrawalError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_keys_have_their_shape() {
        let id = new_withdrawal_id();
        assert!(id.starts_with("wd_") && id.len() == 23 && id.len() <= 36);
        assert_ne!(new_withdrawal_id(), id);
        let key = new_request_key();
        assert!(valid_request_key(&key));
        assert!(!valid_request_key("short"));
        assert!(!valid_request_key(&"z".repeat(24)));
    }

    #[test]
    fn answers_decide_only_what_they_can() {
        let taken = ProviderError::Rejected {
            message: String::new(),
            fields: vec![("withdrawal_id".into(), vec!["The withdrawal id has already been taken.".into()])],
        };
        assert!(matches!(answer_meaning(&Err(taken)), AnswerMeaning::Submitted(_)));
        assert!(matches!(answer_meaning(&Ok(())), AnswerMeaning::Submitted(_)));
        let bad_id = ProviderError::Rejected {
            message: String::new(),
            fields: vec![("withdrawal_id".into(), vec!["The withdrawal id format is invalid.".into()])],
        };
        assert!(
            matches!(answer_meaning(&Err(bad_id)), AnswerMeaning::Refused(_)),
            "only 'taken' means the provider has it"
        );
        let ifsc = ProviderError::Rejected { message: String::new(), fields: vec![("bank_code".into(), vec![])] };
        assert!(matches!(answer_meaning(&Err(ifsc)), AnswerMeaning::Refused(_)));
        assert!(matches!(answer_meaning(&Err(ProviderError::InsufficientBalance)), AnswerMeaning::Refused(_)));
        assert!(matches!(answer_meaning(&Err(ProviderError::Unreachable("x".into()))), AnswerMeaning::NotSent(_)));
        for unknown in [
            ProviderError::Timeout,
            ProviderError::Http { status: 502 },
            ProviderError::NotJson { status: 0, snippet: String::new() },
        ] {
            assert!(matches!(answer_meaning(&Err(unknown)), AnswerMeaning::Unknown(_)));
        }
    }
}
