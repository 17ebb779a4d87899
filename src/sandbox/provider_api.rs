//! The provider's HTTP API as the sandbox plays it: create a UPI S payment,
//! its status, create an IMPS withdrawal. The test hooks are in [`super::hooks`].

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use crate::domain::{AccountHolder, Ifsc};
use crate::paykassma::json::{self, JsonValue, php_encode};
use crate::paykassma::qr::qr_png_base64;
use crate::paykassma::withdrawal_signature::verify_withdrawal_signature;

use super::SandboxState;
use super::ops::{self, CreateOutcome, NewOrder, NewWithdrawal, WithdrawalOutcome};

/// Longest `label` / `custom_transaction_id` on the payment API.
const MAX_ID_LEN: usize = 190;
/// Pixels per QR module in `qr_string`.
const QR_PNG_SCALE: u32 = 6;

// ---------------------------------------------------------------- answers

pub(super) fn json_text(status: StatusCode, text: String) -> Response {
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
            .map(|(k, msgs)| (k, JsonValue::Array(msgs.into_iter().map(JsonValue::String).collect())))
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
    let given = url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "secret").map(|(_, v)| v.into_owned());
    match given {
        Some(g) => !secret.is_empty() && bool::from(g.as_bytes().ct_eq(secret.as_bytes())),
        None => false,
    }
}

/// The request body as a JSON object.
fn parse_object(body: &Bytes) -> Option<JsonValue> {
    std::str::from_utf8(body).ok().and_then(|t| json::parse(t).ok()).filter(|v| matches!(v, JsonValue::Object(_)))
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
            errs.add(field, format!("The {} may not be greater than {max} characters.", human(field)));
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
        None | Some(JsonValue::Null) => errs.add(field, format!("The {} field is required.", human(field))),
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
pub async fn create_payment(State(st): State<SandboxState>, RawQuery(q): RawQuery, body: Bytes) -> Response {
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
        Some(JsonValue::Number(lex)) | Some(JsonValue::String(lex)) => {
            match crate::domain::Money::from_wire_decimal(lex).ok().map(crate::domain::Money::paise) {
                Some(p) if limits(&mut errs, &st, "amount", p) => Some(p),
                Some(_) => None,
                None => {
                    errs.add("amount", "The amount must be a number with at most two decimal places.");
                    None
                }
            }
        }
        Some(_) => {
            errs.add("amount", "The amount must be a number.");
            None
        }
    };
    fixed(&mut errs, &o, "currency", "INR");
    let label = text(&mut errs, &o, "label", MAX_ID_LEN);
    fixed(&mut errs, &o, "wallet_type", "upi_s");
    let ctid = text(&mut errs, &o, "custom_transaction_id", MAX_ID_LEN);
    let (Some(amount_paise), Some(label), Some(custom_transaction_id)) = (amount, label, ctid) else {
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
            errs.add("custom_transaction_id", "The custom transaction id has already been taken.");
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
pub async fn payment_status(State(st): State<SandboxState>, RawQuery(q): RawQuery, body: Bytes) -> Response {
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
            (StatusCode::OK, [(header::CONTENT_TYPE, "text/html; charset=UTF-8")], "{\n    'status': 'processing'\n}")
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
        Some(JsonValue::Number(lex)) if !lex.is_empty() && lex.bytes().all(|b| b.is_ascii_digit()) => {
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
        errs.add("account_number", "The account number must contain only digits.");
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
                    Some(JsonValue::String(c)) if Ifsc::parse(c).is_ok_and(|i| i.as_str() == c) => {
                        *slot = Some(c.clone())
                    }
                    None | Some(JsonValue::Null) => {
                        errs.add(&field, format!("The {} field is required.", human(&field)))
                    }
                    Some(_) => errs.add(&field, format!("The {} format is invalid.", human(&field))),
                }
            }
        }
        None | Some(JsonValue::Null) => errs.add("bank_details", "The bank details field is required."),
        Some(_) => errs.add("bank_details", "The bank details must be an object."),
    }
    match o.get("payments_details") {
        None | Some(JsonValue::Null | JsonValue::Object(_)) => {}
        Some(JsonValue::Array(a)) if a.is_empty() => {}
        Some(_) => errs.add("payments_details", "The payments details must be an object."),
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
    ) = (withdrawal_id, amount, label, account_number, account_name, codes, signature)
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
            let lost = {
                let mut c = st.chaos.lock().unwrap_or_else(|p| p.into_inner());
                let lost = c.withdrawal_answer_lost_next > 0;
                if lost {
                    c.withdrawal_answer_lost_next -= 1;
                }
                lost
            };
            if lost {
                return (
                    StatusCode::GATEWAY_TIMEOUT,
                    [(header::CONTENT_TYPE, "text/html; charset=UTF-8")],
                    "<!doctype html><html><head><title>504 Gateway Time-out</title></head><body><h1>504 Gateway Time-out</h1></body></html>",
                )
                    .into_response();
            }
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
