//! Postback bodies exactly in the seed's format, signed like the provider.

use crate::paykassma::json::{JsonValue, php_encode};
use crate::paykassma::signature::postback_signature;

use super::store::{Order, Withdrawal};
use super::time::provider_datetime;

fn s(v: &str) -> JsonValue {
    JsonValue::String(v.to_owned())
}

fn n(v: i64) -> JsonValue {
    JsonValue::Number(v.to_string())
}

fn obj(pairs: Vec<(&str, JsonValue)>) -> JsonValue {
    JsonValue::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

/// The keys a postback is signed with. `forged` signs with a wrong private
/// key (chaos).
pub struct Keys<'a> {
    pub access_key: &'a str,
    pub private_key: &'a str,
    pub forged: bool,
}

/// **Not documented:** the withdrawal postback's `transaction_type`; the
/// portal's classifier and the sandbox share the one inferred value.
pub use crate::paykassma::item::{DEPOSIT_TRANSACTION_TYPE, WITHDRAWAL_TRANSACTION_TYPE};
/// **Not documented:** the `wallet_type` of IMPS payouts; the request's
/// `payment_system` is used.
pub const WITHDRAWAL_WALLET_TYPE: &str = "imps_ib";

/// Wraps signed `additional_data` into the top-level body, in the seed's key
/// order, and encodes it the way PHP's `json_encode` with unescaped slashes
/// and unicode does.
pub fn envelope(
    keys: &Keys<'_>,
    wallet_type: &str,
    amount_paise: i64,
    label: &str,
    direction: &str,
    created_ms: i64,
    additional_data: JsonValue,
) -> String {
    let signature = if keys.forged {
        let wrong = format!("{}-forged", keys.private_key);
        postback_signature(keys.access_key, &wrong, &additional_data)
    } else {
        postback_signature(keys.access_key, keys.private_key, &additional_data)
    };
    let root = obj(vec![
        ("signature", s(&signature)),
        ("wallet_type", s(wallet_type)),
        ("amount", JsonValue::Number(crate::domain::Money::from_paise(amount_paise).to_wire_rupees())),
        ("currency_code", s("INR")),
        ("label", s(label)),
        ("direction", s(direction)),
        ("created_datetime", s(&provider_datetime(created_ms))),
        ("access_key", s(keys.access_key)),
        ("additional_data", additional_data),
    ]);
    php_encode(&root)
}

/// One signed deposit transaction, as the provider lists it in `additional_data`.
pub struct DepositItem<'a> {
    pub transaction_id: &'a str,
    pub amount_paise: i64,
    /// `plugin_custom_order_id`: the merchant's custom_transaction_id.
    pub order_ref: &'a str,
    pub payer_vpa: &'a str,
    pub stockpiling_id: i64,
    pub activated_ms: i64,
}

/// The item object in the seed's key order.
pub fn deposit_item(item: &DepositItem<'_>) -> JsonValue {
    obj(vec![
        ("activated_datetime", s(&provider_datetime(item.activated_ms))),
        ("exchanger_identifier", s(item.payer_vpa)),
        ("comment", s("")),
        ("amount", s(&crate::domain::Money::from_paise(item.amount_paise).to_wire_rupees())),
        ("currency_code", s("INR")),
        ("wallet_type", s("upi_s")),
        ("stockpiling_id", n(item.stockpiling_id)),
        ("transaction_id", s(item.transaction_id)),
        ("transaction_type", n(DEPOSIT_TRANSACTION_TYPE)),
        ("plugin_custom_order_id", s(item.order_ref)),
        ("withdrawal_id", JsonValue::Null),
        ("withdrawal_status", JsonValue::Null),
        ("account_number", s("")),
        ("account_name", s("")),
        ("account_email", s("")),
        ("bank_details", obj(vec![("bank_code", s("")), ("branch_code", s(""))])),
    ])
}

/// The `ingoing` postback of a paid order. Returns `None` if the order is
/// not paid.
pub fn deposit_body(keys: &Keys<'_>, order: &Order, created_ms: i64) -> Option<String> {
    let paid = order.paid_paise?;
    let item = deposit_item(&DepositItem {
        transaction_id: order.transaction_id.as_deref()?,
        amount_paise: paid,
        order_ref: &order.custom_transaction_id,
        payer_vpa: order.payer_vpa.as_deref().unwrap_or_default(),
        stockpiling_id: order.stockpiling_id?,
        activated_ms: order.paid_at_ms?,
    });
    Some(envelope(keys, "upi_s", paid, &order.label, "ingoing", created_ms, JsonValue::Array(vec![item])))
}

/// The `outgoing` postback of a decided withdrawal (`withdrawal_status` on
/// the wire: 1 paid, 5 rejected). Returns `None` while it is pending.
pub fn withdrawal_body(keys: &Keys<'_>, w: &Withdrawal, created_ms: i64) -> Option<String> {
    if !w.status.is_decided() {
        return None;
    }
    let item = obj(vec![
        ("activated_datetime", s(&provider_datetime(w.decided_at_ms?))),
        ("exchanger_identifier", s(&w.account_number)),
        ("comment", s("")),
        ("amount", s(&crate::domain::Money::from_paise(w.amount_paise).to_wire_rupees())),
        ("currency_code", s("INR")),
        ("wallet_type", s(WITHDRAWAL_WALLET_TYPE)),
        ("stockpiling_id", n(w.stockpiling_id?)),
        ("transaction_id", s(w.transaction_id.as_deref().unwrap_or_default())),
        ("transaction_type", n(WITHDRAWAL_TRANSACTION_TYPE)),
        ("plugin_custom_order_id", JsonValue::Null),
        ("withdrawal_id", s(&w.withdrawal_id)),
        ("withdrawal_status", n(w.status.as_wire())),
        ("account_number", s(&w.account_number)),
        ("account_name", s(&w.account_name)),
        ("account_email", s("")),
        ("bank_details", obj(vec![("bank_code", s(&w.bank_code)), ("branch_code", s(&w.branch_code))])),
    ]);
    Some(envelope(
        keys,
        WITHDRAWAL_WALLET_TYPE,
        w.amount_paise,
        &w.label,
        "outgoing",
        created_ms,
        JsonValue::Array(vec![item]),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paykassma::signature::{VerifyError, verify_postback};

    fn paid_order() -> Order {
        Order {
            order_id: "029391c747902d94".into(),
            custom_transaction_id: "qG7h123nud8AqUqn".into(),
            label: "2537232".into(),
            amount_paise: 70000,
            status: "success".into(),
            failure_reason: None,
            source: "api".into(),
            lang: "en".into(),
            return_targets: String::new(),
            upi_ref: "IT32021661770570987".into(),
            qr_data: String::new(),
            created_at_ms: 0,
            expires_at_ms: 0,
            paid_paise: Some(70050),
            transaction_id: Some("322712363408".into()),
            payer_vpa: Some("s132nfinite0-4@okhdfcbank".into()),
            paid_at_ms: Some(1_692_106_141_000),
            stockpiling_id: Some(1_430_926),
            finished_at_ms: None,
        }
    }

    #[test]
    fn deposit_matches_seed_format_and_verifies() {
        let keys = Keys { access_key: "FQ9jMwrNSkFbyMNqYFf6Ed4xeKmjHK", private_key: "pk", forged: false };
        let body = deposit_body(&keys, &paid_order(), 1_692_931_660_000).unwrap();
        let expected_tail = r#","wallet_type":"upi_s","amount":700.5,"currency_code":"INR","label":"2537232","direction":"ingoing","created_datetime":"2023-08-25 10:47:40","access_key":"FQ9jMwrNSkFbyMNqYFf6Ed4xeKmjHK","additional_data":[{"activated_datetime":"2023-08-15 21:29:01","exchanger_identifier":"s132nfinite0-4@okhdfcbank","comment":"","amount":"700.5","currency_code":"INR","wallet_type":"upi_s","stockpiling_id":1430926,"transaction_id":"322712363408","transaction_type":0,"plugin_custom_order_id":"qG7h123nud8AqUqn","withdrawal_id":null,"withdrawal_status":null,"account_number":"","account_name":"","account_email":"","bank_details":{"bank_code":"","branch_code":""}}]}"#;
        assert!(body.starts_with(r#"{"signature":""#), "{body}");
        assert!(body.ends_with(expected_tail), "{body}");
        verify_postback(&body, keys.access_key, "pk").unwrap();
        let forged = deposit_body(&Keys { forged: true, ..keys }, &paid_order(), 0).unwrap();
        assert_eq!(
            verify_postback(&forged, "FQ9jMwrNSkFbyMNqYFf6Ed4xeKmjHK", "pk").unwrap_err(),
            VerifyError::BadSignature
        );
    }

    #[test]
    fn unpaid_order_has_no_postback() {
        let mut o = paid_order();
        o.paid_paise = None;
        let keys = Keys { access_key: "a", private_key: "p", forged: false };
        assert!(deposit_body(&keys, &o, 0).is_none());
    }

    #[test]
    fn withdrawal_postback() {
        let w = Withdrawal {
            withdrawal_id: "wd-1".into(),
            amount_paise: 150000,
            label: "user-1".into(),
            account_number: "000123456789".into(),
            account_name: "Sita Devi".into(),
            bank_code: "HDFC0001234".into(),
            branch_code: "HDFC0001234".into(),
            is_test: false,
            status: crate::domain::WithdrawalStatus::Rejected,
            created_at_ms: 0,
            auto_at_ms: None,
            decided_at_ms: Some(0),
            transaction_id: None,
            stockpiling_id: Some(7),
        };
        let keys = Keys { access_key: "a", private_key: "p", forged: false };
        let body = withdrawal_body(&keys, &w, 0).unwrap();
        let v = verify_postback(&body, "a", "p").unwrap();
        let item = &v.additional_data()[0];
        assert_eq!(item.get("withdrawal_status"), Some(&JsonValue::Number("5".into())));
        assert_eq!(item.get("withdrawal_id").and_then(JsonValue::as_str), Some("wd-1"));
        assert_eq!(v.root().get("direction").and_then(JsonValue::as_str), Some("outgoing"));
        assert_eq!(v.root().get("amount"), Some(&JsonValue::Number("1500".into())));
    }
}
