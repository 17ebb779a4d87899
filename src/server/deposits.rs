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

/// A deposit due for a check, with the `next_check_at` its claim compares.
#[derive(sqlx::FromRow)]
struct Due {
    #[sqlx(flatten)]
    deposit: DepositRow,
    next_check_at: i64,
}

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

pub async fn list_open(db: &super::db::Db, user_id: i64) -> Result<Vec<DepositRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} {FROM} WHERE d.user_id = $1 AND d.status IN ('created', 'pending', 'unknown')
         ORDER BY d.created_at DESC LIMIT 20"
    ))
    .bind(user_id)
    .fetch_all(db.pool())
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
            set_status(state, &id, DepositStatus::Pending, None, None, None).await?;
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
                        set_status(state, &id, DepositStatus::Failed, Some(&created.order_id), None, Some(&reason))
                            .await?;
                        answer(format!("order {}: {reason}", created.order_id)).await;
                    }
                    Err(e) => {
                        tracing::warn!(deposit = %id, error = %e, "provider returned an invalid UPI link");
                        let reason = "The provider returned an invalid payment link. Please try again.";
                        set_status(state, &id, DepositStatus::Failed, Some(&created.order_id), None, Some(reason))
                            .await?;
                        answer(format!("order {}: {reason}", created.order_id)).await;
                    }
                },
                Err(e) => {
                    let reason = e.user_message();
                    let status = if e.outcome_unknown() { DepositStatus::Unknown } else { DepositStatus::Failed };
                    tracing::warn!(deposit = %id, error = %e, status = status.as_str(), "provider refused or did not answer the deposit");
                    set_status(state, &id, status, None, None, Some(&reason)).await?;
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
async fn set_status(
    state: &AppState,
    id: &str,
    status: DepositStatus,
    order_id: Option<&str>,
    qr_data: Option<&str>,
    reason: Option<&str>,
) -> Result<bool, sqlx::Error> {
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
    .bind(now_ms())
    .bind(id)
    .bind(backoff_ms(state.config.status_check_interval_secs, 0))
    .execute(state.db.writer())
    .await?;
    let changed = r.rows_affected() > 0;
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

/// Asks the provider's status endpoint about one deposit ("Check now"), at
/// most once per STATUS_CHECK_INTERVAL_SECONDS (at least 1 s) per deposit
/// across all processes (the claim is a conditional UPDATE).
pub async fn check_status(state: &AppState, d: &DepositRow) -> Result<CheckOutcome, DepositError> {
    if d.status.is_terminal() {
        return Ok(CheckOutcome::Unchanged(d.status));
    }
    let now = now_ms();
    let claimed = sqlx::query(
        "UPDATE deposits SET last_check_at = $1 WHERE id = $2 AND (last_check_at IS NULL OR last_check_at <= $3)",
    )
    .bind(now)
    .bind(&d.id)
    .bind(now - state.config.status_check_interval_secs.max(1) * 1000)
    .execute(state.db.writer())
    .await?;
    if claimed.rows_affected() == 0 {
        return Err(DepositError::CheckTooSoon);
    }
    let outcome = check_claimed(state, d).await;
    schedule_next_check(state, d, &outcome).await?;
    outcome
}

/// The delay before the reconciler looks at a deposit again after `checks`
/// checks that changed nothing: the status interval, doubling, at most 10 min.
pub fn backoff_ms(status_check_interval_secs: i64, checks: i64) -> i64 {
    let base = status_check_interval_secs.max(1) * 1000;
    (base << checks.clamp(0, 10)).min(600_000)
}

async fn schedule_next_check(
    state: &AppState,
    d: &DepositRow,
    outcome: &Result<CheckOutcome, DepositError>,
) -> Result<(), sqlx::Error> {
    let interval = state.config.status_check_interval_secs;
    // A deposit that just got its provider order starts afresh; everything
    // else backs off, so rows stuck at a failing answer make room for others.
    let checks = if matches!(outcome, Ok(CheckOutcome::Changed(DepositStatus::Pending))) {
        0
    } else {
        let done: Option<i64> = sqlx::query_scalar("SELECT check_count FROM deposits WHERE id = $1")
            .bind(&d.id)
            .fetch_optional(state.db.writer())
            .await?;
        done.unwrap_or(0) + 1
    };
    sqlx::query(
        "UPDATE deposits SET check_count = $1, next_check_at = $2 WHERE id = $3 AND status IN ('created', 'pending', 'unknown')",
    )
    .bind(checks)
    .bind(now_ms() + backoff_ms(interval, checks))
    .bind(&d.id)
    .execute(state.db.writer())
    .await?;
    Ok(())
}

/// The check itself, once claimed.
async fn check_claimed(state: &AppState, d: &DepositRow) -> Result<CheckOutcome, DepositError> {
    let now = now_ms();
    let overdue = now > d.expires_at;
    let Some(order_id) = d.order_id.as_deref() else {
        if d.status == DepositStatus::Created && d.method == PayMethod::Qr && !overdue {
            return find_lost_order(state, d, now).await;
        }
        // No provider order (payment window, or the create call got no answer):
        // only a postback can complete it; past its time it expires.
        if overdue {
            let changed =
                set_status(state, &d.id, DepositStatus::Expired, None, None, Some("No payment arrived in time."))
                    .await?;
            return Ok(if changed {
                CheckOutcome::Changed(DepositStatus::Expired)
            } else {
                CheckOutcome::Unchanged(d.status)
            });
        }
        return Ok(CheckOutcome::Unchanged(d.status));
    };
    match state.provider.payment_status(order_id).await {
        Ok(PaymentStatus::Success) => {
            paid_at_provider(state, d, now).await?;
            Ok(CheckOutcome::PaidAwaitingPostback)
        }
        Ok(PaymentStatus::Processing) => Ok(CheckOutcome::Unchanged(d.status)),
        Ok(PaymentStatus::Failed) => {
            let (status, reason) = if overdue {
                (DepositStatus::Expired, "The payment time ran out.")
            } else {
                (DepositStatus::Failed, "The payment was declined or cancelled in the UPI app.")
            };
            let changed = set_status(state, &d.id, status, None, None, Some(reason)).await?;
            Ok(if changed { CheckOutcome::Changed(status) } else { CheckOutcome::Unchanged(d.status) })
        }
        Err(e) => {
            tracing::warn!(deposit = %d.id, error = %e, "status check failed");
            Ok(CheckOutcome::Unchanged(d.status))
        }
    }
}

/// The provider says paid. Money moves only with the signed postback; this
/// remembers when the provider first said so, and once no postback has come
/// for PAID_NO_POSTBACK_MINUTES the deposit is flagged for admins.
async fn paid_at_provider(state: &AppState, d: &DepositRow, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE deposits SET provider_paid_at = COALESCE(provider_paid_at, $1),
             status = CASE WHEN status = 'created' THEN 'pending' ELSE status END
         WHERE id = $2 AND status IN ('created', 'pending', 'unknown')",
    )
    .bind(now)
    .bind(&d.id)
    .execute(state.db.writer())
    .await?;
    let flagged = sqlx::query(
        "UPDATE deposits SET flag = 'paid_no_postback', flagged_at = $1
         WHERE id = $2 AND status IN ('created', 'pending', 'unknown') AND flag <> 'paid_no_postback'
           AND provider_paid_at <= $3",
    )
    .bind(now)
    .bind(&d.id)
    .bind(now - state.config.limits.paid_no_postback_minutes * 60_000)
    .execute(state.db.writer())
    .await?;
    if flagged.rows_affected() > 0 {
        tracing::warn!(deposit = %d.id, minutes = state.config.limits.paid_no_postback_minutes,
            "paid at the provider but no postback arrived: flagged for admins (not credited)");
    }
    Ok(())
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
async fn find_lost_order(state: &AppState, d: &DepositRow, now: i64) -> Result<CheckOutcome, DepositError> {
    if now < d.created_at + create_grace_ms(state) {
        return Ok(CheckOutcome::Unchanged(d.status));
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
                )
                .await?;
                tracing::info!(deposit = %d.id, "stuck deposit: the provider had no order; created it now");
                Ok(if changed {
                    CheckOutcome::Changed(DepositStatus::Pending)
                } else {
                    CheckOutcome::Unchanged(d.status)
                })
            }
            _ => {
                let reason = "The provider returned an invalid payment link. Please try again.";
                let changed =
                    set_status(state, &d.id, DepositStatus::Failed, Some(&created.order_id), None, Some(reason))
                        .await?;
                Ok(if changed {
                    CheckOutcome::Changed(DepositStatus::Failed)
                } else {
                    CheckOutcome::Unchanged(d.status)
                })
            }
        },
        Err(crate::paykassma::error::ProviderError::Rejected { fields, .. })
            if fields.iter().any(|(f, _)| f == "custom_transaction_id") =>
        {
            let reason = "The provider has this payment but its answer to us was lost; it is credited when the provider confirms it.";
            let changed = set_status(state, &d.id, DepositStatus::Unknown, None, None, Some(reason)).await?;
            sqlx::query("UPDATE deposits SET flag = 'order_unseen', flagged_at = $1 WHERE id = $2 AND flag = ''")
                .bind(now)
                .bind(&d.id)
                .execute(state.db.writer())
                .await?;
            tracing::warn!(deposit = %d.id, "stuck deposit: the provider holds an order we never got an answer for; flagged");
            Ok(if changed { CheckOutcome::Changed(DepositStatus::Unknown) } else { CheckOutcome::Unchanged(d.status) })
        }
        Err(e) => {
            tracing::warn!(deposit = %d.id, error = %e, "stuck deposit: the provider could not be asked");
            Ok(CheckOutcome::Unchanged(d.status))
        }
    }
}

/// Deposits one reconcile pass looks at, most overdue first.
pub const RECONCILE_BATCH: i64 = 100;

/// Background job: asks the provider about open deposits in order of their
/// next check (each backs off after a check that changed nothing, so 100 rows
/// stuck at a failing answer cannot starve a fresh one), finds deposits stuck
/// in `created`, expires overdue ones and flags paid-without-postback ones.
pub async fn reconcile_once(state: &AppState) -> Result<usize, sqlx::Error> {
    let now = now_ms();
    let due: Vec<Due> = sqlx::query_as(&format!(
        "SELECT {COLUMNS}, d.next_check_at {FROM} WHERE d.next_check_at <= $1 AND d.status IN ('created', 'pending', 'unknown')
         ORDER BY d.next_check_at, d.created_at LIMIT {RECONCILE_BATCH}"
    ))
    .bind(now)
    .fetch_all(state.db.pool())
    .await?;
    let mut changed = 0;
    for Due { deposit: d, next_check_at } in due {
        // Claim the row for this pass (another process may be reconciling too).
        let claimed = sqlx::query(
            "UPDATE deposits SET next_check_at = $1, last_check_at = $2 WHERE id = $3 AND next_check_at = $4",
        )
        .bind(now + backoff_ms(state.config.status_check_interval_secs, 0))
        .bind(now_ms())
        .bind(&d.id)
        .bind(next_check_at)
        .execute(state.db.writer())
        .await?;
        if claimed.rows_affected() == 0 {
            continue;
        }
        let outcome = check_claimed(state, &d).await;
        if let Err(e) = schedule_next_check(state, &d, &outcome).await {
            tracing::warn!(deposit = %d.id, error = %e, "could not schedule the next check");
        }
        if let Ok(CheckOutcome::Changed(_)) = outcome {
            changed += 1;
        }
    }
    Ok(changed)
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
