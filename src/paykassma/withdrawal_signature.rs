//! Signature of IMPS withdrawal requests (`POST /v2/withdrawal/create`).

use md5::Md5;
use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

use super::json::JsonValue;

/// **INFERRED, NOT DOCUMENTED BY THE PROVIDER.** Paykassma does not publish
/// the withdrawal request signature scheme. This is reconstructed from one
/// public integration and is kept in this one function so that it can be
/// corrected in one edit once the provider confirms it; test it against the
/// sandbox only.
///
/// `sha1_hex(private_key + md5_hex(values.join(":")))`, where `values` are:
/// - the top-level object's members sorted by key (byte order, stable for
///   duplicate keys), with the top-level `signature` member left out;
/// - a nested object flattened in place, its own keys sorted the same way
///   (recursively); a nested array flattened in place in its own order; an
///   empty nested object or array contributes no slot;
/// - strings raw, numbers as their lexeme, `true` as `1`, `false` and `null`
///   as an empty slot (as PHP's string conversion prints them).
///
/// If `fields` is not an object, it is treated as a single value.
pub fn withdrawal_signature(private_key: &str, fields: &JsonValue) -> String {
    let mut values: Vec<&str> = Vec::new();
    match fields {
        JsonValue::Object(pairs) => {
            let mut sorted: Vec<&(String, JsonValue)> = pairs.iter().filter(|(k, _)| k != "signature").collect();
            sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            for (_, v) in sorted {
                flatten(v, &mut values);
            }
        }
        other => flatten(other, &mut values),
    }
    let joined = values.join(":");
    let inner = hex::encode(Md5::digest(joined.as_bytes()));
    let mut h = Sha1::new();
    h.update(private_key.as_bytes());
    h.update(inner.as_bytes());
    hex::encode(h.finalize())
}

fn flatten<'a>(v: &'a JsonValue, out: &mut Vec<&'a str>) {
    match v {
        JsonValue::Null | JsonValue::Bool(false) => out.push(""),
        JsonValue::Bool(true) => out.push("1"),
        JsonValue::Number(n) => out.push(n),
        JsonValue::String(s) => out.push(s),
        JsonValue::Array(items) => {
            for item in items {
                flatten(item, out);
            }
        }
        JsonValue::Object(pairs) => {
            let mut sorted: Vec<&(String, JsonValue)> = pairs.iter().collect();
            sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            for (_, v) in sorted {
                flatten(v, out);
            }
        }
    }
}

/// Constant-time check of `signature` against [`withdrawal_signature`].
/// Accepts only the lowercase hex form.
pub fn verify_withdrawal_signature(private_key: &str, fields: &JsonValue, signature: &str) -> bool {
    let expected = withdrawal_signature(private_key, fields);
    bool::from(expected.as_bytes().ct_eq(signature.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::super::json::parse;
    use super::*;

    fn reference(private_key: &str, joined: &str) -> String {
        let inner = hex::encode(Md5::digest(joined.as_bytes()));
        hex::encode(Sha1::digest(format!("{private_key}{inner}").as_bytes()))
    }

    const REQUEST: &str = r#"{
        "withdrawal_id": "wd_0001",
        "payment_system": "imps_ib",
        "amount": 1500,
        "currency_code": "INR",
        "is_test": true,
        "label": "user-42",
        "account_number": "000123456789",
        "account_name": "Sita Devi",
        "bank_details": {"branch_code": "HDFC0001234", "bank_code": "HDFC0001234"},
        "payments_details": {}
    }"#;

    #[test]
    fn realistic_request() {
        let v = parse(REQUEST).unwrap();
        // account_name, account_number, amount, bank_details.{bank_code, branch_code},
        // currency_code, is_test, label, payment_system, (payments_details: none), withdrawal_id
        let joined = "Sita Devi:000123456789:1500:HDFC0001234:HDFC0001234:INR:1:user-42:imps_ib:wd_0001";
        let sig = withdrawal_signature("pk", &v);
        assert_eq!(sig, reference("pk", joined));
        assert_eq!(sig.len(), 40);
        assert!(verify_withdrawal_signature("pk", &v, &sig));
        assert!(!verify_withdrawal_signature("pk2", &v, &sig));
        assert!(!verify_withdrawal_signature("pk", &v, &sig.to_uppercase()));
        assert!(!verify_withdrawal_signature("pk", &v, ""));
    }

    #[test]
    fn signature_key_is_excluded_and_order_does_not_matter() {
        let a = parse(r#"{"b":"2","a":"1","signature":"zzz"}"#).unwrap();
        let b = parse(r#"{"a":"1","b":"2"}"#).unwrap();
        assert_eq!(withdrawal_signature("k", &a), withdrawal_signature("k", &b));
        assert_eq!(withdrawal_signature("k", &a), reference("k", "1:2"));
    }

    #[test]
    fn empty_and_boolean_slots() {
        let v = parse(r#"{"a":"","b":null,"c":false,"d":true,"e":0,"f":"x"}"#).unwrap();
        assert_eq!(withdrawal_signature("k", &v), reference("k", ":::1:0:x"));
    }

    #[test]
    fn nested_flattened_in_place_sorted() {
        let v =
            parse(r#"{"z":"last","m":{"y":"my","b":{"q":"mbq","a":"mba"}},"a":"first","l":[3,{"k":"v"},[]]}"#).unwrap();
        assert_eq!(withdrawal_signature("k", &v), reference("k", "first:3:v:mba:mbq:my:last"));
    }

    #[test]
    fn byte_order_sorting_and_raw_strings() {
        // Uppercase sorts before lowercase; '_' (0x5f) between them.
        let v = parse(r#"{"b":"x:y","B":"सी","_":"a/b","a1":1.50}"#).unwrap();
        assert_eq!(withdrawal_signature("k", &v), reference("k", "सी:a/b:1.50:x:y"));
    }

    #[test]
    fn value_changes_change_signature() {
        let a = parse(r#"{"amount":1500,"label":"u"}"#).unwrap();
        let b = parse(r#"{"amount":1501,"label":"u"}"#).unwrap();
        assert_ne!(withdrawal_signature("k", &a), withdrawal_signature("k", &b));
    }
}
