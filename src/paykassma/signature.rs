//! Postback signatures.
//!
//! `signature = sha1(access_key + private_key + md5(J))` in lowercase hex,
//! where `J` is `additional_data` encoded by PHP's
//! `json_encode(.., JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE)`.
//! The wire body need not be encoded like `J` (it may escape `/` and
//! non-ASCII, or be pretty-printed), so we re-encode the parsed value.
//!
//! The signature covers `additional_data` only: top-level fields such as
//! `label` or `amount` are NOT authenticated. Credit what the signed items say.

use md5::Md5;
use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

use super::json::{self, JsonValue};

fn md5_hex(data: &[u8]) -> String {
    hex::encode(Md5::digest(data))
}

fn sha1_hex(parts: &[&[u8]]) -> String {
    let mut h = Sha1::new();
    for p in parts {
        h.update(p);
    }
    hex::encode(h.finalize())
}

/// Lowercase hex `sha1(access_key + private_key + md5_hex(php_encode(additional_data)))`.
pub fn postback_signature(access_key: &str, private_key: &str, additional_data: &JsonValue) -> String {
    let inner = md5_hex(json::php_encode(additional_data).as_bytes());
    sign_md5(access_key, private_key, &inner)
}

/// `sha1(access_key + private_key + md5_hex)`: the one place the formula is written.
fn sign_md5(access_key: &str, private_key: &str, md5_hex: &str) -> String {
    sha1_hex(&[access_key.as_bytes(), private_key.as_bytes(), md5_hex.as_bytes()])
}

/// The historic variant, documented only for older accounts: the same
/// formula over a list called `transactions`, encoded with PHP's default
/// `json_encode` flags (`\/` and `\uXXXX` escapes). Not used by
/// [`verify_postback`].
pub fn legacy_transactions_signature(access_key: &str, private_key: &str, transactions: &JsonValue) -> String {
    let inner = md5_hex(json::php_encode_default(transactions).as_bytes());
    sign_md5(access_key, private_key, &inner)
}

/// Why a postback was refused. Messages never contain the private key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the postback keys are not configured (empty access key or private key)")]
    NotConfigured,
    #[error("the postback body is not valid JSON: {0}")]
    NotJson(String),
    #[error("the postback body is not a JSON object")]
    NotAnObject,
    #[error("the postback has no `{0}` field")]
    MissingField(&'static str),
    #[error("the postback has more than one `{0}` field")]
    DuplicateField(&'static str),
    #[error("the postback field `{field}` is not {expected}")]
    WrongType { field: &'static str, expected: &'static str },
    #[error("the postback signature is not 40 lowercase hexadecimal characters")]
    MalformedSignature,
    #[error("the postback access key does not match the configured access key")]
    WrongAccessKey,
    #[error("the postback signature does not match its additional_data")]
    BadSignature,
}

/// A postback whose signature checked out. Only [`verify_postback`] makes one.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedPostback {
    root: JsonValue,
}

impl VerifiedPostback {
    /// The whole parsed body. Remember: only `additional_data` is signed.
    pub fn root(&self) -> &JsonValue {
        &self.root
    }

    /// The signed transaction items.
    pub fn additional_data(&self) -> &[JsonValue] {
        self.root.get("additional_data").and_then(JsonValue::as_array).unwrap_or_default()
    }

    pub fn into_root(self) -> JsonValue {
        self.root
    }
}

fn unique<'a>(root: &'a JsonValue, field: &'static str) -> Result<&'a JsonValue, VerifyError> {
    match root.count_key(field) {
        0 => Err(VerifyError::MissingField(field)),
        1 => root.get(field).ok_or(VerifyError::MissingField(field)),
        _ => Err(VerifyError::DuplicateField(field)),
    }
}

fn is_lower_hex40(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Parses and verifies a postback body.
///
/// Checks, in order: keys configured, JSON, object, `signature` (one, string,
/// 40 lowercase hex), `access_key` (one, string, equal to ours in constant
/// time), `additional_data` (one, array), then the signature in constant time.
pub fn verify_postback(
    body: &str,
    expected_access_key: &str,
    private_key: &str,
) -> Result<VerifiedPostback, VerifyError> {
    check_postback(body, expected_access_key, private_key).result
}

/// How many leading hex characters of a signature may be shown.
pub const SIGNATURE_SHOWN_CHARS: usize = 8;

/// A signature as it may be shown: its first [`SIGNATURE_SHOWN_CHARS`]
/// characters, the rest masked. The whole signature the portal expects for
/// a body would let whoever sees it sign any body they like.
pub fn masked_signature(signature: &str) -> String {
    let shown: String = signature.chars().take(SIGNATURE_SHOWN_CHARS).collect();
    let hidden = signature.chars().count().saturating_sub(SIGNATURE_SHOWN_CHARS);
    format!("{shown}{}", "•".repeat(hidden))
}

/// Every step of a postback's verification, as [`verify_postback`] takes
/// them (it is this function's `result`): the admin inspector shows these
/// steps, so what it says can never differ from what ingestion does. Steps
/// after a failed one are still taken where their input exists, to explain
/// more; the outcome is the first failure in the documented order. A step
/// not reached (the body is not a JSON object) is `None`.
///
/// The private key never leaves [`check_postback`], and the expected
/// signature never leaves this type whole: only
/// [`PostbackCheck::expected_signature_shown`].
#[derive(Clone)]
pub struct PostbackCheck {
    /// Both keys are configured (nothing else is checked without them).
    pub keys_configured: bool,
    /// The body is JSON, and a JSON object.
    pub json: Option<Result<(), VerifyError>>,
    /// One `signature`, a string of 40 lowercase hex characters.
    pub signature_field: Option<Result<(), VerifyError>>,
    /// One `access_key`, a string equal to ours (compared in constant time).
    pub access_key_field: Option<Result<(), VerifyError>>,
    /// The received `access_key`, when the body has exactly one, a string.
    pub access_key: Option<String>,
    /// One `additional_data`, an array (of this many items).
    pub additional_data_field: Option<Result<usize, VerifyError>>,
    /// `J`: `additional_data` re-encoded the PHP way, when it is one array.
    pub signed_json: Option<String>,
    /// `md5(J)`, lowercase hex.
    pub signed_json_md5: Option<String>,
    received_signature: Option<String>,
    expected_signature: Option<String>,
    signature_matches: Option<bool>,
    /// What ingestion acts on: exactly [`verify_postback`]'s answer.
    pub result: Result<VerifiedPostback, VerifyError>,
}

impl PostbackCheck {
    /// The expected signature, masked ([`masked_signature`]); `None` when
    /// there was nothing to sign (no `additional_data` array, no keys).
    pub fn expected_signature_shown(&self) -> Option<String> {
        self.expected_signature.as_deref().map(masked_signature)
    }

    /// The received signature, masked the same way (a genuine signature is a
    /// credential for its body).
    pub fn received_signature_shown(&self) -> Option<String> {
        self.received_signature.as_deref().map(masked_signature)
    }

    /// Whether the received signature equals the expected one (compared in
    /// constant time); `None` when either is missing or malformed.
    pub fn signature_matches(&self) -> Option<bool> {
        self.signature_matches
    }
}

/// Never prints a signature whole.
impl std::fmt::Debug for PostbackCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostbackCheck")
            .field("keys_configured", &self.keys_configured)
            .field("json", &self.json)
            .field("signature_field", &self.signature_field)
            .field("access_key_field", &self.access_key_field)
            .field("access_key", &self.access_key)
            .field("additional_data_field", &self.additional_data_field)
            .field("signed_json_md5", &self.signed_json_md5)
            .field("received_signature", &self.received_signature_shown())
            .field("expected_signature", &self.expected_signature_shown())
            .field("signature_matches", &self.signature_matches)
            .field("result", &self.result.as_ref().map(|_| "verified"))
            .finish()
    }
}

/// Verifies a postback body step by step (see [`PostbackCheck`]).
pub fn check_postback(body: &str, expected_access_key: &str, private_key: &str) -> PostbackCheck {
    let mut check = PostbackCheck {
        keys_configured: !(expected_access_key.is_empty() || private_key.is_empty()),
        json: None,
        signature_field: None,
        access_key_field: None,
        access_key: None,
        additional_data_field: None,
        signed_json: None,
        signed_json_md5: None,
        received_signature: None,
        expected_signature: None,
        signature_matches: None,
        result: Err(VerifyError::NotConfigured),
    };
    if !check.keys_configured {
        return check;
    }
    let root = match json::parse(body) {
        Ok(root @ JsonValue::Object(_)) => root,
        Ok(_) => {
            check.json = Some(Err(VerifyError::NotAnObject));
            check.result = Err(VerifyError::NotAnObject);
            return check;
        }
        Err(e) => {
            let e = VerifyError::NotJson(e.to_string());
            check.json = Some(Err(e.clone()));
            check.result = Err(e);
            return check;
        }
    };
    check.json = Some(Ok(()));

    let signature = unique(&root, "signature")
        .and_then(|v| v.as_str().ok_or(VerifyError::WrongType { field: "signature", expected: "a string" }));
    check.received_signature = signature.as_ref().ok().map(|s| s.to_string());
    let signature =
        signature.and_then(|s| if is_lower_hex40(s) { Ok(s) } else { Err(VerifyError::MalformedSignature) });
    check.signature_field = Some(signature.as_ref().map(|_| ()).map_err(Clone::clone));

    let access_key = unique(&root, "access_key")
        .and_then(|v| v.as_str().ok_or(VerifyError::WrongType { field: "access_key", expected: "a string" }));
    check.access_key = access_key.as_ref().ok().map(|s| s.to_string());
    check.access_key_field = Some(access_key.and_then(|k| {
        if bool::from(k.as_bytes().ct_eq(expected_access_key.as_bytes())) {
            Ok(())
        } else {
            Err(VerifyError::WrongAccessKey)
        }
    }));

    let additional_data = unique(&root, "additional_data").and_then(|v| {
        v.as_array().map(|_| v).ok_or(VerifyError::WrongType { field: "additional_data", expected: "an array" })
    });
    check.additional_data_field =
        Some(additional_data.as_ref().map(|v| v.as_array().map_or(0, <[JsonValue]>::len)).map_err(Clone::clone));
    if let Ok(data) = additional_data {
        let signed_json = json::php_encode(data);
        let inner = md5_hex(signed_json.as_bytes());
        check.expected_signature = Some(sign_md5(expected_access_key, private_key, &inner));
        check.signed_json = Some(signed_json);
        check.signed_json_md5 = Some(inner);
    }
    if let (Ok(received), Some(expected)) = (&signature, &check.expected_signature) {
        check.signature_matches = Some(bool::from(expected.as_bytes().ct_eq(received.as_bytes())));
    }

    let matches = check.signature_matches == Some(true);
    let first_failure = [&check.signature_field, &check.access_key_field]
        .into_iter()
        .flatten()
        .find_map(|step| step.clone().err())
        .or_else(|| check.additional_data_field.clone().and_then(Result::err));
    check.result = match first_failure {
        Some(e) => Err(e),
        None if !matches => Err(VerifyError::BadSignature),
        None => Ok(VerifiedPostback { root }),
    };
    check
}

/// A postback body safe to show: a validly signed body is a replayable
/// credential, so its `signature` value is replaced. JSON is re-encoded with
/// the value masked (the rest as PHP would write it); a body that is not JSON
/// has every `"signature"` string value masked textually.
pub fn redact_signature(body: &str) -> String {
    const MASK: &str = "[redacted]";
    if let Ok(JsonValue::Object(members)) = json::parse(body) {
        let members = members
            .into_iter()
            .map(|(k, v)| if k == "signature" { (k, JsonValue::String(MASK.into())) } else { (k, v) })
            .collect();
        return json::php_encode(&JsonValue::Object(members));
    }
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(at) = rest.find("\"signature\"") {
        let (before, after_key) = rest.split_at(at + "\"signature\"".len());
        out.push_str(before);
        let trimmed = after_key.trim_start();
        let Some(after_colon) = trimmed.strip_prefix(':') else {
            rest = after_key;
            continue;
        };
        let value = after_colon.trim_start();
        if let Some(inner) = value.strip_prefix('"') {
            // Skip the string value, honouring backslash escapes.
            let mut end = None;
            let mut escaped = false;
            for (i, c) in inner.char_indices() {
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => {
                        end = Some(i);
                        break;
                    }
                    _ => {}
                }
            }
            out.push_str(&format!(":\"{MASK}\""));
            rest = match end {
                Some(i) => &inner[i + 1..],
                None => "",
            };
        } else {
            rest = after_key;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_signed_body_is_shown_without_its_signature() {
        let body = r#"{"signature":"242c330f8ee2e57e84529bb14b7ec4838ac7be04","access_key":"k","additional_data":[]}"#;
        let shown = redact_signature(body);
        assert!(!shown.contains("242c330f"), "{shown}");
        assert!(shown.contains(r#""signature":"[redacted]""#));
        assert!(shown.contains(r#""access_key":"k""#));
        let broken = r#"{"signature" : "242c330f8ee2e57e8452\"9bb14b", "x": [1,"#;
        let shown = redact_signature(broken);
        assert!(!shown.contains("242c330f"), "{shown}");
        assert!(shown.ends_with(r#", "x": [1,"#), "{shown}");
        assert_eq!(redact_signature("not json"), "not json");
        assert_eq!(redact_signature(r#""signature""#), r#""signature""#);
    }

    use super::*;

    const AK: &str = "demo_access_key";
    const PK: &str = "demo_private_key";

    /// The vectors signed by PHP: the repository's copy always, and the team's
    /// shared file too when it sits beside the checkout (as in CI), so a newer
    /// shared set is tested the day it appears.
    fn vector_files() -> Vec<serde_json::Value> {
        let dir = env!("CARGO_MANIFEST_DIR");
        let mut out = Vec::new();
        for path in [format!("{dir}/tests/vectors/postbacks.json"), format!("{dir}/../shared/vectors/postbacks.json")] {
            match std::fs::read_to_string(&path) {
                Ok(text) => out.push(serde_json::from_str(&text).expect("postbacks.json is JSON")),
                Err(_) if path.contains("/../shared/") => {
                    eprintln!("note: {path} not present; tested the repository copy only")
                }
                Err(e) => panic!("read {path}: {e}"),
            }
        }
        out
    }

    #[test]
    fn shared_vectors() {
        for v in vector_files() {
            check_vectors(&v);
        }
    }

    fn check_vectors(v: &serde_json::Value) {
        let ak = v["access_key"].as_str().unwrap();
        let pk = v["private_key"].as_str().unwrap();
        let cases = v["cases"].as_array().unwrap();
        assert!(!cases.is_empty());
        let (mut valid, mut invalid) = (0, 0);
        for case in cases {
            let name = case["name"].as_str().unwrap();
            let body = case["body"].as_str().unwrap();
            let signed_json = case["signed_json"].as_str().unwrap();
            let root = json::parse(body).unwrap_or_else(|e| panic!("{name}: {e}"));
            let ad = root.get("additional_data").unwrap();
            let claimed = root.get("signature").and_then(JsonValue::as_str).unwrap();
            // The vector's signature is always the one over signed_json.
            let over_signed = sha1_hex(&[ak.as_bytes(), pk.as_bytes(), md5_hex(signed_json.as_bytes()).as_bytes()]);
            assert_eq!(over_signed, claimed, "{name}: vector signature is over signed_json");

            let result = verify_postback(body, ak, pk);
            if case["valid"].as_bool().unwrap() {
                valid += 1;
                assert_eq!(json::php_encode(ad), signed_json, "{name}: php_encode byte for byte");
                let ok = result.unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(ok.root(), &root);
                assert!(!ok.additional_data().is_empty());
            } else {
                invalid += 1;
                // A tampered body: our encoding is the tampered text, which is
                // exactly why the signature must not match.
                assert_ne!(json::php_encode(ad), signed_json, "{name}");
                assert_eq!(result, Err(VerifyError::BadSignature), "{name}");
            }
        }
        assert!(valid > 0 && invalid > 0);
    }

    fn item(fields: &str) -> String {
        format!(
            r#"[{{"activated_datetime":"2026-10-01 10:00:00","exchanger_identifier":"shop@okaxis",{fields},"currency_code":"INR","wallet_type":"upi_s","stockpiling_id":900001,"transaction_id":"400000000001","transaction_type":0,"plugin_custom_order_id":"dep_0001","withdrawal_id":null,"withdrawal_status":null,"bank_details":{{"bank_code":"","branch_code":""}}}}]"#
        )
    }

    /// Builds a body whose `additional_data` is `wire_ad` on the wire, signed
    /// over `signed_ad` (the PHP-encoded form).
    fn body(signature: &str, access_key: &str, wire_ad: &str) -> String {
        format!(
            r#"{{"signature":"{signature}","wallet_type":"upi_s","amount":500,"currency_code":"INR","label":"u1","direction":"ingoing","created_datetime":"2026-10-01 10:00:05","access_key":"{access_key}","additional_data":{wire_ad}}}"#
        )
    }

    fn sig_over(signed_ad: &str) -> String {
        sha1_hex(&[AK.as_bytes(), PK.as_bytes(), md5_hex(signed_ad.as_bytes()).as_bytes()])
    }

    /// Signs the PHP form, sends the wire form, and expects success plus an
    /// exact re-encoding.
    fn roundtrip(wire_ad: &str, php_ad: &str) {
        let sig = sig_over(php_ad);
        let b = body(&sig, AK, wire_ad);
        let parsed = json::parse(wire_ad).unwrap();
        assert_eq!(json::php_encode(&parsed), php_ad);
        assert_eq!(postback_signature(AK, PK, &parsed), sig);
        verify_postback(&b, AK, PK).unwrap_or_else(|e| panic!("{wire_ad}: {e}"));
    }

    #[test]
    fn hindi_raw_and_escaped() {
        let php = item(r#""comment":"भुगतान सफल","amount":"500""#);
        roundtrip(&php, &php);
        let wire = item(r#""comment":"\u092d\u0941\u0917\u0924\u093e\u0928 \u0938\u092b\u0932","amount":"500""#);
        roundtrip(&wire, &php);
    }

    #[test]
    fn slashes_escaped_on_wire() {
        let php = item(r#""comment":"a/b https://x.test/","amount":"500""#);
        roundtrip(&item(r#""comment":"a\/b https:\/\/x.test\/","amount":"500""#), &php);
    }

    #[test]
    fn line_separators_and_control_chars() {
        let php = item(r#""comment":"x\u2028y\u2029z\n\t\u0001\u001f\b\f\r\"\\","amount":"500""#);
        roundtrip(&php, &php);
        // Raw U+2028 on the wire still signs as \u2028; uppercase hex escapes
        // and \/ on the wire re-encode to PHP's form.
        let wire =
            item("\"comment\":\"x\u{2028}y\u{2029}z\\n\\u0009\\u0001\\u001F\\b\\f\\r\\\"\\\\\",\"amount\":\"500\"");
        roundtrip(&wire, &php);
        // DEL stays raw.
        let del = item("\"comment\":\"a\u{7f}b\",\"amount\":\"500\"");
        roundtrip(&del, &del);
    }

    #[test]
    fn float_lexemes_survive() {
        for n in ["1.0e+25", "12.5", "-0.0", "1.5E-7", "700.10"] {
            let php = item(&format!(r#""comment":"","amount":{n}"#));
            roundtrip(&php, &php);
        }
    }

    #[test]
    fn nested_objects_and_empty_containers() {
        let php = r#"[{"a":{},"b":[],"c":{"d":{"e":[1,{"f":null}]}},"g":[{}]}]"#;
        roundtrip(php, php);
        // {} vs [] changes the signature.
        let a = json::parse(r#"[{"a":{}}]"#).unwrap();
        let b = json::parse(r#"[{"a":[]}]"#).unwrap();
        assert_ne!(postback_signature(AK, PK, &a), postback_signature(AK, PK, &b));
        // An empty additional_data list is still a well-formed, signed postback.
        roundtrip("[]", "[]");
    }

    #[test]
    fn pretty_printed_wire() {
        let php = r#"[{"amount":"500","comment":"a/b"}]"#;
        let wire = "[\n  {\n    \"amount\" : \"500\",\n    \"comment\" : \"a\\/b\"\n  }\n]";
        roundtrip(wire, php);
    }

    #[test]
    fn wrong_access_key() {
        let ad = item(r#""comment":"","amount":"500""#);
        let sig = sig_over(&ad);
        let e = verify_postback(&body(&sig, "other_key", &ad), AK, PK).unwrap_err();
        assert_eq!(e, VerifyError::WrongAccessKey);
        // Also wrong when our configured key is a prefix of theirs.
        let e = verify_postback(&body(&sig, "demo_access_key2", &ad), AK, PK).unwrap_err();
        assert_eq!(e, VerifyError::WrongAccessKey);
    }

    #[test]
    fn tampered_amount() {
        let signed = item(r#""comment":"","amount":"500""#);
        let sent = item(r#""comment":"","amount":"5000""#);
        let e = verify_postback(&body(&sig_over(&signed), AK, &sent), AK, PK).unwrap_err();
        assert_eq!(e, VerifyError::BadSignature);
        // Numeric 500 vs string "500" differ too.
        let sent = item(r#""comment":"","amount":500"#);
        let e = verify_postback(&body(&sig_over(&signed), AK, &sent), AK, PK).unwrap_err();
        assert_eq!(e, VerifyError::BadSignature);
    }

    #[test]
    fn wrong_private_key_fails() {
        let ad = item(r#""comment":"","amount":"500""#);
        let e = verify_postback(&body(&sig_over(&ad), AK, &ad), AK, "other_private").unwrap_err();
        assert_eq!(e, VerifyError::BadSignature);
    }

    #[test]
    fn signature_format() {
        let ad = item(r#""comment":"","amount":"500""#);
        let sig = sig_over(&ad);
        let upper = sig.to_uppercase();
        assert_eq!(verify_postback(&body(&upper, AK, &ad), AK, PK), Err(VerifyError::MalformedSignature));
        assert_eq!(verify_postback(&body(&sig[..39], AK, &ad), AK, PK), Err(VerifyError::MalformedSignature));
        assert_eq!(verify_postback(&body(&format!("{sig}0"), AK, &ad), AK, PK), Err(VerifyError::MalformedSignature));
        assert_eq!(verify_postback(&body("", AK, &ad), AK, PK), Err(VerifyError::MalformedSignature));
        let g = format!("{}g", &sig[..39]);
        assert_eq!(verify_postback(&body(&g, AK, &ad), AK, PK), Err(VerifyError::MalformedSignature));
    }

    #[test]
    fn structural_errors() {
        let ad = item(r#""comment":"","amount":"500""#);
        let sig = sig_over(&ad);
        assert!(matches!(verify_postback("not json", AK, PK), Err(VerifyError::NotJson(_))));
        assert!(matches!(verify_postback("{'status': 'ok'}", AK, PK), Err(VerifyError::NotJson(_))));
        assert_eq!(verify_postback("[]", AK, PK), Err(VerifyError::NotAnObject));
        assert_eq!(verify_postback("{}", AK, PK), Err(VerifyError::MissingField("signature")));
        let no_ad = format!(r#"{{"signature":"{sig}","access_key":"{AK}"}}"#);
        assert_eq!(verify_postback(&no_ad, AK, PK), Err(VerifyError::MissingField("additional_data")));
        let no_ak = format!(r#"{{"signature":"{sig}","additional_data":[]}}"#);
        assert_eq!(verify_postback(&no_ak, AK, PK), Err(VerifyError::MissingField("access_key")));
        let obj_ad = format!(r#"{{"signature":"{sig}","access_key":"{AK}","additional_data":{{}}}}"#);
        assert_eq!(
            verify_postback(&obj_ad, AK, PK),
            Err(VerifyError::WrongType { field: "additional_data", expected: "an array" })
        );
        let num_sig = format!(r#"{{"signature":1,"access_key":"{AK}","additional_data":[]}}"#);
        assert!(matches!(verify_postback(&num_sig, AK, PK), Err(VerifyError::WrongType { field: "signature", .. })));
        // Duplicate signed-over fields are refused rather than guessed at.
        let dup = format!(r#"{{"signature":"{sig}","access_key":"{AK}","additional_data":[],"additional_data":{ad}}}"#);
        assert_eq!(verify_postback(&dup, AK, PK), Err(VerifyError::DuplicateField("additional_data")));
        // Trailing garbage after a valid body.
        let trailing = format!("{} x", body(&sig, AK, &ad));
        assert!(matches!(verify_postback(&trailing, AK, PK), Err(VerifyError::NotJson(_))));
        assert_eq!(verify_postback(&body(&sig, AK, &ad), "", PK), Err(VerifyError::NotConfigured));
        assert_eq!(verify_postback(&body(&sig, AK, &ad), AK, ""), Err(VerifyError::NotConfigured));
    }

    #[test]
    fn messages_never_leak_the_private_key() {
        let secret = "S3cr3t-Pr1vate";
        let ad = item(r#""comment":"","amount":"500""#);
        let bodies = [
            body(&sig_over(&ad), AK, &ad),
            body("0000000000000000000000000000000000000000", AK, &ad),
            body(&sig_over(&ad), "x", &ad),
            format!("{{\"a\":\"{secret}\" x"),
            "[]".to_owned(),
        ];
        for b in &bodies {
            if let Err(e) = verify_postback(b, AK, secret) {
                assert!(!e.to_string().contains(secret), "{e}");
                assert!(!format!("{e:?}").contains(secret), "{e:?}");
            }
        }
    }

    #[test]
    fn the_step_by_step_check_shows_each_step_and_never_a_whole_signature() {
        let ad = item(r#""comment":"a/b","amount":"500""#);
        let sig = sig_over(&ad);
        let check = check_postback(&body(&sig, AK, &ad), AK, PK);
        assert!(check.result.is_ok());
        assert_eq!(check.access_key.as_deref(), Some(AK));
        assert_eq!(check.signed_json.as_deref(), Some(ad.as_str()));
        assert_eq!(check.signed_json_md5.as_deref(), Some(md5_hex(ad.as_bytes()).as_str()));
        assert_eq!(check.signature_matches(), Some(true));
        let shown = check.expected_signature_shown().unwrap();
        assert_eq!(shown, format!("{}{}", &sig[..8], "•".repeat(32)));
        assert_eq!(check.received_signature_shown().unwrap(), shown);
        assert!(!format!("{check:?}").contains(&sig[8..]), "{check:?}");

        // A wrong access key fails first, and the rest is still explained.
        let check = check_postback(&body(&sig, "other_key", &ad), AK, PK);
        assert_eq!(check.result.clone().unwrap_err(), VerifyError::WrongAccessKey);
        assert_eq!(check.access_key.as_deref(), Some("other_key"));
        assert_eq!(check.signature_matches(), Some(true), "signed with our key, sent with another");
        // A forged body: everything computed, no match, nothing whole.
        let forged = "0".repeat(40);
        let check = check_postback(&body(&forged, AK, &ad), AK, PK);
        assert_eq!(check.result.clone().unwrap_err(), VerifyError::BadSignature);
        assert_eq!(check.signature_matches(), Some(false));
        assert_eq!(check.expected_signature_shown().unwrap(), shown);
        // Malformed: the received value is masked too, and not compared.
        let check = check_postback(&body("ABC", AK, &ad), AK, PK);
        assert_eq!(check.result.clone().unwrap_err(), VerifyError::MalformedSignature);
        assert_eq!(check.signature_matches(), None);
        assert_eq!(check.received_signature_shown().as_deref(), Some("ABC"));
        // Nothing to sign: no expected signature at all.
        let check = check_postback(&format!(r#"{{"signature":"{sig}","access_key":"{AK}"}}"#), AK, PK);
        assert_eq!(check.expected_signature_shown(), None);
        assert_eq!(check.result.unwrap_err(), VerifyError::MissingField("additional_data"));
        assert!(check_postback("{", AK, PK).signed_json.is_none());
    }

    #[test]
    fn legacy_variant_uses_default_flags() {
        let t = json::parse(r#"[{"comment":"a/b सी"}]"#).unwrap();
        let expect = sig_over(r#"[{"comment":"a\/b \u0938\u0940"}]"#);
        assert_eq!(legacy_transactions_signature(AK, PK, &t), expect);
        assert_ne!(postback_signature(AK, PK, &t), expect);
    }
}
