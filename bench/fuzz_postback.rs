//! A mutation fuzzer for the postback verifier and the signed-item reader, on
//! stable Rust: `make fuzz` (FUZZ_MINUTES, default 5; FUZZ_SEED to replay).
//!
//! Each round takes a body from the corpus (PHP-signed vectors and bodies the
//! sandbox's own builder signs), mutates it as bytes or as JSON, and, half of
//! the time for JSON mutations, signs the mutated `additional_data` again with
//! the test key so the input gets past the signature into item parsing. The
//! target is everything the postback route runs before the database:
//! `verify_postback`, `classify`, `parse_item`, `Unsigned`, `redact_signature`,
//! plus the parser/encoder round trip. It checks:
//! - nothing panics (a panic is saved under target/fuzz/crashes/ and fails the run);
//! - a body that verifies re-verifies after a parse/encode round trip;
//! - a body that verifies under our key never verifies under another;
//! - a verified payment item has a positive amount and a transaction id;
//! - `redact_signature` never leaves the signature value in its output.
//!
//! Inputs that reach a new outcome (error kind, item kind, parse error) join the corpus.

use portal::paykassma::item::{ItemKind, Unsigned, classify, parse_item};
use portal::paykassma::json::{self, JsonValue, php_encode};
use portal::paykassma::signature::{postback_signature, redact_signature, verify_postback};
use portal::sandbox::postback::{DepositItem, Keys, deposit_item, envelope};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

const ACCESS: &str = portal::paykassma::secret::demo::ACCESS_KEY;
const PRIVATE: &str = portal::paykassma::secret::demo::PRIVATE_KEY;

const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "\\",
    "\\u0000",
    "\\ud800",
    "\\udc00",
    "\\ud83d\\ude00",
    "null",
    "true",
    "-0",
    "1e999",
    "-1",
    "0.001",
    "99999999999999999999999",
    "\"\"",
    "[]",
    "{}",
    "\u{2028}",
    "₹",
    "INR",
    "USD",
    "ingoing",
    "outgoing",
    "\"amount\":",
    "\"transaction_id\":",
    "\"transaction_type\":",
    "\"withdrawal_id\":",
    "\"signature\":",
    "\"additional_data\":",
    "\"currency_code\":",
    "\"plugin_custom_order_id\":",
    "\"withdrawal_status\":",
];

fn seeds() -> Vec<String> {
    let mut out = Vec::new();
    let vectors = std::fs::read_to_string("tests/vectors/postbacks.json").unwrap_or_default();
    if let Ok(JsonValue::Object(root)) = json::parse(&vectors) {
        for (k, v) in root {
            if k == "cases" {
                for case in v.as_array().unwrap_or_default() {
                    if let Some(body) = case.get("body").and_then(JsonValue::as_str) {
                        out.push(body.to_string());
                    }
                }
            }
        }
    }
    let keys = Keys { access_key: ACCESS, private_key: PRIVATE, forged: false };
    let item = |txn: &str, paise: i64, order: &str| {
        deposit_item(&DepositItem {
            transaction_id: txn,
            amount_paise: paise,
            order_ref: order,
            payer_vpa: "payer@okaxis",
            stockpiling_id: 900_001,
            activated_ms: 1_795_500_000_000,
        })
    };
    out.push(envelope(
        &keys,
        "upi_s",
        25_050,
        "alice",
        "ingoing",
        1_795_500_005_000,
        JsonValue::Array(vec![item("700001", 25_050, "dep-1")]),
    ));
    out.push(envelope(
        &keys,
        "upi_s",
        30_000,
        "bob",
        "ingoing",
        1_795_500_005_000,
        JsonValue::Array(vec![item("700002", 10_000, "dep-2"), item("700003", 20_000, "")]),
    ));
    let mut withdrawal = item("700004", 400_000, "");
    if let JsonValue::Object(m) = &mut withdrawal {
        m.push((
            "transaction_type".into(),
            JsonValue::Number(portal::paykassma::item::WITHDRAWAL_TRANSACTION_TYPE.to_string()),
        ));
        m.push(("withdrawal_id".into(), JsonValue::String("wd-1".into())));
        m.push(("withdrawal_status".into(), JsonValue::Number("1".into())));
    }
    out.push(envelope(
        &keys,
        "imps_ib",
        400_000,
        "alice",
        "outgoing",
        1_795_500_005_000,
        JsonValue::Array(vec![withdrawal]),
    ));
    out
}

fn random_value(rng: &mut StdRng, depth: u32) -> JsonValue {
    match rng.gen_range(0..if depth > 2 { 4 } else { 6 }) {
        0 => JsonValue::Null,
        1 => JsonValue::Bool(rng.r#gen()),
        2 => JsonValue::Number(
            ["0", "-1", "250.50", "1e3", "12345678901234567890", "0.001", "100"][rng.gen_range(0..7)].into(),
        ),
        3 => JsonValue::String(
            TOKENS[rng.gen_range(0..TOKENS.len())].trim_matches('"').trim_end_matches(':').trim_end_matches('"').into(),
        ),
        4 => JsonValue::Array((0..rng.gen_range(0..3)).map(|_| random_value(rng, depth + 1)).collect()),
        _ => JsonValue::Object(
            (0..rng.gen_range(0..3)).map(|i| (format!("k{i}"), random_value(rng, depth + 1))).collect(),
        ),
    }
}

/// Changes one node somewhere in the tree.
fn mutate_tree(v: &mut JsonValue, rng: &mut StdRng) {
    match v {
        JsonValue::Array(items) if !items.is_empty() && rng.gen_bool(0.7) => {
            let i = rng.gen_range(0..items.len());
            match rng.gen_range(0..4) {
                0 => {
                    items.remove(i);
                }
                1 => {
                    let copy = items[i].clone();
                    items.insert(i, copy);
                }
                _ => mutate_tree(&mut items[i], rng),
            }
        }
        JsonValue::Object(members) if !members.is_empty() && rng.gen_bool(0.8) => {
            let i = rng.gen_range(0..members.len());
            match rng.gen_range(0..6) {
                0 => {
                    members.remove(i);
                }
                1 => {
                    let copy = members[i].clone();
                    members.push(copy);
                }
                2 => members[i].1 = random_value(rng, 0),
                _ => mutate_tree(&mut members[i].1, rng),
            }
        }
        JsonValue::String(s) if rng.gen_bool(0.5) => {
            s.push_str(TOKENS[rng.gen_range(0..TOKENS.len())]);
        }
        other => *other = random_value(rng, 0),
    }
}

fn mutate_bytes(input: &str, rng: &mut StdRng, corpus: &[String]) -> String {
    let mut b = input.as_bytes().to_vec();
    for _ in 0..rng.gen_range(1..4) {
        let len = b.len();
        match rng.gen_range(0..6) {
            0 if len > 0 => {
                let i = rng.gen_range(0..len);
                b[i] ^= 1 << rng.gen_range(0..8);
            }
            1 => {
                let i = rng.gen_range(0..=len);
                let t = TOKENS[rng.gen_range(0..TOKENS.len())].as_bytes();
                b.splice(i..i, t.iter().copied());
            }
            2 if len > 0 => {
                let i = rng.gen_range(0..len);
                let j = (i + rng.gen_range(1..16)).min(len);
                b.drain(i..j);
            }
            3 if len > 0 => {
                let i = rng.gen_range(0..len);
                let j = (i + rng.gen_range(1..32)).min(len);
                let chunk = b[i..j].to_vec();
                b.splice(i..i, chunk);
            }
            4 => {
                let other = corpus[rng.gen_range(0..corpus.len())].as_bytes();
                let cut = rng.gen_range(0..=len);
                let from = rng.gen_range(0..=other.len());
                b.truncate(cut);
                b.extend_from_slice(&other[from..]);
            }
            _ => {
                let i = rng.gen_range(0..=len);
                let depth = rng.gen_range(1..200);
                b.splice(i..i, "[".repeat(depth).into_bytes());
            }
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

/// Mutates the JSON; with `resign`, signs the new additional_data with our key.
fn mutate_json(input: &str, rng: &mut StdRng, resign: bool) -> Option<String> {
    let mut root = json::parse(input).ok()?;
    if let JsonValue::Object(members) = &mut root {
        let target = if rng.gen_bool(0.7) { members.iter_mut().find(|(k, _)| k == "additional_data") } else { None };
        match target {
            Some((_, data)) => mutate_tree(data, rng),
            None => mutate_tree(&mut root, rng),
        }
    } else {
        mutate_tree(&mut root, rng);
    }
    if resign && let JsonValue::Object(members) = &mut root {
        let data = members.iter().find(|(k, _)| k == "additional_data").map(|(_, v)| v.clone())?;
        let sig = postback_signature(ACCESS, PRIVATE, &data);
        for (k, v) in members.iter_mut() {
            if k == "signature" {
                *v = JsonValue::String(sig.clone());
            }
            if k == "access_key" {
                *v = JsonValue::String(ACCESS.into());
            }
        }
    }
    Some(php_encode(&root))
}

/// Runs the target; returns an outcome label, or Err(message) on a broken invariant.
fn run_one(body: &str) -> Result<String, String> {
    let redacted = redact_signature(body);
    let verified = match verify_postback(body, ACCESS, PRIVATE) {
        Err(e) => return Ok(format!("reject:{}", e.to_string().chars().take(40).collect::<String>())),
        Ok(v) => v,
    };
    if let Some(sig) = verified.root().get("signature").and_then(JsonValue::as_str)
        && redacted.contains(sig)
    {
        return Err("redact_signature left a valid signature in its output".into());
    }
    if verify_postback(body, ACCESS, "another_private_key").is_ok() {
        return Err("a body verified under two private keys".into());
    }
    let reencoded = php_encode(verified.root());
    if verify_postback(&reencoded, ACCESS, PRIVATE).is_err() {
        return Err("a verified body failed after a parse/encode round trip".into());
    }
    let unsigned = Unsigned::from_root(verified.root());
    let mut parsed = Vec::new();
    let mut label = String::from("verified");
    for (i, item) in verified.additional_data().iter().enumerate() {
        let kind = classify(item);
        label.push_str(&format!(":{}", kind.name()));
        match parse_item(item, i) {
            Ok(signed) => {
                if signed.kind == ItemKind::Payment && (signed.amount.paise() <= 0 || signed.transaction_id.is_empty())
                {
                    return Err(format!(
                        "payment item accepted with amount {:?} / id {:?}",
                        signed.amount, signed.transaction_id
                    ));
                }
                parsed.push(signed);
            }
            Err(e) => {
                label.push_str(&format!("!{}", e.chars().filter(|c| !c.is_ascii_digit()).take(30).collect::<String>()))
            }
        }
    }
    for item in &parsed {
        for flag in unsigned.disagreements(&parsed, item) {
            label.push_str(&format!("~{flag}"));
        }
    }
    Ok(label)
}

fn main() {
    let minutes: f64 = std::env::var("FUZZ_MINUTES").ok().and_then(|m| m.parse().ok()).unwrap_or(5.0);
    let seed: u64 = std::env::var("FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(1)
    });
    let mut rng = StdRng::seed_from_u64(seed);
    let mut corpus = seeds();
    assert!(corpus.len() > 3, "run from the repository root (tests/vectors/postbacks.json)");
    for body in &corpus {
        if let Err(e) = run_one(body) {
            panic!("a seed breaks an invariant: {e}");
        }
    }
    std::panic::set_hook(Box::new(|_| {}));
    let crash_dir = std::path::Path::new("target/fuzz/crashes");
    let deadline = Instant::now() + Duration::from_secs_f64(minutes * 60.0);
    let started = Instant::now();
    let mut outcomes: HashSet<String> = HashSet::new();
    let (mut execs, mut verified, mut crashes, mut next_report) =
        (0u64, 0u64, 0u64, Instant::now() + Duration::from_secs(30));
    println!("fuzz_postback: seed {seed}, {minutes} min, {} seed bodies", corpus.len());
    while Instant::now() < deadline {
        let base = corpus[rng.gen_range(0..corpus.len())].clone();
        let input = match rng.gen_range(0..10) {
            0..=3 => mutate_bytes(&base, &mut rng, &corpus),
            4..=6 => mutate_json(&base, &mut rng, true).unwrap_or_else(|| mutate_bytes(&base, &mut rng, &corpus)),
            _ => mutate_json(&base, &mut rng, false).unwrap_or_else(|| mutate_bytes(&base, &mut rng, &corpus)),
        };
        execs += 1;
        let result = catch_unwind(AssertUnwindSafe(|| run_one(&input)));
        let problem = match result {
            Ok(Ok(label)) => {
                if label.starts_with("verified") {
                    verified += 1;
                }
                if input.len() < 64 * 1024 && outcomes.insert(label) {
                    corpus.push(input.clone());
                }
                None
            }
            Ok(Err(broken)) => Some(broken),
            Err(_) => Some("panic".to_string()),
        };
        if let Some(problem) = problem {
            crashes += 1;
            let _ = std::fs::create_dir_all(crash_dir);
            let name = crash_dir.join(format!("crash-{seed}-{execs}.json"));
            let _ = std::fs::write(&name, &input);
            println!("CRASH ({problem}): input saved to {}", name.display());
        }
        if Instant::now() >= next_report {
            next_report += Duration::from_secs(30);
            println!(
                "  {:>4}s  {execs} execs ({:.0}/s), {verified} verified, {} outcomes, corpus {}, crashes {crashes}",
                started.elapsed().as_secs(),
                execs as f64 / started.elapsed().as_secs_f64(),
                outcomes.len(),
                corpus.len()
            );
        }
    }
    println!(
        "fuzz_postback: {execs} executions in {:.0} s ({:.0}/s), {verified} got past the signature, {} distinct outcomes, corpus {}, crashes {crashes}",
        started.elapsed().as_secs_f64(),
        execs as f64 / started.elapsed().as_secs_f64().max(0.001),
        outcomes.len(),
        corpus.len()
    );
    if crashes > 0 {
        std::process::exit(1);
    }
}
