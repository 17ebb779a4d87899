//! What one signed postback item is, read from signed fields only.
//!
//! A postback's top-level fields (`label`, `amount`, `direction`,
//! `currency_code`, `wallet_type`) are outside the signature: anyone who has
//! seen one genuine postback can resend it with other top-level values. So
//! whether an item is a deposit payment or a withdrawal result, how much it is
//! worth and in which currency, is decided here, from the item inside the
//! signed `additional_data`, and nowhere else.

use super::json::JsonValue;
use crate::domain::Money;

/// `transaction_type` of a deposit payment (the seed's example).
pub const DEPOSIT_TRANSACTION_TYPE: i64 = 0;
/// **Not documented:** `transaction_type` of a withdrawal result. 1 is
/// inferred from integrations; the sandbox sends it. Kept in this one place.
pub const WITHDRAWAL_TRANSACTION_TYPE: i64 = 1;
/// The longest provider reference we accept (the API allows 190 for ours).
pub const MAX_REFERENCE_LEN: usize = 190;

/// What a signed item is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemKind {
    /// A deposit payment: `transaction_type` 0 and no withdrawal fields.
    Payment,
    /// The result of one of our withdrawals: `withdrawal_id` present.
    WithdrawalResult { withdrawal_id: String, status: Option<i64> },
    /// The signed fields do not say, or contradict each other: kept for review.
    Unknown(String),
}

impl ItemKind {
    pub fn name(&self) -> &'static str {
        match self {
            ItemKind::Payment => "payment",
            ItemKind::WithdrawalResult { .. } => "withdrawal",
            ItemKind::Unknown(_) => "unknown",
        }
    }
}

/// One signed item, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedItem {
    pub kind: ItemKind,
    /// The provider's transaction reference (the UPI reference for payments).
    pub transaction_id: String,
    pub amount: Money,
    /// The signed currency, as sent (`INR` is the only one credited).
    pub currency: String,
    pub wallet_type: String,
    /// `plugin_custom_order_id`: our deposit id, as signed.
    pub order_ref: String,
}

impl SignedItem {
    /// A deposit payment in rupees (tests and the benchmark build these).
    pub fn payment(transaction_id: &str, amount: Money, order_ref: &str) -> SignedItem {
        SignedItem {
            kind: ItemKind::Payment,
            transaction_id: transaction_id.to_string(),
            amount,
            currency: "INR".into(),
            wallet_type: "upi_s".into(),
            order_ref: order_ref.to_string(),
        }
    }

    /// The key this item claims in the payments table: its transaction id, or
    /// for a withdrawal result that carries none, the withdrawal it reports on.
    pub fn claim_key(&self) -> String {
        self.transaction_id.clone()
    }

    pub fn is_inr(&self) -> bool {
        self.currency == "INR"
    }
}

/// A string or a number, as text; `null`, absent and `""` are `None`.
fn text(v: Option<&JsonValue>) -> Option<String> {
    match v? {
        JsonValue::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        JsonValue::Number(n) => Some(n.clone()),
        _ => None,
    }
}

/// An integer field (number or numeric string).
fn integer(v: Option<&JsonValue>) -> Result<Option<i64>, ()> {
    match text(v) {
        None => Ok(None),
        Some(t) => t.parse::<i64>().map(Some).map_err(|_| ()),
    }
}

/// Decides the kind of an item from its signed fields alone.
pub fn classify(item: &JsonValue) -> ItemKind {
    let Ok(transaction_type) = integer(item.get("transaction_type")) else {
        return ItemKind::Unknown("transaction_type is not an integer".into());
    };
    let withdrawal_id = text(item.get("withdrawal_id"));
    let Ok(withdrawal_status) = integer(item.get("withdrawal_status")) else {
        return ItemKind::Unknown("withdrawal_status is not an integer".into());
    };
    match (transaction_type, withdrawal_id) {
        (Some(DEPOSIT_TRANSACTION_TYPE), None) if withdrawal_status.is_none() => ItemKind::Payment,
        (Some(DEPOSIT_TRANSACTION_TYPE), _) => {
            ItemKind::Unknown("transaction_type says payment but withdrawal fields are set".into())
        }
        (Some(WITHDRAWAL_TRANSACTION_TYPE), Some(id)) => {
            ItemKind::WithdrawalResult { withdrawal_id: id, status: withdrawal_status }
        }
        (Some(WITHDRAWAL_TRANSACTION_TYPE), None) => ItemKind::Unknown("withdrawal item without withdrawal_id".into()),
        (None, Some(id)) => ItemKind::WithdrawalResult { withdrawal_id: id, status: withdrawal_status },
        (None, None) => ItemKind::Unknown("no transaction_type".into()),
        (Some(other), _) => ItemKind::Unknown(format!("unknown transaction_type {other}")),
    }
}

/// Parses item `index` of `additional_data`. An error names what is missing;
/// the caller keeps such an item for review (it is signed, so it is real).
pub fn parse_item(v: &JsonValue, index: usize) -> Result<SignedItem, String> {
    if v.as_object().is_none() {
        return Err(format!("additional_data[{index}] is not an object"));
    }
    let kind = classify(v);
    let transaction_id = match (text(v.get("transaction_id")), &kind) {
        (Some(t), _) => t,
        // A rejected withdrawal may carry no transaction id; it still reports
        // on exactly one withdrawal of ours.
        (None, ItemKind::WithdrawalResult { withdrawal_id, .. }) => format!("withdrawal:{withdrawal_id}"),
        (None, _) => return Err(format!("additional_data[{index}] has no transaction_id")),
    };
    if transaction_id.len() > MAX_REFERENCE_LEN {
        return Err(format!("additional_data[{index}].transaction_id is longer than {MAX_REFERENCE_LEN} characters"));
    }
    let amount_text = text(v.get("amount")).ok_or_else(|| format!("additional_data[{index}] has no amount"))?;
    let amount = Money::from_wire_decimal(&amount_text)
        .map_err(|e| format!("additional_data[{index}].amount is not usable: {e}"))?;
    if !amount.is_positive() {
        return Err(format!("additional_data[{index}].amount is not positive"));
    }
    let order_ref = text(v.get("plugin_custom_order_id")).unwrap_or_default();
    if order_ref.len() > MAX_REFERENCE_LEN {
        return Err(format!("additional_data[{index}].plugin_custom_order_id is too long"));
    }
    let currency = text(v.get("currency_code")).unwrap_or_default();
    let wallet_type = text(v.get("wallet_type")).unwrap_or_default();
    Ok(SignedItem { kind, transaction_id, amount, currency, wallet_type, order_ref })
}

/// The unsigned top-level fields, kept to compare with the signed items and
/// to show admins as hints. Never used to decide anything about money.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unsigned {
    pub label: String,
    pub amount: Option<Money>,
    pub direction: String,
    pub currency: String,
    pub wallet_type: String,
}

impl Unsigned {
    pub fn from_root(root: &JsonValue) -> Unsigned {
        let mut label = text(root.get("label")).unwrap_or_default();
        label.truncate(label.char_indices().nth(MAX_REFERENCE_LEN).map(|(i, _)| i).unwrap_or(label.len()));
        Unsigned {
            label,
            amount: text(root.get("amount")).and_then(|a| Money::from_wire_decimal(&a).ok()),
            direction: text(root.get("direction")).unwrap_or_default(),
            currency: text(root.get("currency_code")).unwrap_or_default(),
            wallet_type: text(root.get("wallet_type")).unwrap_or_default(),
        }
    }

    /// Where the unsigned fields disagree with the signed items (flag names).
    pub fn disagreements(&self, items: &[SignedItem], item: &SignedItem) -> Vec<&'static str> {
        let mut flags = Vec::new();
        let expected_direction = match item.kind {
            ItemKind::Payment => Some("ingoing"),
            ItemKind::WithdrawalResult { .. } => Some("outgoing"),
            ItemKind::Unknown(_) => None,
        };
        if let Some(d) = expected_direction
            && !self.direction.is_empty()
            && self.direction != d
        {
            flags.push("direction_mismatch");
        }
        if let Some(top) = self.amount {
            let signed_total: i64 = items.iter().map(|i| i.amount.paise()).fold(0i64, |a, b| a.saturating_add(b));
            if top.paise() != signed_total {
                flags.push("top_amount_mismatch");
            }
        }
        if !self.currency.is_empty() && self.currency != item.currency {
            flags.push("currency_mismatch");
        }
        if !self.wallet_type.is_empty() && !item.wallet_type.is_empty() && self.wallet_type != item.wallet_type {
            flags.push("wallet_type_mismatch");
        }
        flags
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paykassma::json::parse;

    fn item(extra: &str) -> JsonValue {
        parse(&format!(
            r#"{{"amount":"500","currency_code":"INR","wallet_type":"upi_s","transaction_id":"400000000001",{extra}}}"#
        ))
        .unwrap()
    }

    #[test]
    fn a_deposit_payment_is_recognised_only_with_type_zero_and_no_withdrawal_fields() {
        assert_eq!(
            classify(&item(r#""transaction_type":0,"withdrawal_id":null,"withdrawal_status":null"#)),
            ItemKind::Payment
        );
        assert_eq!(classify(&item(r#""transaction_type":"0""#)), ItemKind::Payment);
        assert!(matches!(
            classify(&item(r#""transaction_type":0,"withdrawal_id":"wd-1","withdrawal_status":1"#)),
            ItemKind::Unknown(_)
        ));
        assert!(matches!(
            classify(&item(r#""transaction_type":0,"withdrawal_id":null,"withdrawal_status":5"#)),
            ItemKind::Unknown(_)
        ));
    }

    #[test]
    fn a_withdrawal_result_is_recognised_by_its_withdrawal_id() {
        assert_eq!(
            classify(&item(r#""transaction_type":1,"withdrawal_id":"wd-1","withdrawal_status":1"#)),
            ItemKind::WithdrawalResult { withdrawal_id: "wd-1".into(), status: Some(1) }
        );
        assert_eq!(
            classify(&item(r#""withdrawal_id":"wd-2","withdrawal_status":5"#)),
            ItemKind::WithdrawalResult { withdrawal_id: "wd-2".into(), status: Some(5) }
        );
    }

    #[test]
    fn an_item_whose_kind_cannot_be_told_is_unknown() {
        assert!(matches!(classify(&item(r#""withdrawal_id":null"#)), ItemKind::Unknown(_)));
        assert!(matches!(classify(&item(r#""transaction_type":7"#)), ItemKind::Unknown(_)));
        assert!(matches!(classify(&item(r#""transaction_type":"zero""#)), ItemKind::Unknown(_)));
        assert!(matches!(classify(&item(r#""transaction_type":1"#)), ItemKind::Unknown(_)));
    }

    #[test]
    fn parse_names_what_is_missing() {
        let no_amount = parse(r#"{"transaction_id":"1","transaction_type":0}"#).unwrap();
        assert_eq!(parse_item(&no_amount, 0).unwrap_err(), "additional_data[0] has no amount");
        let no_txn = parse(r#"{"amount":"5","transaction_type":0}"#).unwrap();
        assert_eq!(parse_item(&no_txn, 2).unwrap_err(), "additional_data[2] has no transaction_id");
        let negative = parse(r#"{"amount":"-5","transaction_id":"1","transaction_type":0}"#).unwrap();
        assert!(parse_item(&negative, 0).is_err());
        let zero = parse(r#"{"amount":0,"transaction_id":"1","transaction_type":0}"#).unwrap();
        assert!(parse_item(&zero, 0).is_err());
        assert!(parse_item(&parse("[1]").unwrap(), 0).is_err());
    }

    #[test]
    fn a_withdrawal_result_without_transaction_id_claims_its_withdrawal() {
        let v = parse(
            r#"{"amount":"40","transaction_id":"","transaction_type":1,"withdrawal_id":"wd-9","withdrawal_status":5}"#,
        )
        .unwrap();
        assert_eq!(parse_item(&v, 0).unwrap().claim_key(), "withdrawal:wd-9");
    }

    #[test]
    fn unsigned_fields_that_disagree_are_named() {
        let root = parse(
            r#"{"label":"mallory","amount":900,"direction":"outgoing","currency_code":"INR","wallet_type":"upi_s"}"#,
        )
        .unwrap();
        let top = Unsigned::from_root(&root);
        let it = SignedItem::payment("1", Money::from_paise(50_000), "dep");
        let flags = top.disagreements(std::slice::from_ref(&it), &it);
        assert_eq!(flags, vec!["direction_mismatch", "top_amount_mismatch"]);
    }
}
