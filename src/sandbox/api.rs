//! The provider's HTTP API as the sandbox plays it, and the JSON test hooks.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use crate::domain::{AccountHolder, Ifsc};
use crate::paykassma::json::{self, JsonValue, php_encode};
use crate::paykassma::qr::qr_png_base64;
use crate::paykassma::withdrawal_signature::verify_withdrawal_signature;

use super::ops::{self, CreateOutcome, NewOrder, NewWithdrawal, OpError, WithdrawalOutcome};
use super::store::{Attempt, Order, Postback, Withdrawal};
use super::time::provider_datetime;
use super::{Chaos, SandboxState};

/// Longest `label` / `custom_transaction_id` on the payment API.
const MAX_ID_LEN: usize = 190;
/// Pixels per QR module in `qr_string`.
const QR_PNG_SCALE: u32 = 6;

// ---------------------------------------------------------------- answers

fn json_text(status: StatusCode, text: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], text).into_response()
}

fn s(v: &str) -> JsonValue {
    JsonValue::String(v.to_owned())
}

fn obj(pairs: Vec<(&str, JsonValue)>) -> JsonValue {
    JsonValue::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

fn provider_ok(v: JsonValue) -> Response {
    json_text(StatusCode::OK, php_encode(&v))
}

/// `{"status":"fail","message":"..."}`.
fn fail_message(message: &str) -> Response {
    provider_ok(obj(vec![("status", s("fail")), ("message", s(message))]))
}

/// `{"status":"fail","message":{"field":["..."]}}`.
fn fail_fields(errs: Errors) -> Response {
    let message = JsonValue::Object(
        errs.0
            .into_iter()
            .map(|(k, msgs)| {
                (
                    k,
                    JsonValue::Array(msgs.into_iter().map(JsonValue::String).collect()),
                )
            })
            .collect(),
    );
    provider_ok(obj(vec![("status", s("fail")), ("message", message)]))
}

/// What the provider answers to a missing or wrong `secret`.
fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "<!doctype html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>",
    )
        .into_response()
}

fn internal(e: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %e, "sandbox: internal error");
    fail_message("Internal error, please try again later.")
}

fn secret_ok(query: Option<&str>, secret: &str) -> bool {
    let Some(q) = query else { return false };
    let given = url::form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == "secret")
        .map(|(_, v)| v.into_owned());
    match given {
        Some(g) => !secret.is_empty() && bool::from(g.as_bytes().ct_eq(secret.as_bytes())),
        None => false,
    }
}

/// The request body as a JSON object.
fn parse_object(body: &Bytes) -> Option<JsonValue> {
    std::str::from_utf8(body)
        .ok()
        .and_then(|t| json::parse(t).ok())
        .filter(|v| matches!(v, JsonValue::Object(_)))
}

fn not_an_object() -> Response {
    fail_message("The request body must be a JSON object.")
}

// ------------------------------------------------------------ validation

/// Field errors in the order found.
#[derive(Default)]
struct Errors(Vec<(String, Vec<String>)>);

impl Errors {
    fn add(&mut self, field: &str, msg: impl Into<String>) {
        let msg = msg.into();
        match self.0.iter_mut().find(|(k, _)| k == field) {
            Some((_, msgs)) => msgs.push(msg),
            None => self.0.push((field.to_owned(), vec![msg])),
        }
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn human(field: &str) -> String {
    field.replace(['_', '.'], " ")
}

/// A required string field, 1..=max characters (whitespace-only counts as
/// missing).
fn text(errs: &mut Errors, o: &JsonValue, field: &str, max: usize) -> Option<String> {
    match o.get(field) {
        None | Some(JsonValue::Null) => {
            errs.add(field, format!("The {} field is required.", human(field)));
            None
        }
        Some(JsonValue::String(v)) if v.trim().is_empty() => {
            errs.add(field, format!("The {} field is required.", human(field)));
            None
        }
        Some(JsonValue::String(v)) if v.chars().count() > max => {
            errs.add(
                field,
                format!(
                    "The {} may not be greater than {max} characters.",
                    human(field)
                ),
            );
            None
        }
        Some(JsonValue::String(v)) => Some(v.clone()),
        Some(_) => {
            errs.add(field, format!("The {} must be a string.", human(field)));
            None
        }
    }
}

/// A required field that must equal `expected`.
fn fixed(errs: &mut Errors, o: &JsonValue, field: &str, expected: &str) {
    match o.get(field) {
        None | Some(JsonValue::Null) => {
            errs.add(field, format!("The {} field is required.", human(field)))
        }
        Some(JsonValue::String(v)) if v == expected => {}
        Some(_) => errs.add(field, format!("The selected {} is invalid.", human(field))),
    }
}

fn limits(errs: &mut Errors, st: &SandboxState, field: &str, paise: i64) -> bool {
    if paise < st.config.min_paise {
        errs.add(
            field,
            format!(
                "The {} must be at least {}.",
                human(field),
                crate::domain::Money::from_paise(st.config.min_paise).to_wire_rupees()
            ),
        );
        false
    } else if paise > st.config.max_paise {
        errs.add(
            field,
            format!(
                "The {} may not be greater than {}.",
                human(field),
                crate::domain::Money::from_paise(st.config.max_paise).to_wire_rupees()
            ),
        );
        false
    } else {
        true
    }
}

// ------------------------------------------------------------ provider API

/// `POST /api/v1/payment/create/upi_s?secret=..`
pub async fn create_payment(
    State(st): State<SandboxState>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    if !secret_ok(q.as_deref(), st.config.api_secret.expose()) {
        return not_found();
    }
    let Some(o) = parse_object(&body) else {
        return not_an_object();
    };
    let mut errs = Errors::default();
    fixed(&mut errs, &o, "mode", "upi_collect_qr");
    let amount = match o.get("amount") {
        None | Some(JsonValue::Null) => {
            errs.add("amount", "The amount field is required.");
            None
        }
        Some(JsonValue::Number(lex)) | Some(JsonValue::String(lex)) => match crate::domain::Money::from_wire_decimal(lex).ok().map(crate::domain::Money::paise) {
            Some(p) if limits(&mut errs, &st, "amount", p) => Some(p),
            Some(_) => None,
            None => {
                errs.add(
                    "amount",
                    "The amount must be a number with at most two decimal places.",
                );
                None
            }
        },
        Some(_) => {
            errs.add("amount", "The amount must be a number.");
            None
        }
    };
    fixed(&mut errs, &o, "currency", "INR");
    let label = text(&mut errs, &o, "label", MAX_ID_LEN);
    fixed(&mut errs, &o, "wallet_type", "upi_s");
    let ctid = text(&mut errs, &o, "custom_transaction_id", MAX_ID_LEN);
    let (Some(amount_paise), Some(label), Some(custom_transaction_id)) = (amount, label, ctid)
    else {
        return fail_fields(errs);
    };
    if !errs.is_empty() {
        return fail_fields(errs);
    }
    let created = ops::create_order(
        &st,
        NewOrder {
            custom_transaction_id,
            label,
            amount_paise,
            source: "api",
            lang: "en".to_owned(),
            return_targets: String::new(),
        },
    )
    .await;
    let order = match created {
        Ok(CreateOutcome::Created(o)) => o,
        Ok(CreateOutcome::Duplicate(_)) => {
            errs.add(
                "custom_transaction_id",
                "The custom transaction id has already been taken.",
            );
            return fail_fields(errs);
        }
        Err(e) => return internal(&e),
    };
    let png = match qr_png_base64(&order.qr_data, QR_PNG_SCALE) {
        Ok(p) => p,
        Err(e) => return internal(&e),
    };
    tracing::info!(order_id = %order.order_id, amount_paise = order.amount_paise, "sandbox: order created");
    provider_ok(obj(vec![
        ("status", s("ok")),
        (
            "data",
            obj(vec![
                ("order_id", s(&order.order_id)),
                ("qr_string", s(&png)),
                ("qr_data", s(&order.qr_data)),
                ("message", s("QR Code generated successfully")),
            ]),
        ),
    ]))
}

/// `POST /api/v1/payment/upi_s/status?secret=..`
pub async fn payment_status(
    State(st): State<SandboxState>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    if !secret_ok(q.as_deref(), st.config.api_secret.expose()) {
        return not_found();
    }
    let chaos_left = {
        let mut c = st.chaos.lock().unwrap_or_else(|p| p.into_inner());
        let left = c.status_errors_for;
        if left > 0 {
            c.status_errors_for -= 1;
        }
        left
    };
    if chaos_left > 0 {
        return if chaos_left % 2 == 0 {
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "text/html; charset=UTF-8")],
                "{\n    'status': 'processing'\n}",
            )
                .into_response()
        } else {
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, "text/html; charset=UTF-8")],
                "<!doctype html><html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1></body></html>",
            )
                .into_response()
        };
    }
    let Some(o) = parse_object(&body) else {
        return not_an_object();
    };
    let mut errs = Errors::default();
    let Some(order_id) = text(&mut errs, &o, "order_id", 200) else {
        return fail_fields(errs);
    };
    match ops::get_order(&st, &order_id).await {
        Ok(Some(order)) => provider_ok(obj(vec![("status", s(&order.status))])),
        Ok(None) => fail_message("Order not found."),
        Err(e) => internal(&e),
    }
}

/// `POST /v2/withdrawal/create`
pub async fn create_withdrawal(State(st): State<SandboxState>, body: Bytes) -> Response {
    let Some(o) = parse_object(&body) else {
        return not_an_object();
    };
    let mut errs = Errors::default();
    let withdrawal_id = text(&mut errs, &o, "withdrawal_id", 36);
    fixed(&mut errs, &o, "payment_system", "imps_ib");
    let amount = match o.get("amount") {
        None | Some(JsonValue::Null) => {
            errs.add("amount", "The amount field is required.");
            None
        }
        Some(JsonValue::Number(lex))
            if !lex.is_empty() && lex.bytes().all(|b| b.is_ascii_digit()) =>
        {
            match lex.parse::<i64>().ok().and_then(|r| r.checked_mul(100)) {
                Some(p) if limits(&mut errs, &st, "amount", p) => Some(p),
                Some(_) => None,
                None => {
                    errs.add("amount", "The amount is too large.");
                    None
                }
            }
        }
        Some(_) => {
            errs.add("amount", "The amount must be an integer.");
            None
        }
    };
    fixed(&mut errs, &o, "currency_code", "INR");
    let is_test = match o.get("is_test") {
        None | Some(JsonValue::Null) => false,
        Some(JsonValue::Bool(b)) => *b,
        Some(_) => {
            errs.add("is_test", "The is test field must be true or false.");
            false
        }
    };
    let label = text(&mut errs, &o, "label", 36);
    let account_number = text(&mut errs, &o, "account_number", 64);
    if let Some(a) = &account_number
        && !(a.bytes().all(|b| b.is_ascii_digit()) && (1..=34).contains(&a.len()))
    {
        errs.add(
            "account_number",
            "The account number must contain only digits.",
        );
    }
    let account_name = match o.get("account_name") {
        // The provider's rules, to the letter: no trimming.
        Some(JsonValue::String(n)) if AccountHolder::parse(n).is_ok_and(|h| h.as_str() == n) => Some(n.clone()),
        None | Some(JsonValue::Null) => {
            errs.add("account_name", "The account name field is required.");
            None
        }
        Some(_) => {
            errs.add("account_name", "The account name format is invalid.");
            None
        }
    };
    let mut codes = [None, None];
    match o.get("bank_details") {
        Some(bd @ JsonValue::Object(_)) => {
            for (slot, key) in codes.iter_mut().zip(["bank_code", "branch_code"]) {
                let field = format!("bank_details.{key}");
                match bd.get(key) {
                    Some(JsonValue::String(c)) if Ifsc::parse(c).is_ok_and(|i| i.as_str() == c) => *slot = Some(c.clone()),
                    None | Some(JsonValue::Null) => {
                        errs.add(&field, format!("The {} field is required.", human(&field)))
                    }
                    Some(_) => {
                        errs.add(&field, format!("The {} format is invalid.", human(&field)))
                    }
                }
            }
        }
        None | Some(JsonValue::Null) => {
            errs.add("bank_details", "The bank details field is required.")
        }
        Some(_) => errs.add("bank_details", "The bank details must be an object."),
    }
    match o.get("payments_details") {
        None | Some(JsonValue::Null | JsonValue::Object(_)) => {}
        Some(JsonValue::Array(a)) if a.is_empty() => {}
        Some(_) => errs.add(
            "payments_details",
            "The payments details must be an object.",
        ),
    }
    let signature = match o.get("signature") {
        Some(JsonValue::String(sig)) if !sig.is_empty() => Some(sig.clone()),
        _ => {
            errs.add("signature", "The signature field is required.");
            None
        }
    };
    let (
        Some(withdrawal_id),
        Some(amount_paise),
        Some(label),
        Some(account_number),
        Some(account_name),
        [Some(bank_code), Some(branch_code)],
        Some(signature),
    ) = (
        withdrawal_id,
        amount,
        label,
        account_number,
        account_name,
        codes,
        signature,
    )
    else {
        return fail_fields(errs);
    };
    if !errs.is_empty() {
        return fail_fields(errs);
    }
    if !verify_withdrawal_signature(st.config.withdrawal_key.expose(), &o, &signature) {
        errs.add("signature", "The signature is invalid.");
        return fail_fields(errs);
    }
    let outcome = ops::create_withdrawal(
        &st,
        NewWithdrawal {
            withdrawal_id,
            amount_paise,
            label,
            account_number,
            account_name,
            bank_code,
            branch_code,
            is_test,
        },
    )
    .await;
    match outcome {
        Ok(WithdrawalOutcome::Accepted(w)) => {
            tracing::info!(withdrawal_id = %w.withdrawal_id, amount_paise = w.amount_paise, "sandbox: withdrawal accepted");
            provider_ok(obj(vec![("status", s("ok"))]))
        }
        Ok(WithdrawalOutcome::Duplicate) => {
            errs.add("withdrawal_id", "The withdrawal id has already been taken.");
            fail_fields(errs)
        }
        Ok(WithdrawalOutcome::InsufficientBalance) => {
            errs.add("withdrawals_sum_amount", "Insufficient balance");
            fail_fields(errs)
        }
        Err(e) => internal(&e),
    }
}

// ------------------------------------------------------------ test hooks

fn hook_json(status: StatusCode, v: serde_json::Value) -> Response {
    json_text(status, v.to_string())
}

fn hook_error(status: StatusCode, message: &str) -> Response {
    hook_json(status, serde_json::json!({ "error": message }))
}

fn op_error(e: OpError) -> Response {
    if let OpError::Db(db) = &e {
        tracing::error!(error = %db, "sandbox: database error");
    }
    hook_error(e.status(), &e.to_string())
}

pub fn order_json(st: &SandboxState, o: &Order) -> serde_json::Value {
    serde_json::json!({
        "order_id": o.order_id,
        "custom_transaction_id": o.custom_transaction_id,
        "label": o.label,
        "amount_paise": o.amount_paise,
        "amount": crate::domain::Money::from_paise(o.amount_paise).to_wire_rupees(),
        "status": o.status,
        "failure_reason": o.failure_reason,
        "source": o.source,
        "qr_data": o.qr_data,
        "upi_ref": o.upi_ref,
        "transaction_id": o.transaction_id,
        "paid_paise": o.paid_paise,
        "payer_vpa": o.payer_vpa,
        "created_at_ms": o.created_at_ms,
        "expires_at_ms": o.expires_at_ms,
        "paid_at_ms": o.paid_at_ms,
        "pay_url": format!("{}/pay/{}", st.config.public_url.trim_end_matches('/'), o.order_id),
    })
}

pub fn withdrawal_json(w: &Withdrawal) -> serde_json::Value {
    serde_json::json!({
        "withdrawal_id": w.withdrawal_id,
        "amount_paise": w.amount_paise,
        "label": w.label,
        "account_number": w.account_number,
        "account_name": w.account_name,
        "bank_code": w.bank_code,
        "branch_code": w.branch_code,
        "is_test": w.is_test,
        "status": w.status.as_wire(),
        "status_text": w.status.as_str(),
        "created_at_ms": w.created_at_ms,
        "auto_at_ms": w.auto_at_ms,
        "decided_at_ms": w.decided_at_ms,
        "transaction_id": w.transaction_id,
    })
}

fn chaos_json(c: &Chaos) -> serde_json::Value {
    serde_json::json!({
        "duplicate_postbacks": c.duplicate_postbacks,
        "concurrent": c.concurrent,
        "out_of_order": c.out_of_order,
        "delay_ms": u64::try_from(c.delay.as_millis()).unwrap_or(u64::MAX),
        "status_errors_for": c.status_errors_for,
        "bad_signature_next": c.bad_signature_next,
    })
}

/// `GET /sandbox/api/chaos`
pub async fn get_chaos(State(st): State<SandboxState>) -> Response {
    hook_json(StatusCode::OK, chaos_json(&st.chaos()))
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
    hook_json(StatusCode::OK, chaos_json(&c))
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

pub fn postback_json(p: &Postback, attempts: &[&Attempt]) -> serde_json::Value {
    serde_json::json!({
        "id": p.id,
        "kind": p.kind,
        "ref_id": p.ref_id,
        "copy_no": p.copy_no,
        "forged": p.forged,
        "state": p.state,
        "attempts": p.attempts,
        "next_attempt_ms": p.next_attempt_ms,
        "created_at_ms": p.created_at_ms,
        "finished_at_ms": p.finished_at_ms,
        "body": p.body,
        "attempt_log": attempts.iter().map(|a| serde_json::json!({
            "attempt_no": a.attempt_no,
            "at_ms": a.at_ms,
            "at": provider_datetime(a.at_ms),
            "http_status": a.http_status,
            "response_body": a.response_body,
            "latency_ms": a.latency_ms,
            "error": a.error,
            "ok": a.ok,
        })).collect::<Vec<_>>(),
    })
}

/// `GET /sandbox/api/deliveries?order_id=..` (newest first).
pub async fn deliveries(State(st): State<SandboxState>, RawQuery(q): RawQuery) -> Response {
    let filter = delivery_filter(q.as_deref());
    match ops::deliveries(&st, filter.as_deref(), 500).await {
        Ok(list) => {
            let total: usize = list.iter().map(|(_, a)| a.len()).sum();
            let postbacks: Vec<serde_json::Value> = list
                .iter()
                .map(|(p, a)| postback_json(p, &a.iter().collect::<Vec<_>>()))
                .collect();
            hook_json(
                StatusCode::OK,
                serde_json::json!({ "postbacks": postbacks, "attempts_total": total }),
            )
        }
        Err(e) => op_error(OpError::Db(e)),
    }
}

/// `GET /sandbox/api/orders/{order_id}`
pub async fn get_order(State(st): State<SandboxState>, Path(order_id): Path<String>) -> Response {
    match ops::get_order(&st, &order_id).await {
        Ok(Some(o)) => hook_json(StatusCode::OK, order_json(&st, &o)),
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
                Some(serde_json::Value::Number(n)) => match crate::domain::Money::from_wire_decimal(&n.to_string()).ok().map(crate::domain::Money::paise) {
                    Some(p) => Some(p),
                    None => {
                        return hook_error(
                            StatusCode::BAD_REQUEST,
                            "The amount must be rupees with at most two decimals.",
                        );
                    }
                },
                Some(serde_json::Value::String(t)) => match crate::domain::Money::from_wire_decimal(&t).ok().map(crate::domain::Money::paise) {
                    Some(p) => Some(p),
                    None => {
                        return hook_error(
                            StatusCode::BAD_REQUEST,
                            "The amount must be rupees with at most two decimals.",
                        );
                    }
                },
                Some(_) => {
                    return hook_error(
                        StatusCode::BAD_REQUEST,
                        "The amount must be a number of rupees.",
                    );
                }
            };
            ops::pay(&st, &order_id, amount, hook.payer_vpa).await
        }
        "decline" => ops::fail_order(&st, &order_id, "declined").await,
        "expire" => ops::fail_order(&st, &order_id, "expired").await,
        _ => {
            return hook_error(
                StatusCode::NOT_FOUND,
                "Unknown action: use pay, decline or expire.",
            );
        }
    };
    match result {
        Ok(o) => hook_json(StatusCode::OK, order_json(&st, &o)),
        Err(e) => op_error(e),
    }
}

/// `GET /sandbox/api/withdrawals/{id}`
pub async fn get_withdrawal(State(st): State<SandboxState>, Path(id): Path<String>) -> Response {
    match ops::get_withdrawal(&st, &id).await {
        Ok(Some(w)) => hook_json(StatusCode::OK, withdrawal_json(&w)),
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
            return hook_error(
                StatusCode::NOT_FOUND,
                "Unknown decision: use paid or rejected.",
            );
        }
    };
    match ops::decide_withdrawal(&st, &id, paid).await {
        Ok(w) => hook_json(StatusCode::OK, withdrawal_json(&w)),
        Err(e) => op_error(e),
    }
}

/// `GET /sandbox/api/merchant`
pub async fn get_merchant(State(st): State<SandboxState>) -> Response {
    match ops::balance(&st).await {
        Ok(b) => hook_json(StatusCode::OK, serde_json::json!({ "balance_paise": b })),
        Err(e) => op_error(OpError::Db(e)),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MerchantUpdate {
    balance_paise: i64,
}

/// `POST /sandbox/api/merchant` `{"balance_paise": n}`
pub async fn set_merchant(State(st): State<SandboxState>, body: Bytes) -> Response {
    let u: MerchantUpdate = match serde_json::from_slice(&body) {
        Ok(u) => u,
        Err(e) => return hook_error(StatusCode::BAD_REQUEST, &format!("Invalid request: {e}")),
    };
    if u.balance_paise < 0 {
        return hook_error(StatusCode::BAD_REQUEST, "The balance must not be negative.");
    }
    match ops::set_balance(&st, u.balance_paise).await {
        Ok(()) => hook_json(
            StatusCode::OK,
            serde_json::json!({ "balance_paise": u.balance_paise }),
        ),
        Err(e) => op_error(OpError::Db(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets() {
        assert!(secret_ok(Some("secret=abc"), "abc"));
        assert!(secret_ok(Some("x=1&secret=a%2Bb"), "a+b"));
        assert!(!secret_ok(Some("secret=abd"), "abc"));
        assert!(!secret_ok(Some("secret="), ""));
        assert!(!secret_ok(None, "abc"));
        assert!(!secret_ok(Some("secret=abcd"), "abc"));
    }
}
