//! What goes over the wire to and from Paykassma's API, and the conversions
//! between the wire and our domain types (`i64` paise inside, rupees with at
//! most two decimals outside).
//!
//! Shared by the client ([`super::client`]) and the sandbox.

use serde::{Deserialize, Serialize};

use crate::domain::Money;
use crate::domain::money::MAX_WIRE_PAISE;

use super::error::ProviderError;
use super::json::JsonValue;
use super::plugin::MAX_ID_LEN;
use super::types::{CreatePayment, CreatedPayment, PaymentStatus, WithdrawalRequest};

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
    let mut out: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).take(MAX_MESSAGE_CHARS).collect();
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
                    serde_json::Value::Array(items) => items.iter().map(value_text).filter(|m| !m.is_empty()).collect(),
                    other => vec![value_text(other)],
                };
                fields.push((clean_text(k), msgs));
            }
            fields.iter().map(|(k, m)| format!("{k}: {}", m.join(" "))).collect::<Vec<_>>().join("; ")
        }
        Some(serde_json::Value::Array(items)) => items.iter().map(value_text).collect::<Vec<_>>().join(" "),
        Some(v) => value_text(v),
        None => String::new(),
    };
    let insufficient = fields.iter().any(|(k, msgs)| {
        k == "withdrawals_sum_amount" && msgs.iter().any(|m| m.to_ascii_lowercase().contains("insufficient"))
    }) || text.to_ascii_lowercase().contains("insufficient balance");
    if insufficient {
        return ProviderError::InsufficientBalance;
    }
    ProviderError::Rejected { message: text, fields }
}

impl TryFrom<CreatePaymentData> for CreatedPayment {
    type Error = ProviderError;

    fn try_from(d: CreatePaymentData) -> Result<Self, Self::Error> {
        let bad = |what: &str| ProviderError::NotJson { status: 200, snippet: format!("the answer has {what}") };
        if d.order_id.trim().is_empty() {
            return Err(bad("an empty order_id"));
        }
        if d.qr_data.trim().is_empty() {
            return Err(bad("an empty qr_data"));
        }
        Ok(CreatedPayment { order_id: d.order_id, qr_data: d.qr_data, qr_png_base64: d.qr_string, message: d.message })
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

/// A request field the provider limits in length: not blank, at most `max` characters.
fn check_text(name: &str, v: &str, max: usize) -> Result<(), ProviderError> {
    if v.trim().is_empty() {
        return Err(ProviderError::InvalidRequest(format!("The {name} must not be empty.")));
    }
    if v.chars().count() > max {
        return Err(ProviderError::InvalidRequest(format!("The {name} must be at most {max} characters.")));
    }
    Ok(())
}

/// The create body for a payment, checked against what the provider accepts.
impl TryFrom<&CreatePayment> for CreatePaymentRequest {
    type Error = ProviderError;

    fn try_from(req: &CreatePayment) -> Result<Self, ProviderError> {
        if req.amount_paise <= 0 {
            return Err(ProviderError::InvalidRequest("The amount must be greater than zero.".to_owned()));
        }
        let amount = rupees_json_number(req.amount_paise)
            .ok_or_else(|| ProviderError::InvalidRequest("The amount is too large.".to_owned()))?;
        check_text("label", &req.label, MAX_ID_LEN)?;
        check_text("custom transaction id", &req.custom_transaction_id, MAX_ID_LEN)?;
        Ok(CreatePaymentRequest {
            mode: "upi_collect_qr".to_owned(),
            amount,
            currency: "INR".to_owned(),
            label: req.label.clone(),
            wallet_type: "upi_s".to_owned(),
            custom_transaction_id: req.custom_transaction_id.clone(),
        })
    }
}

/// The IMPS withdrawal body, unsigned, in the documented field order; the
/// bank details are already parsed types, the rest is checked here.
#[derive(Debug, Clone, PartialEq)]
pub struct WithdrawalBody(JsonValue);

impl TryFrom<&WithdrawalRequest> for WithdrawalBody {
    type Error = ProviderError;

    fn try_from(req: &WithdrawalRequest) -> Result<Self, ProviderError> {
        let bad = |m: &str| Err(ProviderError::InvalidRequest(m.to_owned()));
        if req.amount_paise <= 0 {
            return bad("The withdrawal amount must be greater than zero.");
        }
        if req.amount_paise % 100 != 0 {
            return bad("The withdrawal amount must be a whole number of rupees.");
        }
        if req.amount_paise > MAX_WIRE_PAISE {
            return bad("The withdrawal amount is too large.");
        }
        check_text("withdrawal id", &req.withdrawal_id, 36)?;
        check_text("label", &req.label, 36)?;
        let s = |v: &str| JsonValue::String(v.to_owned());
        let ifsc = req.ifsc.as_str();
        Ok(WithdrawalBody(JsonValue::Object(vec![
            ("withdrawal_id".into(), s(&req.withdrawal_id)),
            ("payment_system".into(), s("imps_ib")),
            ("amount".into(), JsonValue::Number((req.amount_paise / 100).to_string())),
            ("currency_code".into(), s("INR")),
            ("is_test".into(), JsonValue::Bool(req.is_test)),
            ("label".into(), s(&req.label)),
            ("account_number".into(), s(req.account_number.as_str())),
            ("account_name".into(), s(req.account_name.as_str())),
            (
                "bank_details".into(),
                JsonValue::Object(vec![("bank_code".into(), s(ifsc)), ("branch_code".into(), s(ifsc))]),
            ),
            ("payments_details".into(), JsonValue::Object(vec![])),
        ])))
    }
}

impl WithdrawalBody {
    /// The body with its `signature` appended
    /// ([`super::withdrawal_signature::withdrawal_signature`]).
    pub fn signed(self, withdrawal_key: &str) -> JsonValue {
        let signature = super::withdrawal_signature::withdrawal_signature(withdrawal_key, &self.0);
        match self.0 {
            JsonValue::Object(mut pairs) => {
                pairs.push(("signature".into(), JsonValue::String(signature)));
                JsonValue::Object(pairs)
            }
            other => other,
        }
    }
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
        for p in
            [MAX_WIRE_PAISE, MAX_WIRE_PAISE - 1, 9_999_999_999_999, 1_234_567_890_123, 10_000_000_001, 99_999_999_999]
        {
            check(p);
        }
        assert!(rupees_json_number(MAX_WIRE_PAISE + 1).is_none());
    }

    #[test]
    fn create_requests_are_checked() {
        let ok = CreatePayment { amount_paise: 10_050, label: "alice".into(), custom_transaction_id: "t-1".into() };
        assert_eq!(CreatePaymentRequest::try_from(&ok).unwrap().amount.to_string(), "100.5");
        for bad in [
            CreatePayment { amount_paise: 0, ..ok.clone() },
            CreatePayment { amount_paise: MAX_WIRE_PAISE + 1, ..ok.clone() },
            CreatePayment { label: "".into(), ..ok.clone() },
            CreatePayment { custom_transaction_id: "x".repeat(191), ..ok.clone() },
        ] {
            assert!(matches!(CreatePaymentRequest::try_from(&bad), Err(ProviderError::InvalidRequest(_))), "{bad:?}");
        }
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
        let v: serde_json::Value =
            serde_json::from_str(r#"{"amount":["The amount must be at least 100."],"label":"required"}"#).unwrap();
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
        assert_eq!(fail_to_error(Some(&v)), ProviderError::Rejected { message: "Bad thing".into(), fields: vec![] });
    }

    #[test]
    fn withdrawal_body_is_signed_and_ordered() {
        let req = WithdrawalRequest {
            withdrawal_id: "wd-1".into(),
            amount_paise: 150_000,
            label: "user-1".into(),
            account_number: crate::domain::AccountNumber::parse("000123456789").unwrap(),
            account_name: crate::domain::AccountHolder::parse("Sita Devi").unwrap(),
            ifsc: crate::domain::Ifsc::parse("HDFC0001234").unwrap(),
            is_test: true,
        };
        let b = WithdrawalBody::try_from(&req).unwrap().signed("wk");
        for (change, why) in [
            (WithdrawalRequest { amount_paise: 150_050, ..req.clone() }, "paise"),
            (WithdrawalRequest { amount_paise: 0, ..req.clone() }, "zero"),
            (WithdrawalRequest { withdrawal_id: "x".repeat(37), ..req.clone() }, "id too long"),
            (WithdrawalRequest { label: " ".into(), ..req.clone() }, "blank label"),
        ] {
            assert!(matches!(WithdrawalBody::try_from(&change), Err(ProviderError::InvalidRequest(_))), "{why}");
        }
        let text = super::super::json::php_encode(&b);
        assert!(text.starts_with(
            r#"{"withdrawal_id":"wd-1","payment_system":"imps_ib","amount":1500,"currency_code":"INR","is_test":true,"#
        ));
        let sig = b.get("signature").and_then(JsonValue::as_str).unwrap();
        assert!(super::super::withdrawal_signature::verify_withdrawal_signature("wk", &b, sig));
    }
}
