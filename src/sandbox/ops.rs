//! What the sandbox does, shared by the provider API, the pages and the
//! JSON test hooks: create/pay/decline/expire orders, create/decide
//! withdrawals, queue postbacks (applying chaos).

use crate::domain::WithdrawalStatus;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use rand::Rng;
use sqlx::SqliteConnection;

use super::SandboxState;
use super::postback::{self, Keys};
use super::store::{self, NewPostback, Order, Withdrawal};
use super::time::{duration_ms, now_ms};

/// The sandbox merchant's UPI address and name, as they appear in `qr_data`.
pub const MERCHANT_VPA: &str = "sandbox.merchant@okaxis";
pub const MERCHANT_NAME: &str = "Sandbox Merchant";

/// Most extra copies of one postback the duplicate chaos makes.
const MAX_DUPLICATES: u32 = 50;

const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Why an operation on an order or withdrawal did not happen.
#[derive(Debug, thiserror::Error)]
pub enum OpError {
    #[error("{0}")]
    NotFound(String),
    /// The order or withdrawal is not in a state that allows it.
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

impl OpError {
    pub fn status(&self) -> axum::http::StatusCode {
        use axum::http::StatusCode;
        match self {
            OpError::NotFound(_) => StatusCode::NOT_FOUND,
            OpError::Conflict(_) => StatusCode::CONFLICT,
            OpError::Invalid(_) => StatusCode::BAD_REQUEST,
            OpError::Db(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

fn random_hex16() -> String {
    let v: u64 = rand::thread_rng().gen_range(0..=u64::MAX);
    format!("{v:016x}")
}

fn random_digits(n: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..n).map(|_| char::from(b'0' + rng.gen_range(0..10u8))).collect()
}

/// A payer VPA for the simulated UPI app.
pub fn random_payer_vpa() -> String {
    let handles = ["okhdfcbank", "okicici", "oksbi", "ybl", "paytm"];
    let i = rand::thread_rng().gen_range(0..handles.len());
    format!("user{}@{}", random_digits(4), handles.get(i).copied().unwrap_or("okhdfcbank"))
}

/// `upi://pay?pa=..&pn=..&am=..&tn=<order>&tr=<ref>&cu=INR`.
pub fn qr_data(order_id: &str, upi_ref: &str, amount_paise: i64) -> String {
    format!(
        "upi://pay?pa={}&pn={}&am={}&tn={}&tr={}&cu=INR",
        utf8_percent_encode(MERCHANT_VPA, UNRESERVED).to_string().replace("%40", "@"),
        utf8_percent_encode(MERCHANT_NAME, UNRESERVED),
        crate::domain::Money::from_paise(amount_paise).to_wire_rupees(),
        utf8_percent_encode(order_id, UNRESERVED),
        utf8_percent_encode(upi_ref, UNRESERVED),
    )
}

pub struct NewOrder {
    pub custom_transaction_id: String,
    pub label: String,
    pub amount_paise: i64,
    /// `api` or `plugin`.
    pub source: &'static str,
    pub lang: String,
    pub return_targets: String,
}

pub enum CreateOutcome {
    Created(Order),
    /// An order with this `custom_transaction_id` exists already.
    Duplicate(Order),
}

/// Creates an order, or reports the existing one with the same
/// `custom_transaction_id`.
pub async fn create_order(st: &SandboxState, new: NewOrder) -> Result<CreateOutcome, sqlx::Error> {
    let now = now_ms();
    let mut tx = st.db.begin().await?;
    if let Some(existing) = store::order_by_custom_id(&mut tx, &new.custom_transaction_id).await? {
        return Ok(CreateOutcome::Duplicate(existing));
    }
    let mut order_id = random_hex16();
    while store::order_id_taken(&mut tx, &order_id).await? {
        order_id = random_hex16();
    }
    let upi_ref = format!("IT{}", random_digits(17));
    let order = Order {
        qr_data: qr_data(&order_id, &upi_ref, new.amount_paise),
        order_id,
        custom_transaction_id: new.custom_transaction_id,
        label: new.label,
        amount_paise: new.amount_paise,
        status: "processing".to_owned(),
        failure_reason: None,
        source: new.source.to_owned(),
        lang: new.lang,
        return_targets: new.return_targets,
        upi_ref,
        created_at_ms: now,
        expires_at_ms: now.saturating_add(duration_ms(st.config.order_ttl)),
        paid_paise: None,
        transaction_id: None,
        payer_vpa: None,
        paid_at_ms: None,
        stockpiling_id: None,
        finished_at_ms: None,
    };
    store::insert_order(&mut tx, &order).await?;
    tx.commit().await?;
    Ok(CreateOutcome::Created(order))
}

/// The order, with its expiry applied.
pub async fn get_order(st: &SandboxState, order_id: &str) -> Result<Option<Order>, sqlx::Error> {
    let mut conn = st.db.acquire().await?;
    store::expire_due(&mut conn, now_ms()).await?;
    store::order(&mut conn, order_id).await
}

fn not_payable(o: &Order) -> OpError {
    let what = match (o.status.as_str(), o.failure_reason.as_deref()) {
        ("success", _) => "This payment has already been paid.",
        (_, Some("expired")) => "This payment has expired.",
        (_, Some("declined")) => "This payment was declined.",
        _ => "This payment is no longer open.",
    };
    OpError::Conflict(what.to_owned())
}

/// The user pays (the exact amount, or `amount_paise` if given): creates the
/// provider transaction, credits the merchant balance and queues the
/// `ingoing` postback.
pub async fn pay(
    st: &SandboxState,
    order_id: &str,
    amount_paise: Option<i64>,
    payer_vpa: Option<String>,
) -> Result<Order, OpError> {
    if let Some(a) = amount_paise
        && !(1..=crate::domain::money::MAX_WIRE_PAISE).contains(&a)
    {
        return Err(OpError::Invalid("The amount paid must be greater than zero.".to_owned()));
    }
    let payer = match payer_vpa.map(|v| v.trim().to_owned()) {
        Some(v) if !v.is_empty() => {
            if v.len() > 100 || !v.contains('@') || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(OpError::Invalid("The payer UPI address must look like name@bank.".to_owned()));
            }
            v
        }
        _ => random_payer_vpa(),
    };
    let now = now_ms();
    let mut tx = st.db.begin().await?;
    store::expire_due(&mut tx, now).await?;
    let order = store::order(&mut tx, order_id)
        .await?
        .ok_or_else(|| OpError::NotFound("There is no such order.".to_owned()))?;
    if order.status != "processing" {
        return Err(not_payable(&order));
    }
    let paid = amount_paise.unwrap_or(order.amount_paise);
    let txid = store::new_transaction_id(&mut tx).await?;
    let stockpiling_id = store::next_stockpiling_id(&mut tx).await?;
    if !store::mark_paid(&mut tx, order_id, paid, &txid, &payer, now, stockpiling_id).await? {
        return Err(not_payable(&order));
    }
    store::add_balance(&mut tx, paid).await?;
    let order = store::order(&mut tx, order_id)
        .await?
        .ok_or_else(|| OpError::NotFound("There is no such order.".to_owned()))?;
    queue_postbacks(st, &mut tx, "deposit", order_id, now, |keys| postback::deposit_body(keys, &order, now)).await?;
    tx.commit().await?;
    st.wake.notify_one();
    tracing::info!(order_id, paid_paise = paid, transaction_id = %txid, "sandbox: order paid");
    Ok(order)
}

/// The user declines (`declined`) or lets the order lapse (`expired`): the
/// order fails and no postback is sent.
pub async fn fail_order(st: &SandboxState, order_id: &str, reason: &str) -> Result<Order, OpError> {
    let now = now_ms();
    let mut tx = st.db.begin().await?;
    store::expire_due(&mut tx, now).await?;
    let order = store::order(&mut tx, order_id)
        .await?
        .ok_or_else(|| OpError::NotFound("There is no such order.".to_owned()))?;
    if order.status != "processing" {
        return Err(not_payable(&order));
    }
    store::mark_failed(&mut tx, order_id, reason, now).await?;
    let order = store::order(&mut tx, order_id)
        .await?
        .ok_or_else(|| OpError::NotFound("There is no such order.".to_owned()))?;
    tx.commit().await?;
    Ok(order)
}

/// Queues one postback event: the genuine body `1 + duplicate_postbacks`
/// times, preceded by a forged copy when `bad_signature_next` is set, with
/// the chaos delay and out-of-order jitter applied.
async fn queue_postbacks(
    st: &SandboxState,
    conn: &mut SqliteConnection,
    kind: &str,
    ref_id: &str,
    now: i64,
    body: impl Fn(&Keys<'_>) -> Option<String>,
) -> Result<(), sqlx::Error> {
    let (copies, forged, delay_ms, jitter) = {
        let mut c = st.chaos.lock().unwrap_or_else(|p| p.into_inner());
        let forged = c.bad_signature_next > 0;
        if forged {
            c.bad_signature_next -= 1;
        }
        (1 + i64::from(c.duplicate_postbacks.min(MAX_DUPLICATES)), forged, duration_ms(c.delay), c.out_of_order)
    };
    let first = now.saturating_add(delay_ms);
    let jitter_ms = |rng: &mut rand::rngs::ThreadRng| if jitter { rng.gen_range(0..=300) } else { 0 };
    let keys = Keys { access_key: &st.config.access_key, private_key: st.config.private_key.expose(), forged: false };
    let Some(genuine) = body(&keys) else {
        return Ok(());
    };
    let mut rows: Vec<(i64, bool, String, i64)> = Vec::new();
    {
        let mut rng = rand::thread_rng();
        if forged && let Some(bad) = body(&Keys { forged: true, ..keys }) {
            rows.push((0, true, bad, first.saturating_add(jitter_ms(&mut rng))));
        }
        for copy in 0..copies {
            rows.push((copy, false, genuine.clone(), first.saturating_add(jitter_ms(&mut rng))));
        }
    }
    for (copy_no, is_forged, text, at) in rows {
        store::insert_postback(
            conn,
            &NewPostback {
                kind,
                ref_id,
                copy_no,
                forged: is_forged,
                body: &text,
                next_attempt_ms: at,
                created_at_ms: now,
            },
        )
        .await?;
    }
    Ok(())
}

pub struct NewWithdrawal {
    pub withdrawal_id: String,
    pub amount_paise: i64,
    pub label: String,
    pub account_number: String,
    pub account_name: String,
    pub bank_code: String,
    pub branch_code: String,
    pub is_test: bool,
}

pub enum WithdrawalOutcome {
    Accepted(Box<Withdrawal>),
    Duplicate,
    InsufficientBalance,
}

/// Accepts a withdrawal: takes the amount from the merchant balance (if it
/// is there) and schedules the automatic decision when configured.
pub async fn create_withdrawal(st: &SandboxState, new: NewWithdrawal) -> Result<WithdrawalOutcome, sqlx::Error> {
    let now = now_ms();
    let mut tx = st.db.begin().await?;
    if store::withdrawal(&mut tx, &new.withdrawal_id).await?.is_some() {
        return Ok(WithdrawalOutcome::Duplicate);
    }
    if !store::take_balance(&mut tx, new.amount_paise).await? {
        return Ok(WithdrawalOutcome::InsufficientBalance);
    }
    let w = Withdrawal {
        withdrawal_id: new.withdrawal_id,
        amount_paise: new.amount_paise,
        label: new.label,
        account_number: new.account_number,
        account_name: new.account_name,
        bank_code: new.bank_code,
        branch_code: new.branch_code,
        is_test: new.is_test,
        status: WithdrawalStatus::Pending,
        created_at_ms: now,
        auto_at_ms: st.config.auto_withdrawal_after.map(|d| now.saturating_add(duration_ms(d))),
        decided_at_ms: None,
        transaction_id: None,
        stockpiling_id: None,
    };
    store::insert_withdrawal(&mut tx, &w).await?;
    tx.commit().await?;
    st.wake.notify_one();
    Ok(WithdrawalOutcome::Accepted(Box::new(w)))
}

/// The newest withdrawals, newest first.
pub async fn recent_withdrawals(st: &SandboxState, limit: i64) -> Result<Vec<Withdrawal>, sqlx::Error> {
    let mut conn = st.db.acquire().await?;
    store::recent_withdrawals(&mut conn, limit).await
}

pub async fn get_withdrawal(st: &SandboxState, id: &str) -> Result<Option<Withdrawal>, sqlx::Error> {
    let mut conn = st.db.acquire().await?;
    store::withdrawal(&mut conn, id).await
}

/// Pays (status 1) or rejects (status 5, amount refunded) a pending
/// withdrawal and queues its `outgoing` postback.
pub async fn decide_withdrawal(st: &SandboxState, id: &str, paid: bool) -> Result<Withdrawal, OpError> {
    let now = now_ms();
    let mut tx = st.db.begin().await?;
    let w = store::withdrawal(&mut tx, id)
        .await?
        .ok_or_else(|| OpError::NotFound("There is no such withdrawal.".to_owned()))?;
    if w.status.is_decided() {
        return Err(OpError::Conflict(format!("This withdrawal was already {}.", w.status.as_str())));
    }
    let stockpiling_id = store::next_stockpiling_id(&mut tx).await?;
    let (status, txid) = if paid {
        (WithdrawalStatus::Paid, Some(store::new_transaction_id(&mut tx).await?))
    } else {
        store::add_balance(&mut tx, w.amount_paise).await?;
        (WithdrawalStatus::Rejected, None)
    };
    store::decide_withdrawal(&mut tx, id, status, txid.as_deref(), stockpiling_id, now).await?;
    let w = store::withdrawal(&mut tx, id)
        .await?
        .ok_or_else(|| OpError::NotFound("There is no such withdrawal.".to_owned()))?;
    queue_postbacks(st, &mut tx, "withdrawal", id, now, |keys| postback::withdrawal_body(keys, &w, now)).await?;
    tx.commit().await?;
    st.wake.notify_one();
    tracing::info!(withdrawal_id = id, status = status.as_str(), "sandbox: withdrawal decided");
    Ok(w)
}

pub async fn balance(st: &SandboxState) -> Result<i64, sqlx::Error> {
    let mut conn = st.db.acquire().await?;
    store::balance(&mut conn).await
}

pub async fn set_balance(st: &SandboxState, paise: i64) -> Result<(), sqlx::Error> {
    let mut conn = st.db.acquire().await?;
    store::set_balance(&mut conn, paise).await
}

/// Postbacks (newest first, optionally of one order or withdrawal) with
/// their attempts (newest first).
pub async fn deliveries(
    st: &SandboxState,
    ref_id: Option<&str>,
    limit: i64,
) -> Result<Vec<(store::Postback, Vec<store::Attempt>)>, sqlx::Error> {
    let mut conn = st.db.acquire().await?;
    let postbacks = store::postbacks(&mut conn, ref_id, limit).await?;
    let ids: Vec<i64> = postbacks.iter().map(|p| p.id).collect();
    let mut attempts = store::attempts_for(&mut conn, &ids).await?;
    Ok(postbacks
        .into_iter()
        .map(|p| {
            let (mine, rest): (Vec<_>, Vec<_>) = attempts.drain(..).partition(|a| a.postback_id == p.id);
            attempts = rest;
            (p, mine)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paykassma::deeplink::parse_upi_uri;

    #[test]
    fn qr_data_is_a_valid_upi_uri() {
        let q = qr_data("029391c747902d94", "IT32021661770570987", 10050);
        assert_eq!(
            q,
            "upi://pay?pa=sandbox.merchant@okaxis&pn=Sandbox%20Merchant&am=100.5&tn=029391c747902d94&tr=IT32021661770570987&cu=INR"
        );
        let u = parse_upi_uri(&q).unwrap();
        assert_eq!(u.amount_paise, 10050);
        assert_eq!(u.pn.as_deref(), Some("Sandbox Merchant"));
    }

    #[test]
    fn ids() {
        let h = random_hex16();
        assert_eq!(h.len(), 16);
        assert!(h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        assert_eq!(random_digits(17).len(), 17);
        assert!(random_payer_vpa().contains('@'));
    }
}
