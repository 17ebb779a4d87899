//! Property tests: the postback JSON parser and PHP encoder, rupee parsing, and
//! the signature check, on inputs nobody wrote by hand.
//!
//! - `parse` never panics, whatever the bytes; what it accepts re-encodes to
//!   text that parses to the same value, and encoding is then a fixed point;
//! - every value the encoders write parses back to itself;
//! - `Money::parse_rupees` never panics, reads back every way we write rupees,
//!   and accepts only positive amounts up to the cap;
//! - a signed body verifies, and any change to its signed part does not.

use portal::domain::Money;
use portal::domain::money::{MAX_PAISE, MoneyError};
use portal::paykassma::json::{self, JsonValue, MAX_DEPTH, php_encode, php_encode_default};
use portal::paykassma::signature::{VerifyError, postback_signature, verify_postback};
use proptest::prelude::*;

/// JSON number lexemes as the grammar allows them (what a provider may send).
fn number_lexeme() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        prop_oneof![Just("0".to_string()), "[1-9][0-9]{0,20}"],
        proptest::option::of("[0-9]{1,12}"),
        proptest::option::of(("[eE]", "[+-]?", "[0-9]{1,4}")),
    )
        .prop_map(|(neg, int, frac, exp)| {
            let mut s = String::new();
            if neg {
                s.push('-');
            }
            s.push_str(&int);
            if let Some(f) = frac {
                s.push('.');
                s.push_str(&f);
            }
            if let Some((e, sign, digits)) = exp {
                s.push_str(&e);
                s.push_str(&sign);
                s.push_str(&digits);
            }
            s
        })
}

/// Strings with the characters that matter to the encoders: quotes, slashes,
/// control characters, the JS line terminators, non-BMP characters.
fn json_string() -> impl Strategy<Value = String> {
    let special = prop_oneof![
        Just('"'),
        Just('\\'),
        Just('/'),
        Just('\n'),
        Just('\u{0}'),
        Just('\u{1f}'),
        Just('\u{7f}'),
        Just('\u{2028}'),
        Just('\u{2029}'),
        Just('₹'),
        Just('ह'),
        Just('😀'),
        Just('\u{fffd}'),
    ];
    proptest::collection::vec(
        prop_oneof![3 => any::<char>(), 2 => special, 4 => proptest::char::range('a', 'z')],
        0..24,
    )
    .prop_map(|cs| cs.into_iter().collect())
}

fn json_value() -> impl Strategy<Value = JsonValue> {
    let leaf = prop_oneof![
        Just(JsonValue::Null),
        any::<bool>().prop_map(JsonValue::Bool),
        number_lexeme().prop_map(JsonValue::Number),
        json_string().prop_map(JsonValue::String),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8).prop_map(JsonValue::Array),
            // Duplicate keys are kept in order, as the parser keeps them.
            proptest::collection::vec((json_string(), inner), 0..8).prop_map(JsonValue::Object),
        ]
    })
}

/// Text that looks like JSON often enough to reach deep into the parser.
fn jsonish_text() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("{".to_string()),
        Just("}".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just(",".to_string()),
        Just(":".to_string()),
        Just("\"".to_string()),
        Just("\\u".to_string()),
        Just("\\ud83d".to_string()),
        Just("\\udc00".to_string()),
        Just("\\".to_string()),
        Just("null".to_string()),
        Just("tru".to_string()),
        Just("-".to_string()),
        Just("0".to_string()),
        Just("1e".to_string()),
        Just(".5".to_string()),
        Just(" ".to_string()),
        "[a-z0-9]{1,3}",
        any::<char>().prop_map(String::from),
    ];
    proptest::collection::vec(token, 0..60).prop_map(|t| t.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn the_parser_never_panics_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = json::parse(&text);
    }

    #[test]
    fn what_the_parser_accepts_re_encodes_to_the_same_value(
        text in prop_oneof![jsonish_text(), json_value().prop_map(|v| format!(" {} ", php_encode(&v)))]
    ) {
        if let Ok(v) = json::parse(&text) {
            let encoded = php_encode(&v);
            let again = json::parse(&encoded).expect("the encoder writes JSON the parser accepts");
            prop_assert_eq!(&again, &v);
            prop_assert_eq!(php_encode(&again), encoded, "encoding is a fixed point");
            let ascii = php_encode_default(&v);
            prop_assert!(ascii.is_ascii(), "default flags escape every non-ASCII character: {}", ascii);
            prop_assert_eq!(json::parse(&ascii).expect("parses"), v);
        }
    }

    #[test]
    fn every_encoded_value_parses_back_to_itself(v in json_value()) {
        for encoded in [php_encode(&v), php_encode_default(&v)] {
            let back = json::parse(&encoded);
            prop_assert!(back.is_ok(), "{:?} for {}", back, encoded);
            prop_assert_eq!(back.expect("checked"), v.clone());
        }
        // Whitespace between tokens changes nothing.
        let spaced = format!(" \n\t{} \r\n", php_encode(&v));
        prop_assert_eq!(json::parse(&spaced).expect("parses"), v);
    }

    #[test]
    fn rupees_parse_back_from_every_way_we_write_them(paise in 1i64..=MAX_PAISE) {
        let m = Money::from_paise(paise);
        prop_assert_eq!(Money::from_user_input(&m.to_decimal()), Ok(m));
        prop_assert_eq!(Money::from_user_input(&m.to_wire_rupees()), Ok(m));
        // Display: ₹1,00,000.00 with Indian grouping.
        prop_assert_eq!(Money::from_user_input(&m.to_string()), Ok(m));
        // What we put on the provider's wire, and the UPI `am` field.
        prop_assert_eq!(Money::from_wire_decimal(&m.to_wire_rupees()), Ok(m));
        prop_assert_eq!(Money::from_upi_am(&m.to_decimal()), Ok(m));
    }

    #[test]
    fn rupee_parsing_never_panics_and_accepts_only_sane_amounts(input in "\\PC{0,24}") {
        if let Ok(m) = Money::from_user_input(&input) {
            prop_assert!(m.paise() > 0 && m.paise() <= MAX_PAISE, "{} -> {:?}", input, m);
            prop_assert!(!input.contains('-') && !input.contains('e') && !input.contains('E'), "{} accepted", input);
        }
        if let Ok(m) = Money::from_upi_am(&input) {
            prop_assert!(m.paise() > 0 && m.paise() <= MAX_PAISE, "{} -> {:?}", input, m);
            prop_assert!(input.bytes().all(|b| b.is_ascii_digit() || b == b'.'), "{} accepted as am", input);
        }
        if let Ok(m) = Money::from_wire_decimal(&input) {
            prop_assert!(m.paise().abs() <= portal::domain::money::MAX_WIRE_PAISE, "{} -> {:?}", input, m);
        }
    }

    #[test]
    fn rupees_with_two_decimals_mean_what_they_say(whole in 0i64..10_000_000_000, paise in 0i64..100) {
        let text = format!("{whole}.{paise:02}");
        let want = whole * 100 + paise;
        let got = Money::from_user_input(&text);
        prop_assert_eq!(Money::from_wire_decimal(&text), Ok(Money::from_paise(want)));
        if want == 0 {
            prop_assert_eq!(got, Err(MoneyError::NotPositive));
        } else {
            prop_assert_eq!(got, Ok(Money::from_paise(want)));
        }
        prop_assert_eq!(Money::from_user_input(&format!("{text}1")), Err(MoneyError::TooManyDecimals));
        prop_assert_eq!(Money::from_wire_decimal(&format!("{text}1")), Err(MoneyError::TooManyDecimals));
        prop_assert_eq!(Money::from_upi_am(&format!("{text}1")), Err(MoneyError::TooManyDecimals));
        // The same value with an exponent, as PHP may print a float.
        prop_assert_eq!(Money::from_wire_decimal(&format!("{}e-2", want)), Ok(Money::from_paise(want)));
    }

    #[test]
    fn a_signed_body_verifies_and_any_change_to_its_signed_part_does_not(
        data in proptest::collection::vec(json_value(), 0..4),
        changed in json_value(),
        at in any::<prop::sample::Index>(),
    ) {
        let data = JsonValue::Array(data);
        let sig = postback_signature("access", "private", &data);
        let body = php_encode(&JsonValue::Object(vec![
            ("label".into(), JsonValue::String("alice".into())),
            ("access_key".into(), JsonValue::String("access".into())),
            ("additional_data".into(), data.clone()),
            ("signature".into(), JsonValue::String(sig.clone())),
        ]));
        let verified = verify_postback(&body, "access", "private");
        prop_assert!(verified.is_ok(), "{:?}", verified.err());
        prop_assert_eq!(verify_postback(&body, "access", "other-private").err(), Some(VerifyError::BadSignature));

        // Replace (or add) one item: the signature no longer matches.
        let JsonValue::Array(mut items) = data.clone() else { unreachable!() };
        if items.is_empty() {
            items.push(changed);
        } else {
            let i = at.index(items.len());
            if items[i] == changed {
                items.push(JsonValue::Null);
            } else {
                items[i] = changed;
            }
        }
        let tampered = php_encode(&JsonValue::Object(vec![
            ("access_key".into(), JsonValue::String("access".into())),
            ("additional_data".into(), JsonValue::Array(items)),
            ("signature".into(), JsonValue::String(sig)),
        ]));
        prop_assert_eq!(verify_postback(&tampered, "access", "private").err(), Some(VerifyError::BadSignature));
    }
}

#[test]
fn nesting_beyond_the_depth_limit_is_an_error_not_a_stack_overflow() {
    for depth in [MAX_DEPTH, MAX_DEPTH + 1, 10_000, 1_000_000] {
        let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let r = json::parse(&text);
        assert_eq!(r.is_ok(), depth <= MAX_DEPTH, "depth {depth}: {r:?}");
    }
}
