//! What goes over the wire to and from Paykassma's API, and the conversions
//! between the wire and our domain types (`i64` paise inside, rupees with at
//! most two decimals outside).
//!
//! Shared by the client ([`super::client`]) and the sandbox.

use serde::{Deserialize, Serialize};

use crate::domain::Money;
use crate::domain::money::MAX_WIRE_PAISE;

use super::client::{CreatedPayment, PaymentStatus, ProviderError};
use super::json::JsonValue;

/// The rupee amount as a JSON number: an integer when whole, otherwise the
/// `f64` nearest to the two-decimal value (which serde_json prints back as
/// exactly that decimal, see the tests). `None` beyond [`MAX_WIRE_PAISE`].
pub fn rupees_json_number(paise: i64) -> Option<serde_json::Number> {
    if paise.unsigned_abs() > MAX_WIRE_PAISE.unsigned_abs() {
        return None;
    }
    if paise % 100 == 0 {
        return Some(serde_json::Number::from(paise / 100));
    }
    // Parsing the decimal string gives the correctly rounded f64, not the
    // (inexact) result of paise as f64 / 100.0.
    let f: f64 = Money::from_paise(paise).to_wire_rupees().parse().ok()?;
    serde_json::Number::from_f64(f)
}


/// Body of `POST /api/v1/payment/create/upi_s`. Field order as documented.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CreatePaymentRequest {
    pub mode: String,
    /// Rupees.
    pub amount: serde_json::Number,
    pub currency: String,
    pub label: String,
    pub wallet_type: String,
    pub custom_transaction_id: String,
}

/// `data` of a successful create answer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CreatePaymentData {
    pub order_id: String,
    /// Base64 PNG of the QR code.
    #[serde(default)]
    pub qr_string: String,
    pub qr_data: String,
    #[serde(default)]
    pub message: String,
}

/// A successful create answer: `{"status":"ok","data":{..}}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CreatePaymentResponse {
    pub status: String,
    pub data: CreatePaymentData,
}

/// Body of `POST /api/v1/payment/upi_s/status`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StatusRequest {
    pub order_id: String,
}

/// `{"status":"success"|"processing"|"failed"}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StatusResponse {
    pub status: String,
}

/// `{"status":"ok"}` (anything else in it is ignored).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct OkResponse {
    pub status: String,
}

/// Longest text we keep from a provider message.
const MAX_MESSAGE_CHARS: usize = 300;

fn clean_text(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_MESSAGE_CHARS)
        .collect();
    if s.chars().count() > MAX_MESSAGE_CHARS {
        out.push('…');
    }
    out.trim().to_owned()
}

fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => clean_text(s),
        serde_json::Value::Null => String::new(),
        other => clean_text(&other.to_string()),
    }
}

/// A `{"status":"fail","message":..}` answer turned into our error:
/// `message` as a string, or as an object of field -> [messages] (a lone
/// string per field is accepted too). The provider's "Insufficient balance"
/// field error becomes [`ProviderError::InsufficientBalance`].
pub fn fail_to_error(message: Option<&serde_json::Value>) -> ProviderError {
    let mut fields: Vec<(String, Vec<String>)> = Vec::new();
    let text = match message {
        Some(serde_json::Value::Object(map)) => {
            for (k, v) in map {
                let msgs = match v {
                    serde_json::Value::Array(items) => items
                        .iter()
                        .map(value_text)
                        .filter(|m| !m.is_empty())
                        .collect(),
                    other => vec![value_text(other)],
                };
                fields.push((clean_text(k), msgs));
            }
            fields
                .iter()
                .map(|(k, m)| format!("{k}: {}", m.join(" ")))
                .collect::<Vec<_>>()
                .join("; ")
        }
        Some(serde_json::Value::Array(items)) => {
            items.iter().map(value_text).collect::<Vec<_>>().join(" ")
        }
        Some(v) => value_text(v),
        None => String::new(),
    };
    let insufficient = fields.iter().any(|(k, msgs)| {
        k == "withdrawals_sum_amount"
            && msgs
                .iter()
                .any(|m| m.to_ascii_lowercase().contains("insufficient"))
    }) || text.to_ascii_lowercase().contains("insufficient balance");
    if insufficient {
        return ProviderError::InsufficientBalance;
    }
    ProviderError::Rejected {
        message: text,
        fields,
    }
}

impl TryFrom<CreatePaymentData> for CreatedPayment {
    type Error = ProviderError;

    fn try_from(d: CreatePaymentData) -> Result<Self, Self::Error> {
        let bad = |what: &str| ProviderError::NotJson {
            status: 200,
            snippet: format!("the answer has {what}"),
        };
        if d.order_id.trim().is_empty() {
            return Err(bad("an empty order_id"));
        }
        if d.qr_data.trim().is_empty() {
            return Err(bad("an empty qr_data"));
        }
        Ok(CreatedPayment {
            order_id: d.order_id,
            qr_data: d.qr_data,
            qr_png_base64: d.qr_string,
            message: d.message,
        })
    }
}

impl TryFrom<StatusResponse> for PaymentStatus {
    type Error = ProviderError;

    fn try_from(r: StatusResponse) -> Result<Self, Self::Error> {
        match r.status.as_str() {
            "success" => Ok(PaymentStatus::Success),
            "processing" => Ok(PaymentStatus::Processing),
            "failed" => Ok(PaymentStatus::Failed),
            other => Err(ProviderError::NotJson {
                status: 200,
                snippet: format!("unknown payment status \"{}\"", clean_text(other)),
            }),
        }
    }
}

/// Builds the IMPS withdrawal body in the documented field order, signs it
/// with [`super::withdrawal_signature::withdrawal_signature`] and appends
/// `signature`. `amount_rupees` is an integer on the wire.
#[allow(clippy::too_many_arguments)]
pub fn withdrawal_body(
    withdrawal_key: &str,
    withdrawal_id: &str,
    amount_rupees: i64,
    label: &str,
    account_number: &str,
    account_name: &str,
    ifsc: &str,
    is_test: bool,
) -> JsonValue {
    let s = |v: &str| JsonValue::String(v.to_owned());
    let mut pairs: Vec<(String, JsonValue)> = vec![
        ("withdrawal_id".into(), s(withdrawal_id)),
        ("payment_system".into(), s("imps_ib")),
        (
            "amount".into(),
            JsonValue::Number(amount_rupees.to_string()),
        ),
        ("currency_code".into(), s("INR")),
        ("is_test".into(), JsonValue::Bool(is_test)),
        ("label".into(), s(label)),
        ("account_number".into(), s(account_number)),
        ("account_name".into(), s(account_name)),
        (
            "bank_details".into(),
            JsonValue::Object(vec![
                ("bank_code".into(), s(ifsc)),
                ("branch_code".into(), s(ifsc)),
            ]),
        ),
        ("payments_details".into(), JsonValue::Object(vec![])),
    ];
    let unsigned = JsonValue::Object(pairs.clone());
    let signature = super::withdrawal_signature::withdrawal_signature(withdrawal_key, &unsigned);
    pairs.push(("signature".into(), JsonValue::String(signature)));
    JsonValue::Object(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_numbers_print_exactly() {
        let check = |p: i64| {
            let n = rupees_json_number(p).unwrap();
            assert_eq!(n.to_string(), Money::from_paise(p).to_wire_rupees(), "{p}");
            assert_eq!(Money::from_wire_decimal(&n.to_string()).map(Money::paise), Ok(p), "{p}");
        };
        for p in 0..200_000 {
            check(p);
        }
        for p in [
            MAX_WIRE_PAISE,
            MAX_WIRE_PAISE - 1,
            9_999_999_999_999,
            1_234_567_890_123,
            10_000_000_001,
            99_999_999_999,
        ] {
            check(p);
        }
        assert!(rupees_json_number(MAX_WIRE_PAISE + 1).is_none());
    }

    #[test]
    fn create_request_serialises_in_order() {
        let r = CreatePaymentRequest {
            mode: "upi_collect_qr".into(),
            amount: rupees_json_number(10050).unwrap(),
            currency: "INR".into(),
            label: "alice".into(),
            wallet_type: "upi_s".into(),
            custom_transaction_id: "t-1".into(),
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"mode":"upi_collect_qr","amount":100.5,"currency":"INR","label":"alice","wallet_type":"upi_s","custom_transaction_id":"t-1"}"#
        );
    }

    #[test]
    fn fail_messages() {
        let v: serde_json::Value = serde_json::from_str(
            r#"{"amount":["The amount must be at least 100."],"label":"required"}"#,
        )
        .unwrap();
        match fail_to_error(Some(&v)) {
            ProviderError::Rejected { message, fields } => {
                assert_eq!(fields.len(), 2);
                assert_eq!(fields[0].0, "amount");
                assert_eq!(fields[1].1, vec!["required".to_owned()]);
                assert!(message.contains("amount: The amount must be at least 100."));
            }
            e => panic!("{e:?}"),
        }
        let v: serde_json::Value =
            serde_json::from_str(r#"{"withdrawals_sum_amount":["Insufficient balance"]}"#).unwrap();
        assert_eq!(fail_to_error(Some(&v)), ProviderError::InsufficientBalance);
        let v = serde_json::Value::String("Bad\nthing".into());
        assert_eq!(
            fail_to_error(Some(&v)),
            ProviderError::Rejected {
                message: "Bad thing".into(),
                fields: vec![]
            }
        );
    }

    #[test]
    fn withdrawal_body_is_signed_and_ordered() {
        let b = withdrawal_body(
            "wk",
            "wd-1",
            1500,
            "user-1",
            "000123456789",
            "Sita Devi",
            "HDFC0001234",
            true,
        );
        let text = super::super::json::php_encode(&b);
        assert!(text.starts_with(
            r#"{"withdrawal_id":"wd-1","payment_system":"imps_ib","amount":1500,"currency_code":"INR","is_test":true,"#
        ));
        let sig = b.get("signature").and_then(JsonValue::as_str).unwrap();
        assert!(super::super::withdrawal_signature::verify_withdrawal_signature("wk", &b, sig));
    }
}
