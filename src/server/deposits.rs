//! Deposit lifecycle: created -> pending -> credited | failed | expired
//! (`unknown` when the provider did not answer the create call).
//! The row is written before the provider is called, so nothing is lost if
//! the call hangs; every status change is conditional, so terminal states stay.

use super::auth::SessionUser;
use super::db::now_ms;
use super::events::DepositEvent;
use super::state::AppState;
use crate::domain::{DepositStatus, Money, PayMethod};
use crate::paykassma::deeplink::parse_upi_uri;
use crate::paykassma::plugin::{Lang, PluginLink, ReturnTargets};
use crate::paykassma::types::{CreatePayment, PaymentStatus};
use crate::views::LiveStatus;
use rand::Rng;

#[derive(Debug, thiserror::Error)]
pub enum DepositError {
    #[error("The amount must be between {min} and {max}.")]
    OutOfRange { min: Money, max: Money },
    #[error("The payment window takes whole rupees; remove the paise or pay by QR.")]
    WholeRupeesOnly,
    #[error("You already have {0} payments waiting. Finish or let one expire first.")]
    TooManyOpen(i64),
    #[error("No such deposit.")]
    NotFound,
    #[error("Please wait a few seconds before checking again.")]
    CheckTooSoon,
    #[error("The service is temporarily unavailable. Try again in a moment.")]
    Db(#[from] sqlx::Error),
}

pub const MAX_OPEN_DEPOSITS: i64 = 5;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DepositRow {
    pub id: String,
    pub user_id: i64,
    pub login: String,
    pub amount_paise: i64,
    #[sqlx(try_from = "String")]
    pub method: PayMethod,
    #[sqlx(try_from = "String")]
    pub status: DepositStatus,
    pub order_id: Option<String>,
    pub qr_data: Option<String>,
    pub failure_reason: Option<String>,
    pub credited_paise: Option<i64>,
    pub provider_txn_id: Option<String>,
    pub flags: String,
    pub created_at: i64,
    pub expires_at: i64,
}

impl DepositRow {
    /// What the live status shows for this deposit.
    pub fn live(&self) -> LiveStatus {
        LiveStatus { status: self.status, credited_paise: self.credited_paise, message: self.failure_reason.clone() }
    }
}

/// Every column of [`DepositRow`], by name, from `deposits d JOIN users u`.
const COLUMNS: &str = "d.id, d.user_id, u.login, d.amount_paise, d.method, d.status, d.order_id, d.qr_data,
    d.failure_reason, d.credited_paise, d.provider_txn_id, d.flags, d.created_at, d.expires_at";
const FROM: &str = "FROM deposits d JOIN users u ON u.id = d.user_id";

/// `dep_` + 20 random characters: unique, unguessable, within the provider's 190.
pub fn new_deposit_id() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let mut rng = rand::thread_rng();
    let s: String = (0..20).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect();
    format!("dep_{s}")
}

pub async fn find(state: &AppState, id: &str) -> Result<Option<DepositRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} {FROM} WHERE d.id = $1")).bind(id).fetch_optional(state.db.pool()).await
}

/// The deposit if `user` may see it (its owner or an admin).
pub async fn find_for(state: &AppState, user: &SessionUser, id: &str) -> Result<DepositRow, DepositError> {
    match find(state, id).await? {
        Some(d) if d.user_id == user.id || user.is_admin => Ok(d),
        _ => Err(DepositError::NotFound),
    }
}

pub async fn list_open(conn: &mut sqlx::AnyConnection, user_id: i64) -> Result<Vec<DepositRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} {FROM} WHERE d.user_id = $1 AND d.status IN ('created', 'pending', 'unknown')
         ORDER BY d.created_at DESC LIMIT 20"
    ))
    .bind(user_id)
    .fetch_all(conn)
    .await
}

/// Creates a deposit and, for the QR method, the provider's order.
/// A provider failure leaves a failed (or unknown) deposit with a readable reason.
pub async fn create(
    state: &AppState,
    user: &SessionUser,
    amount: Money,
    method: PayMethod,
) -> Result<DepositRow, DepositError> {
    let cfg = &state.config;
    if amount.paise() < cfg.deposit_min_paise || amount.paise() > cfg.deposit_max_paise {
        return Err(DepositError::OutOfRange {
            min: Money::from_paise(cfg.deposit_min_paise),
            max: Money::from_paise(cfg.deposit_max_paise),
        });
    }
    if method == PayMethod::Window && amount.paise() % 100 != 0 {
        return Err(DepositError::WholeRupeesOnly);
    }
    let now = now_ms();
    let id = new_deposit_id();
    if !insert_within_cap(state, user.id, &id, amount, method, now).await? {
        return Err(DepositError::TooManyOpen(MAX_OPEN_DEPOSITS));
    }
    tracing::info!(deposit = %id, user = %user.login, amount = amount.paise(), method = method.as_str(), "deposit created");

    let answer = |detail: String| {
        let db = state.db.clone();
        let id = id.clone();
        async move {
            if let Err(e) =
                super::timeline::record_alone(&db, &id, super::timeline::kind::PROVIDER_ANSWER, &detail).await
            {
                tracing::warn!(deposit = %id, error = %e, "timeline entry not written");
            }
        }
    };
    match method {
        PayMethod::Window => {
            set_status(state, &id, DepositStatus::Pending, None, None, None, None).await?;
            answer("payment window: the provider is first called when the user opens it".into()).await;
        }
        PayMethod::Qr => {
            let request = CreatePayment {
                amount_paise: amount.paise(),
                label: user.login.clone(),
                custom_transaction_id: id.clone(),
            };
            match state.provider.create_upi_payment(&request).await {
                Ok(created) => match parse_upi_uri(&created.qr_data) {
                    Ok(uri) if uri.amount_paise == amount.paise() => {
                        set_status(
                            state,
                            &id,
                            DepositStatus::Pending,
                            Some(&created.order_id),
                            Some(&created.qr_data),
                            None,
                            None,
                        )
                        .await?;
                        answer(format!("order {} created, UPI link for {}", created.order_id, amount)).await;
                    }
                    Ok(uri) => {
                        let reason = format!(
                            "The provider's payment link asks for {} instead of {}; the deposit was stopped.",
                            Money::from_paise(uri.amount_paise),
                            amount
                        );
                        tracing::warn!(deposit = %id, "provider qr_data amount differs");
                        set_status(
                            state,
                            &id,
                            DepositStatus::Failed,
                            Some(&created.order_id),
                            None,
                            Some(&reason),
                            None,
                        )
                        .await?;
                        answer(format!("order {}: {reason}", created.order_id)).await;
                    }
                    Err(e) => {
                        tracing::warn!(deposit = %id, error = %e, "provider returned an invalid UPI link");
                        let reason = "The provider returned an invalid payment link. Please try again.";
                        set_status(
                            state,
                            &id,
                            DepositStatus::Failed,
                            Some(&created.order_id),
                            None,
                            Some(reason),
                            None,
                        )
                        .await?;
                        answer(format!("order {}: {reason}", created.order_id)).await;
                    }
                },
                Err(e) => {
                    let reason = e.user_message();
                    let status = if e.outcome_unknown() { DepositStatus::Unknown } else { DepositStatus::Failed };
                    tracing::warn!(deposit = %id, error = %e, status = status.as_str(), "provider refused or did not answer the deposit");
                    set_status(state, &id, status, None, None, Some(&reason), None).await?;
                    let how = if e.outcome_unknown() { "no clear answer" } else { "refused" };
                    answer(format!("{how}: {reason}")).await;
                }
            }
        }
    }
    find(state, &id).await?.ok_or(DepositError::NotFound)
}

/// How long a `created` deposit is left alone: its create call may still be
/// on its way to the provider.
fn create_grace_ms(state: &AppState) -> i64 {
    state.config.provider_timeout_ms as i64 + 5_000
}

/// Writes the deposit row unless the user already has MAX_OPEN_DEPOSITS open
/// ones: the count and the insert are one statement on the writer (SQLite runs
/// it alone), and on PostgreSQL the user's row is locked first, so concurrent
/// requests (from any process) cannot all pass the count.
async fn insert_within_cap(
    state: &AppState,
    user_id: i64,
    id: &str,
    amount: Money,
    method: PayMethod,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut tx = state.db.writer().begin().await?;
    if state.db.backend == super::db::Backend::Postgres {
        sqlx::query("SELECT id FROM users WHERE id = $1 FOR UPDATE").bind(user_id).fetch_optional(&mut *tx).await?;
    }
    let inserted = sqlx::query(
        "INSERT INTO deposits (id, user_id, amount_paise, method, status, created_at, updated_at, expires_at, next_check_at)
         SELECT $1, $2, $3, $4, 'created', $5, $5, $6, $7
         WHERE (SELECT COUNT(*) FROM deposits
                WHERE user_id = $2 AND status IN ('created', 'pending', 'unknown') AND expires_at > $5) < $8",
    )
    .bind(id)
    .bind(user_id)
    .bind(amount.paise())
    .bind(method.as_str())
    .bind(now)
    .bind(now + state.config.deposit_ttl_secs * 1000)
    .bind(now + create_grace_ms(state))
    .bind(MAX_OPEN_DEPOSITS)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        > 0;
    if inserted {
        let detail = format!("{} by {}", amount, method.as_str());
        super::timeline::record(&mut tx, id, super::timeline::kind::CREATED, &detail, None).await?;
    }
    tx.commit().await?;
    Ok(inserted)
}

/// Moves a non-terminal deposit to `status`; a terminal one is left alone.
/// `event`: a line of the deposit's history (kind, detail) written in the
/// same transaction, only if the status did change.
async fn set_status(
    state: &AppState,
    id: &str,
    status: DepositStatus,
    order_id: Option<&str>,
    qr_data: Option<&str>,
    reason: Option<&str>,
    event: Option<(&str, &str)>,
) -> Result<bool, sqlx::Error> {
    let now = now_ms();
    let mut tx = state.db.writer().begin().await?;
    let r = sqlx::query(
        "UPDATE deposits SET status = $1, order_id = COALESCE($2, order_id), qr_data = COALESCE($3, qr_data),
             failure_reason = COALESCE($4, failure_reason), updated_at = $5,
             next_check_at = CASE WHEN $1 IN ('credited', 'failed', 'expired') THEN NULL
                                  WHEN $1 = 'pending' AND status = 'created' THEN $5 + $7 ELSE next_check_at END
         WHERE id = $6 AND status IN ('created', 'pending', 'unknown')",
    )
    .bind(status.as_str())
    .bind(order_id)
    .bind(qr_data)
    .bind(reason)
    .bind(now)
    .bind(id)
    .bind(backoff_ms(state.config.status_check_interval_secs, 0))
    .execute(&mut *tx)
    .await?;
    let changed = r.rows_affected() > 0;
    if changed && let Some((kind, detail)) = event {
        super::timeline::record(&mut tx, id, kind, detail, None).await?;
    }
    tx.commit().await?;
    if changed {
        state.events.publish(DepositEvent { deposit_id: id.to_string(), status, credited_paise: None });
    }
    Ok(changed)
}

/// The payment-window link for a deposit (the provider's plugin page).
pub fn window_url(state: &AppState, d: &DepositRow, lang: Lang) -> String {
    PluginLink {
        base_url: state.config.plugin_url.clone(),
        label: d.login.clone(),
        custom_transaction_id: d.id.clone(),
        fixed_amount_rupees: d.amount_paise / 100,
        lang,
        return_targets: ReturnTargets::None,
    }
    .to_url()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckOutcome {
    Unchanged(DepositStatus),
    Changed(DepositStatus),
    /// The provider says paid; the postback will credit it.
    PaidAwaitingPostback,
}

/// What one status check did: its outcome, the provider's answer in a few
/// words (the deposit's history keeps it) and whether it flagged the deposit.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Checked {
    outcome: CheckOutcome,
    answer: String,
    flagged: bool,
}

impl Checked {
    fn new(outcome: CheckOutcome, answer: impl Into<String>) -> Checked {
        Checked { outcome, answer: answer.into(), flagged: false }
    }

    fn changed_or_not(changed: bool, status: DepositStatus, was: DepositStatus, answer: &str) -> Checked {
        let outcome = if changed { CheckOutcome::Changed(status) } else { CheckOutcome::Unchanged(was) };
        Checked::new(outcome, answer)
    }
}

/// A provider error in a few words for the deposit's history: the kind of
/// failure only, never the provider's text (it could echo a request).
fn error_words(e: &crate::paykassma::error::ProviderError) -> String {
    use crate::paykassma::error::ProviderError as E;
    let words = match e {
        E::Timeout => "timeout".to_string(),
        E::Unreachable(_) => "unreachable".to_string(),
        E::Rejected { .. } | E::InsufficientBalance => "refused".to_string(),
        E::BadSecret => "secret not accepted".to_string(),
        E::NotJson { .. } => "unreadable answer".to_string(),
        E::Http { status } => format!("http {status}"),
        E::InvalidRequest(_) => "invalid request".to_string(),
    };
    format!("error: {words}")
}

/// One process at a time checks a deposit: the check holds the deposit's
/// lease (columns `lease_until`, `lease_token`), taken by a conditional
/// UPDATE that any process sharing the database respects. It lasts one
/// provider call plus a margin, so a holder that died frees the deposit.
struct Lease {
    token: String,
    /// `check_count` when the lease was taken (the backoff).
    check_count: i64,
}

/// 20 random characters: which check holds a lease (its last write is fenced by it).
fn lease_token() -> String {
    new_deposit_id().split_off(4)
}

fn lease_ms(state: &AppState) -> i64 {
    state.config.provider_timeout_ms as i64 + 30_000
}

/// Which checks may take a deposit's lease.
#[derive(Clone, Copy)]
enum Claim {
    /// The reconciler: only while the deposit is due (`next_check_at` passed).
    Due,
    /// "Check now": at most once per STATUS_CHECK_INTERVAL_SECONDS per deposit.
    Asked,
}

async fn take_lease(state: &AppState, id: &str, claim: Claim) -> Result<Option<Lease>, sqlx::Error> {
    let now = now_ms();
    let token = lease_token();
    let (condition, bound) = match claim {
        Claim::Due => ("next_check_at <= $4", now),
        Claim::Asked => (
            "(last_check_at IS NULL OR last_check_at <= $4)",
            now - state.config.status_check_interval_secs.max(1) * 1000,
        ),
    };
    let taken: Option<i64> = sqlx::query_scalar(&format!(
        "UPDATE deposits SET lease_until = $1, lease_token = $2, last_check_at = $3
         WHERE id = $5 AND status IN ('created', 'pending', 'unknown')
           AND (lease_until IS NULL OR lease_until <= $3) AND {condition}
         RETURNING check_count"
    ))
    .bind(now + lease_ms(state))
    .bind(&token)
    .bind(now)
    .bind(bound)
    .bind(id)
    .fetch_optional(state.db.writer())
    .await?;
    Ok(taken.map(|check_count| Lease { token, check_count }))
}

/// Ends a check: its line in the deposit's history, the next check's time
/// (backing off after a check that changed nothing) and the lease given
/// back, in one transaction. The schedule is written only while the lease
/// is still ours (a check that outlived it lost the deposit to another).
async fn finish_check(
    state: &AppState,
    id: &str,
    lease: &Lease,
    checked: &Result<Checked, DepositError>,
) -> Result<(), sqlx::Error> {
    // A deposit that just got its provider order starts afresh; everything
    // else backs off, so rows stuck at a failing answer make room for others.
    let checks = match checked {
        Ok(c) if c.outcome == CheckOutcome::Changed(DepositStatus::Pending) => 0,
        _ => lease.check_count + 1,
    };
    let answer = match checked {
        Ok(c) => c.answer.as_str(),
        Err(_) => "not finished: database error",
    };
    let now = now_ms();
    let mut tx = state.db.writer().begin().await?;
    super::timeline::record(&mut tx, id, super::timeline::kind::STATUS_CHECK, answer, None).await?;
    let kept = sqlx::query(
        "UPDATE deposits SET check_count = $1, lease_until = NULL, lease_token = NULL,
             next_check_at = CASE WHEN status IN ('created', 'pending', 'unknown') THEN $2 ELSE NULL END
         WHERE id = $3 AND lease_token = $4",
    )
    .bind(checks)
    .bind(now + backoff_ms(state.config.status_check_interval_secs, checks))
    .bind(id)
    .bind(&lease.token)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    if kept.rows_affected() == 0 {
        tracing::warn!(deposit = %id, "status check outlived its lease; another check took the deposit");
    }
    Ok(())
}

/// Leases the deposit, re-reads it (it may have moved since the caller read
/// it), checks it and gives the lease back. None: another check holds it,
/// or (for the reconciler) it is no longer due.
async fn check_leased(state: &AppState, id: &str, claim: Claim) -> Result<Option<Checked>, DepositError> {
    let Some(lease) = take_lease(state, id, claim).await? else { return Ok(None) };
    let checked = match find(state, id).await {
        Ok(Some(d)) => check_claimed(state, &d).await,
        Ok(None) => Err(DepositError::NotFound),
        Err(e) => Err(e.into()),
    };
    if let Err(e) = finish_check(state, id, &lease, &checked).await {
        tracing::warn!(deposit = %id, error = %e, "could not record the check and schedule the next one");
    }
    checked.map(Some)
}

/// Asks the provider's status endpoint about one deposit ("Check now"), at
/// most once per STATUS_CHECK_INTERVAL_SECONDS (at least 1 s) per deposit
/// across all processes, and never while another check of it is running.
pub async fn check_status(state: &AppState, d: &DepositRow) -> Result<CheckOutcome, DepositError> {
    if d.status.is_terminal() {
        return Ok(CheckOutcome::Unchanged(d.status));
    }
    match check_leased(state, &d.id, Claim::Asked).await? {
        Some(checked) => Ok(checked.outcome),
        None => Err(DepositError::CheckTooSoon),
    }
}

/// The delay before the reconciler looks at a deposit again after `checks`
/// checks that changed nothing: the status interval, doubling, at most 10 min.
pub fn backoff_ms(status_check_interval_secs: i64, checks: i64) -> i64 {
    let base = status_check_interval_secs.max(1) * 1000;
    (base << checks.clamp(0, 10)).min(600_000)
}

/// The check itself, once leased.
async fn check_claimed(state: &AppState, d: &DepositRow) -> Result<Checked, DepositError> {
    if d.status.is_terminal() {
        return Ok(Checked::new(CheckOutcome::Unchanged(d.status), "settled already"));
    }
    let now = now_ms();
    let overdue = now > d.expires_at;
    let Some(order_id) = d.order_id.as_deref() else {
        if d.status == DepositStatus::Created && d.method == PayMethod::Qr && !overdue {
            return find_lost_order(state, d, now).await;
        }
        // No provider order (payment window, or the create call got no answer):
        // only a postback can complete it; past its time it expires.
        if overdue {
            let reason = "No payment arrived in time.";
            let expired = Some((super::timeline::kind::EXPIRED, "no payment arrived in time"));
            let changed = set_status(state, &d.id, DepositStatus::Expired, None, None, Some(reason), expired).await?;
            return Ok(Checked::changed_or_not(changed, DepositStatus::Expired, d.status, "no provider order to ask"));
        }
        return Ok(Checked::new(CheckOutcome::Unchanged(d.status), "no provider order to ask"));
    };
    match state.provider.payment_status(order_id).await {
        Ok(PaymentStatus::Success) => {
            let flagged = paid_at_provider(state, d, now).await?;
            Ok(Checked { outcome: CheckOutcome::PaidAwaitingPostback, answer: "success".into(), flagged })
        }
        Ok(PaymentStatus::Processing) => Ok(Checked::new(CheckOutcome::Unchanged(d.status), "processing")),
        Ok(PaymentStatus::Failed) => {
            let (status, reason, event) = if overdue {
                (
                    DepositStatus::Expired,
                    "The payment time ran out.",
                    (super::timeline::kind::EXPIRED, "the payment time ran out"),
                )
            } else {
                (
                    DepositStatus::Failed,
                    "The payment was declined or cancelled in the UPI app.",
                    (super::timeline::kind::FAILED, "declined or cancelled in the UPI app"),
                )
            };
            let changed = set_status(state, &d.id, status, None, None, Some(reason), Some(event)).await?;
            Ok(Checked::changed_or_not(changed, status, d.status, "failed"))
        }
        Err(e) => {
            tracing::warn!(deposit = %d.id, error = %e, "status check failed");
            Ok(Checked::new(CheckOutcome::Unchanged(d.status), error_words(&e)))
        }
    }
}

/// When a flag may be set on an open deposit.
#[derive(Clone, Copy)]
enum FlagWhen {
    /// The provider first said paid at or before this time (unix ms).
    PaidBefore(i64),
    /// The deposit carries no flag yet.
    Unflagged,
}

/// Sets `flag` on an open deposit that does not carry it yet, with its
/// history line, in one transaction; whether it was set now.
async fn flag_deposit(state: &AppState, id: &str, flag: &str, when: FlagWhen) -> Result<bool, sqlx::Error> {
    let now = now_ms();
    let condition = match when {
        FlagWhen::PaidBefore(_) => "provider_paid_at <= $4",
        FlagWhen::Unflagged => "flag = ''",
    };
    let mut tx = state.db.writer().begin().await?;
    let sql = format!(
        "UPDATE deposits SET flag = $1, flagged_at = $2
         WHERE id = $3 AND status IN ('created', 'pending', 'unknown') AND flag <> $1 AND {condition}"
    );
    let mut update = sqlx::query(&sql).bind(flag).bind(now).bind(id);
    if let FlagWhen::PaidBefore(at) = when {
        update = update.bind(at);
    }
    let flagged = update.execute(&mut *tx).await?.rows_affected() > 0;
    if flagged {
        super::timeline::record(&mut tx, id, super::timeline::kind::FLAGGED, flag, None).await?;
    }
    tx.commit().await?;
    Ok(flagged)
}

/// The provider says paid. Money moves only with the signed postback; this
/// remembers when the provider first said so, and once no postback has come
/// for PAID_NO_POSTBACK_MINUTES the deposit is flagged for admins (true: now).
async fn paid_at_provider(state: &AppState, d: &DepositRow, now: i64) -> Result<bool, sqlx::Error> {
    sqlx::query(
        "UPDATE deposits SET provider_paid_at = COALESCE(provider_paid_at, $1),
             status = CASE WHEN status = 'created' THEN 'pending' ELSE status END
         WHERE id = $2 AND status IN ('created', 'pending', 'unknown')",
    )
    .bind(now)
    .bind(&d.id)
    .execute(state.db.writer())
    .await?;
    let waited_since = now - state.config.limits.paid_no_postback_minutes * 60_000;
    let flagged = flag_deposit(state, &d.id, "paid_no_postback", FlagWhen::PaidBefore(waited_since)).await?;
    if flagged {
        tracing::warn!(deposit = %d.id, minutes = state.config.limits.paid_no_postback_minutes,
            "paid at the provider but no postback arrived: flagged for admins (not credited)");
    }
    Ok(flagged)
}

/// A QR deposit still `created` after its create call's time: the portal
/// never recorded the provider's answer (it died, or the write failed). The
/// documented status call needs the provider's order id, which we never got,
/// so we ask to create the order again under the same custom_transaction_id:
/// the provider refuses a second order for it, so this cannot double-charge.
/// - a new order: the first call never arrived; the deposit becomes payable;
/// - "already taken": the provider holds an order we cannot look up: the
///   deposit waits for its postback as `unknown`, flagged `order_unseen` for
///   admins (a signed postback still credits it, even after it expires).
async fn find_lost_order(state: &AppState, d: &DepositRow, now: i64) -> Result<Checked, DepositError> {
    if now < d.created_at + create_grace_ms(state) {
        return Ok(Checked::new(CheckOutcome::Unchanged(d.status), "create call may still be answered"));
    }
    let request =
        CreatePayment { amount_paise: d.amount_paise, label: d.login.clone(), custom_transaction_id: d.id.clone() };
    match state.provider.create_upi_payment(&request).await {
        Ok(created) => match parse_upi_uri(&created.qr_data) {
            Ok(uri) if uri.amount_paise == d.amount_paise => {
                let changed = set_status(
                    state,
                    &d.id,
                    DepositStatus::Pending,
                    Some(&created.order_id),
                    Some(&created.qr_data),
                    None,
                    None,
                )
                .await?;
                tracing::info!(deposit = %d.id, "stuck deposit: the provider had no order; created it now");
                Ok(Checked::changed_or_not(changed, DepositStatus::Pending, d.status, "no order yet: created it"))
            }
            _ => {
                let reason = "The provider returned an invalid payment link. Please try again.";
                let event = (super::timeline::kind::FAILED, "the provider's payment link was invalid");
                let changed = set_status(
                    state,
                    &d.id,
                    DepositStatus::Failed,
                    Some(&created.order_id),
                    None,
                    Some(reason),
                    Some(event),
                )
                .await?;
                Ok(Checked::changed_or_not(changed, DepositStatus::Failed, d.status, "invalid payment link"))
            }
        },
        Err(crate::paykassma::error::ProviderError::Rejected { fields, .. })
            if fields.iter().any(|(f, _)| f == "custom_transaction_id") =>
        {
            let reason = "The provider has this payment but its answer to us was lost; it is credited when the provider confirms it.";
            let changed = set_status(state, &d.id, DepositStatus::Unknown, None, None, Some(reason), None).await?;
            let flagged = flag_deposit(state, &d.id, "order_unseen", FlagWhen::Unflagged).await?;
            tracing::warn!(deposit = %d.id, "stuck deposit: the provider holds an order we never got an answer for; flagged");
            let mut checked =
                Checked::changed_or_not(changed, DepositStatus::Unknown, d.status, "order exists, unseen");
            checked.flagged = flagged;
            Ok(checked)
        }
        Err(e) => {
            tracing::warn!(deposit = %d.id, error = %e, "stuck deposit: the provider could not be asked");
            Ok(Checked::new(CheckOutcome::Unchanged(d.status), error_words(&e)))
        }
    }
}

/// Deposits one reconcile pass looks at, most overdue first.
pub const RECONCILE_BATCH: i64 = 100;

/// What one reconcile pass did (`portal reconcile --once` prints it).
/// `checked` = `expired + failed + flagged + other + unchanged`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReconcileSummary {
    /// Due deposits this pass checked (it held their lease).
    pub checked: u64,
    /// Of those: expired now.
    pub expired: u64,
    /// Failed now (declined or cancelled, or an invalid payment link).
    pub failed: u64,
    /// Flagged for admins now (`paid_no_postback`, `order_unseen`).
    pub flagged: u64,
    /// Changed otherwise (a deposit stuck in `created` got its provider order).
    pub other: u64,
    /// Nothing changed (still processing, the provider said paid before, no answer).
    pub unchanged: u64,
    /// Due, but another process was checking them: left to it.
    pub skipped: u64,
}

impl ReconcileSummary {
    fn count(&mut self, checked: &Checked) {
        self.checked += 1;
        match checked.outcome {
            _ if checked.flagged => self.flagged += 1,
            CheckOutcome::Changed(DepositStatus::Expired) => self.expired += 1,
            CheckOutcome::Changed(DepositStatus::Failed) => self.failed += 1,
            CheckOutcome::Changed(_) => self.other += 1,
            CheckOutcome::Unchanged(_) | CheckOutcome::PaidAwaitingPostback => self.unchanged += 1,
        }
    }
}

impl std::fmt::Display for ReconcileSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "checked {}, expired {}, failed {}, flagged {}, unchanged {}, other {}, skipped {} (another process had them)",
            self.checked, self.expired, self.failed, self.flagged, self.unchanged, self.other, self.skipped
        )
    }
}

/// Background job: asks the provider about open deposits in order of their
/// next check (each backs off after a check that changed nothing, so 100 rows
/// stuck at a failing answer cannot starve a fresh one), finds deposits stuck
/// in `created`, expires overdue ones and flags paid-without-postback ones.
/// Safe with several processes on one database: each deposit is checked under
/// its lease, so two passes at once check each due deposit once.
pub async fn reconcile_once(state: &AppState) -> Result<ReconcileSummary, sqlx::Error> {
    let now = now_ms();
    let due: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT id FROM deposits WHERE next_check_at <= $1 AND status IN ('created', 'pending', 'unknown')
           AND (lease_until IS NULL OR lease_until <= $1)
         ORDER BY next_check_at, created_at LIMIT {RECONCILE_BATCH}"
    ))
    .bind(now)
    .fetch_all(state.db.pool())
    .await?;
    let mut summary = ReconcileSummary::default();
    for id in due {
        match check_leased(state, &id, Claim::Due).await {
            Ok(Some(checked)) => summary.count(&checked),
            Ok(None) => summary.skipped += 1,
            Err(DepositError::Db(e)) => return Err(e),
            Err(e) => tracing::warn!(deposit = %id, error = %e, "reconcile check failed"),
        }
    }
    if summary.checked > 0 {
        tracing::info!(%summary, "reconcile pass");
    }
    // Withdrawals the provider never answered are asked again, same id.
    if let Err(e) = super::withdrawals::resubmit_due(state).await {
        tracing::warn!(error = %e, "withdrawal resubmission pass failed");
    }
    Ok(summary)
}

pub async fn run_reconciler(
    state: AppState,
    interval: std::time::Duration,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = shutdown.wait_for(|s| *s) => return,
        }
        if let Err(e) = reconcile_once(&state).await {
            tracing::warn!(error = %e, "reconcile pass failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_counts_each_check_once_by_what_it_did() {
        let mut s = ReconcileSummary::default();
        let unchanged = Checked::new(CheckOutcome::Unchanged(DepositStatus::Pending), "processing");
        s.count(&unchanged);
        s.count(&Checked::new(CheckOutcome::Changed(DepositStatus::Expired), "failed"));
        s.count(&Checked::new(CheckOutcome::Changed(DepositStatus::Failed), "failed"));
        s.count(&Checked::new(CheckOutcome::Changed(DepositStatus::Pending), "no order yet: created it"));
        s.count(&Checked { outcome: CheckOutcome::PaidAwaitingPostback, answer: "success".into(), flagged: true });
        s.count(&Checked::new(CheckOutcome::PaidAwaitingPostback, "success"));
        assert_eq!(
            s,
            ReconcileSummary { checked: 6, expired: 1, failed: 1, flagged: 1, other: 1, unchanged: 2, skipped: 0 }
        );
        assert_eq!(
            s.to_string(),
            "checked 6, expired 1, failed 1, flagged 1, unchanged 2, other 1, skipped 0 (another process had them)"
        );
    }

    #[test]
    fn provider_errors_are_told_in_a_few_words_without_their_text() {
        use crate::paykassma::error::ProviderError as E;
        assert_eq!(error_words(&E::Timeout), "error: timeout");
        assert_eq!(error_words(&E::Http { status: 502 }), "error: http 502");
        let refused = E::Rejected { message: "secret=abc rejected".into(), fields: vec![] };
        assert_eq!(error_words(&refused), "error: refused");
        assert_eq!(error_words(&E::Unreachable("10.0.0.1 refused".into())), "error: unreachable");
    }
}
