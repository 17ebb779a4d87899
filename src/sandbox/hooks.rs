//! The sandbox's JSON test hooks (`/sandbox/api/...`): look at orders,
//! withdrawals and deliveries, pay or decline an order, decide a
//! withdrawal, set the merchant balance and the chaos. Not part of the
//! provider's API (that is [`super::provider_api`]).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::ops::{self, OpError};
use super::provider_api::json_text;
use super::store::{Attempt, Order, Postback, Withdrawal};
use super::time::provider_datetime;
use super::{Chaos, SandboxState};

fn hook_json(status: StatusCode, v: &impl Serialize) -> Response {
    match serde_json::to_string(v) {
        Ok(text) => json_text(status, text),
        Err(e) => json_text(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(r#"{{"error":"{}"}}"#, e.to_string().replace('"', "'")),
        ),
    }
}

fn hook_error(status: StatusCode, message: &str) -> Response {
    hook_json(status, &HookError { error: message })
}

fn op_error(e: OpError) -> Response {
    if let OpError::Db(db) = &e {
        tracing::error!(error = %db, "sandbox: database error");
    }
    hook_error(e.status(), &e.to_string())
}

/// An order as the hooks show it.
#[derive(Debug, Serialize)]
pub struct OrderView<'a> {
    pub order_id: &'a str,
    pub custom_transaction_id: &'a str,
    pub label: &'a str,
    pub amount_paise: i64,
    /// Rupees as the provider writes them (`250.5`).
    pub amount: String,
    pub status: &'a str,
    pub failure_reason: Option<&'a str>,
    pub source: &'a str,
    pub qr_data: &'a str,
    pub upi_ref: &'a str,
    pub transaction_id: Option<&'a str>,
    pub paid_paise: Option<i64>,
    pub payer_vpa: Option<&'a str>,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    pub paid_at_ms: Option<i64>,
    /// The simulated UPI app's page for this order.
    pub pay_url: String,
}

impl<'a> OrderView<'a> {
    pub fn new(st: &SandboxState, o: &'a Order) -> Self {
        OrderView {
            order_id: &o.order_id,
            custom_transaction_id: &o.custom_transaction_id,
            label: &o.label,
            amount_paise: o.amount_paise,
            amount: crate::domain::Money::from_paise(o.amount_paise).to_wire_rupees(),
            status: &o.status,
            failure_reason: o.failure_reason.as_deref(),
            source: &o.source,
            qr_data: &o.qr_data,
            upi_ref: &o.upi_ref,
            transaction_id: o.transaction_id.as_deref(),
            paid_paise: o.paid_paise,
            payer_vpa: o.payer_vpa.as_deref(),
            created_at_ms: o.created_at_ms,
            expires_at_ms: o.expires_at_ms,
            paid_at_ms: o.paid_at_ms,
            pay_url: format!("{}/pay/{}", st.config.public_url.trim_end_matches('/'), o.order_id),
        }
    }
}

/// A withdrawal as the hooks show it (`status` is the wire number).
#[derive(Debug, Serialize)]
pub struct WithdrawalView<'a> {
    /// What `/sandbox/api/withdrawals/{id}/{paid|rejected}` take (the merchant's withdrawal_id).
    pub id: &'a str,
    pub withdrawal_id: &'a str,
    pub amount_paise: i64,
    pub label: &'a str,
    pub account_number: &'a str,
    pub account_name: &'a str,
    pub bank_code: &'a str,
    pub branch_code: &'a str,
    pub is_test: bool,
    pub status: i64,
    pub status_text: &'static str,
    pub created_at_ms: i64,
    pub auto_at_ms: Option<i64>,
    pub decided_at_ms: Option<i64>,
    pub transaction_id: Option<&'a str>,
}

impl<'a> From<&'a Withdrawal> for WithdrawalView<'a> {
    fn from(w: &'a Withdrawal) -> Self {
        WithdrawalView {
            id: &w.withdrawal_id,
            withdrawal_id: &w.withdrawal_id,
            amount_paise: w.amount_paise,
            label: &w.label,
            account_number: &w.account_number,
            account_name: &w.account_name,
            bank_code: &w.bank_code,
            branch_code: &w.branch_code,
            is_test: w.is_test,
            status: w.status.as_wire(),
            status_text: w.status.as_str(),
            created_at_ms: w.created_at_ms,
            auto_at_ms: w.auto_at_ms,
            decided_at_ms: w.decided_at_ms,
            transaction_id: w.transaction_id.as_deref(),
        }
    }
}

/// The chaos settings as the hooks show them.
#[derive(Debug, Serialize)]
pub struct ChaosView {
    pub duplicate_postbacks: u32,
    pub concurrent: bool,
    pub out_of_order: bool,
    pub delay_ms: u64,
    pub status_errors_for: u32,
    pub bad_signature_next: u32,
    pub withdrawal_answer_lost_next: u32,
}

impl From<&Chaos> for ChaosView {
    fn from(c: &Chaos) -> Self {
        ChaosView {
            duplicate_postbacks: c.duplicate_postbacks,
            concurrent: c.concurrent,
            out_of_order: c.out_of_order,
            delay_ms: u64::try_from(c.delay.as_millis()).unwrap_or(u64::MAX),
            status_errors_for: c.status_errors_for,
            bad_signature_next: c.bad_signature_next,
            withdrawal_answer_lost_next: c.withdrawal_answer_lost_next,
        }
    }
}

/// One delivery attempt of a postback.
#[derive(Debug, Serialize)]
pub struct AttemptView<'a> {
    pub attempt_no: i64,
    pub at_ms: i64,
    /// Provider time, `2023-08-25 10:47:40` (UTC+08:00).
    pub at: String,
    pub http_status: Option<i64>,
    pub response_body: &'a str,
    pub latency_ms: i64,
    pub error: Option<&'a str>,
    pub ok: bool,
}

/// A queued postback with its attempts.
#[derive(Debug, Serialize)]
pub struct PostbackView<'a> {
    pub id: i64,
    pub kind: &'a str,
    pub ref_id: &'a str,
    pub copy_no: i64,
    pub forged: bool,
    pub state: &'a str,
    pub attempts: i64,
    pub next_attempt_ms: i64,
    pub created_at_ms: i64,
    pub finished_at_ms: Option<i64>,
    pub body: &'a str,
    pub attempt_log: Vec<AttemptView<'a>>,
}

impl<'a> PostbackView<'a> {
    pub fn new(p: &'a Postback, attempts: &'a [Attempt]) -> Self {
        PostbackView {
            id: p.id,
            kind: &p.kind,
            ref_id: &p.ref_id,
            copy_no: p.copy_no,
            forged: p.forged,
            state: &p.state,
            attempts: p.attempts,
            next_attempt_ms: p.next_attempt_ms,
            created_at_ms: p.created_at_ms,
            finished_at_ms: p.finished_at_ms,
            body: &p.body,
            attempt_log: attempts
                .iter()
                .map(|a| AttemptView {
                    attempt_no: a.attempt_no,
                    at_ms: a.at_ms,
                    at: provider_datetime(a.at_ms),
                    http_status: a.http_status,
                    response_body: &a.response_body,
                    latency_ms: a.latency_ms,
                    error: a.error.as_deref(),
                    ok: a.ok,
                })
                .collect(),
        }
    }
}

#[derive(Serialize)]
struct Deliveries<'a> {
    postbacks: Vec<PostbackView<'a>>,
    attempts_total: usize,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Merchant {
    balance_paise: i64,
}

#[derive(Serialize)]
struct HookError<'a> {
    error: &'a str,
}

/// `GET /sandbox/api/chaos`
pub async fn get_chaos(State(st): State<SandboxState>) -> Response {
    hook_json(StatusCode::OK, &ChaosView::from(&st.chaos()))
}

/// A partial update of the chaos settings; absent fields keep their value.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChaosUpdate {
    pub duplicate_postbacks: Option<u32>,
    pub concurrent: Option<bool>,
    pub out_of_order: Option<bool>,
    pub delay_ms: Option<u64>,
    pub status_errors_for: Option<u32>,
    pub bad_signature_next: Option<u32>,
    pub withdrawal_answer_lost_next: Option<u32>,
}

impl ChaosUpdate {
    pub fn apply(self, c: &mut Chaos) {
        if let Some(v) = self.duplicate_postbacks {
            c.duplicate_postbacks = v;
        }
        if let Some(v) = self.concurrent {
            c.concurrent = v;
        }
        if let Some(v) = self.out_of_order {
            c.out_of_order = v;
        }
        if let Some(v) = self.delay_ms {
            c.delay = std::time::Duration::from_millis(v.min(24 * 3600 * 1000));
        }
        if let Some(v) = self.status_errors_for {
            c.status_errors_for = v;
        }
        if let Some(v) = self.bad_signature_next {
            c.bad_signature_next = v;
        }
        if let Some(v) = self.withdrawal_answer_lost_next {
            c.withdrawal_answer_lost_next = v;
        }
    }
}

/// A test hook's JSON body; an empty body means "all defaults".
fn json_or_default<T: serde::de::DeserializeOwned + Default>(body: &Bytes) -> Result<T, serde_json::Error> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body)
}

/// `POST /sandbox/api/chaos` with a JSON partial update.
pub async fn set_chaos(State(st): State<SandboxState>, body: Bytes) -> Response {
    let update: ChaosUpdate = match json_or_default(&body) {
        Ok(u) => u,
        Err(e) => return hook_error(StatusCode::BAD_REQUEST, &format!("Invalid chaos settings: {e}")),
    };
    let mut c = st.chaos();
    update.apply(&mut c);
    st.set_chaos(c.clone());
    hook_json(StatusCode::OK, &ChaosView::from(&c))
}

fn query_param(q: Option<&str>, names: &[&str]) -> Option<String> {
    let q = q?;
    url::form_urlencoded::parse(q.as_bytes())
        .find(|(k, v)| names.contains(&k.as_ref()) && !v.is_empty())
        .map(|(_, v)| v.into_owned())
}

/// The reference (order or withdrawal id) a delivery listing is filtered by.
pub fn delivery_filter(q: Option<&str>) -> Option<String> {
    query_param(q, &["order_id", "withdrawal_id", "ref_id"])
}

/// `GET /sandbox/api/deliveries?order_id=..` (newest first).
pub async fn deliveries(State(st): State<SandboxState>, RawQuery(q): RawQuery) -> Response {
    let filter = delivery_filter(q.as_deref());
    match ops::deliveries(&st, filter.as_deref(), 500).await {
        Ok(list) => {
            let attempts_total: usize = list.iter().map(|(_, a)| a.len()).sum();
            let postbacks = list.iter().map(|(p, a)| PostbackView::new(p, a)).collect();
            hook_json(StatusCode::OK, &Deliveries { postbacks, attempts_total })
        }
        Err(e) => op_error(OpError::Db(e)),
    }
}

/// `GET /sandbox/api/orders/{order_id}`
pub async fn get_order(State(st): State<SandboxState>, Path(order_id): Path<String>) -> Response {
    match ops::get_order(&st, &order_id).await {
        Ok(Some(o)) => hook_json(StatusCode::OK, &OrderView::new(&st, &o)),
        Ok(None) => hook_error(StatusCode::NOT_FOUND, "There is no such order."),
        Err(e) => op_error(OpError::Db(e)),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PayHook {
    /// Rupees, as a number or a string; absent = the exact amount.
    amount: Option<serde_json::Value>,
    payer_vpa: Option<String>,
}

/// `POST /sandbox/api/orders/{order_id}/{pay|decline|expire}`
pub async fn order_action(
    State(st): State<SandboxState>,
    Path((order_id, action)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let result = match action.as_str() {
        "pay" => {
            let hook: PayHook = match json_or_default(&body) {
                Ok(h) => h,
                Err(e) => return hook_error(StatusCode::BAD_REQUEST, &format!("Invalid request: {e}")),
            };
            let amount = match hook.amount {
                None | Some(serde_json::Value::Null) => None,
                Some(serde_json::Value::Number(n)) => {
                    match crate::domain::Money::from_wire_decimal(&n.to_string()).ok().map(crate::domain::Money::paise)
                    {
                        Some(p) => Some(p),
                        None => {
                            return hook_error(
                                StatusCode::BAD_REQUEST,
                                "The amount must be rupees with at most two decimals.",
                            );
                        }
                    }
                }
                Some(serde_json::Value::String(t)) => {
                    match crate::domain::Money::from_wire_decimal(&t).ok().map(crate::domain::Money::paise) {
                        Some(p) => Some(p),
                        None => {
                            return hook_error(
                                StatusCode::BAD_REQUEST,
                                "The amount must be rupees with at most two decimals.",
                            );
                        }
                    }
                }
                Some(_) => {
                    return hook_error(StatusCode::BAD_REQUEST, "The amount must be a number of rupees.");
                }
            };
            ops::pay(&st, &order_id, amount, hook.payer_vpa).await
        }
        "decline" => ops::fail_order(&st, &order_id, "declined").await,
        "expire" => ops::fail_order(&st, &order_id, "expired").await,
        _ => {
            return hook_error(StatusCode::NOT_FOUND, "Unknown action: use pay, decline or expire.");
        }
    };
    match result {
        Ok(o) => hook_json(StatusCode::OK, &OrderView::new(&st, &o)),
        Err(e) => op_error(e),
    }
}

/// `GET /sandbox/api/withdrawals`: the newest 500, newest first.
pub async fn list_withdrawals(State(st): State<SandboxState>) -> Response {
    match ops::recent_withdrawals(&st, 500).await {
        Ok(list) => {
            let views: Vec<WithdrawalView> = list.iter().map(WithdrawalView::from).collect();
            hook_json(StatusCode::OK, &views)
        }
        Err(e) => hook_error(StatusCode::INTERNAL_SERVER_ERROR, &format!("The sandbox database failed: {e}")),
    }
}

/// `GET /sandbox/api/withdrawals/{id}`
pub async fn get_withdrawal(State(st): State<SandboxState>, Path(id): Path<String>) -> Response {
    match ops::get_withdrawal(&st, &id).await {
        Ok(Some(w)) => hook_json(StatusCode::OK, &WithdrawalView::from(&w)),
        Ok(None) => hook_error(StatusCode::NOT_FOUND, "There is no such withdrawal."),
        Err(e) => op_error(OpError::Db(e)),
    }
}

/// `POST /sandbox/api/withdrawals/{id}/{paid|rejected}`
pub async fn withdrawal_action(
    State(st): State<SandboxState>,
    Path((id, decision)): Path<(String, String)>,
) -> Response {
    let paid = match decision.as_str() {
        "paid" => true,
        "rejected" | "reject" => false,
        _ => {
            return hook_error(StatusCode::NOT_FOUND, "Unknown decision: use paid or rejected.");
        }
    };
    match ops::decide_withdrawal(&st, &id, paid).await {
        Ok(w) => hook_json(StatusCode::OK, &WithdrawalView::from(&w)),
        Err(e) => op_error(e),
    }
}

/// `GET /sandbox/api/merchant`
pub async fn get_merchant(State(st): State<SandboxState>) -> Response {
    match ops::balance(&st).await {
        Ok(balance_paise) => hook_json(StatusCode::OK, &Merchant { balance_paise }),
        Err(e) => op_error(OpError::Db(e)),
    }
}

/// `POST /sandbox/api/merchant` `{"balance_paise": n}`
pub async fn set_merchant(State(st): State<SandboxState>, body: Bytes) -> Response {
    let u: Merchant = match serde_json::from_slice(&body) {
        Ok(u) => u,
        Err(e) => return hook_error(StatusCode::BAD_REQUEST, &format!("Invalid request: {e}")),
    };
    if u.balance_paise < 0 {
        return hook_error(StatusCode::BAD_REQUEST, "The balance must not be negative.");
    }
    match ops::set_balance(&st, u.balance_paise).await {
        Ok(()) => hook_json(StatusCode::OK, &u),
        Err(e) => op_error(OpError::Db(e)),
    }
}
