//! The postback inspector: every verification step of a stored or pasted
//! postback body, and where each signed item would go. It calls the very
//! functions ingestion calls (`paykassma::signature::check_postback`,
//! `server::postback::{read_items, place_item, refusal}`), so it can never
//! disagree with ingestion, and it only reads: nothing is credited or recorded.
//!
//! Signatures are shown masked (`masked_signature`: the first 8 hex
//! characters): the whole signature the portal expects for any pasted body
//! would be a signing oracle, letting an admin mint a postback that credits
//! money. The private key is never shown.

use crate::domain::WithdrawalStatus;
use crate::paykassma::item::{ItemKind, Unsigned};
use crate::paykassma::signature::{PostbackCheck, VerifyError, check_postback};
use crate::server::config::Config;
use crate::server::db::Db;
use crate::server::postback::{self, Placement};
use crate::views::{AdminPostback, InspectStep, InspectedItem, PostbackInspection, StepOutcome};

/// What to inspect.
#[derive(Debug, Clone)]
pub enum Subject {
    /// A postback of the log, by id.
    Stored(i64),
    /// A body pasted by an admin.
    Pasted(String),
}

#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    #[error("no postback has that id")]
    NoSuchPostback,
    #[error("the body is larger than BODY_LIMIT_BYTES")]
    TooLarge,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

fn step(name: &str, outcome: StepOutcome, detail: impl Into<String>) -> InspectStep {
    InspectStep { name: name.to_string(), outcome, detail: detail.into() }
}

/// A step's outcome: passed, failed (with the verifier's reason), or not reached.
fn judged<T>(result: &Option<Result<T, VerifyError>>, pass: impl FnOnce(&T) -> String) -> (StepOutcome, String) {
    match result {
        Some(Ok(v)) => (StepOutcome::Pass, pass(v)),
        Some(Err(e)) => (StepOutcome::Fail, e.to_string()),
        None => (StepOutcome::Skipped, "not reached: the body is not a JSON object".to_string()),
    }
}

fn steps(check: &PostbackCheck, config: &Config, body_bytes: usize) -> Vec<InspectStep> {
    let mut out = Vec::new();
    if !check.keys_configured {
        out.push(step("Postback keys configured", StepOutcome::Fail, VerifyError::NotConfigured.to_string()));
        return out;
    }
    out.push(step("Postback keys configured", StepOutcome::Pass, "access key and private key are set"));
    let (o, d) = judged(&check.json, |_| format!("{body_bytes} bytes, one JSON object"));
    out.push(step("Body is a JSON object", o, d));
    let (o, d) = judged(&check.signature_field, |_| {
        format!("{} (40 lowercase hex characters)", check.received_signature_shown().unwrap_or_default())
    });
    out.push(step("signature field", o, d));
    let (o, mut d) = judged(&check.access_key_field, |_| {
        format!(
            "received \"{}\" = configured \"{}\"",
            check.access_key.as_deref().unwrap_or(""),
            config.postback_access_key
        )
    });
    if matches!(check.access_key_field, Some(Err(VerifyError::WrongAccessKey))) {
        d = format!(
            "received \"{}\", configured \"{}\": they differ",
            check.access_key.as_deref().unwrap_or(""),
            config.postback_access_key
        );
    }
    out.push(step("access_key field", o, d));
    let (o, d) = judged(&check.additional_data_field, |n| format!("an array of {n} item(s)"));
    out.push(step("additional_data field", o, d));
    match (&check.signed_json, &check.signed_json_md5) {
        (Some(j), Some(md5)) => {
            out.push(step(
                "J = json_encode(additional_data, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE)",
                StepOutcome::Info,
                format!("{} bytes (shown below)", j.len()),
            ));
            out.push(step("md5(J)", StepOutcome::Info, md5.clone()));
        }
        _ => out.push(step("J and md5(J)", StepOutcome::Skipped, "no additional_data array to encode")),
    }
    match check.expected_signature_shown() {
        Some(expected) => out.push(step(
            "Expected signature sha1(access_key + private_key + md5(J))",
            StepOutcome::Info,
            format!("{expected} (first 8 characters only; computed with the configured access key)"),
        )),
        None => out.push(step("Expected signature", StepOutcome::Skipped, "nothing to sign")),
    }
    let matched = match check.signature_matches() {
        Some(true) => step("Signature matches", StepOutcome::Pass, "received = expected (compared in constant time)"),
        Some(false) => step("Signature matches", StepOutcome::Fail, VerifyError::BadSignature.to_string()),
        None => {
            step("Signature matches", StepOutcome::Skipped, "not compared: a signature or J is missing or malformed")
        }
    };
    out.push(matched);
    out
}

fn kind_detail(kind: &ItemKind) -> String {
    match kind {
        ItemKind::Payment => "deposit payment (transaction_type 0, no withdrawal fields)".to_string(),
        ItemKind::WithdrawalResult { withdrawal_id, status } => {
            let status = match status {
                Some(n) => match WithdrawalStatus::from_wire(*n) {
                    Some(s) => format!("status {n} ({})", s.as_str()),
                    None => format!("status {n} (unknown: kept visible as pending)"),
                },
                None => "no status".to_string(),
            };
            format!("result of withdrawal {withdrawal_id}, {status}")
        }
        ItemKind::Unknown(why) => format!("not told by the signed fields: {why}"),
    }
}

fn explanation(p: &Placement) -> String {
    match p.status {
        "credited" => format!(
            "credit to {} for deposit {}",
            p.owner_login.as_deref().unwrap_or("?"),
            p.deposit_id.as_deref().unwrap_or("?")
        ),
        "withdrawal" => "applied to the withdrawal it names: paid turns its hold into a payout, rejected releases the hold, anything else keeps it pending (each withdrawal resolves once)".to_string(),
        _ => format!("suspense, for an admin: {}", p.reason),
    }
}

fn unsigned_fields(u: &Unsigned) -> Vec<(String, String)> {
    vec![
        ("label".into(), u.label.clone()),
        ("amount".into(), u.amount.map(|m| m.to_decimal()).unwrap_or_default()),
        ("direction".into(), u.direction.clone()),
        ("currency_code".into(), u.currency.clone()),
        ("wallet_type".into(), u.wallet_type.clone()),
    ]
}

/// Inspects a postback. Reads only: no table is written.
pub async fn inspect(db: &Db, config: &Config, subject: Subject) -> Result<PostbackInspection, InspectError> {
    let (stored, body) = match subject {
        Subject::Stored(id) => {
            let row: AdminPostback = sqlx::query_as(
                "SELECT id, received_at, remote_addr, direction, verdict, detail, http_status, body FROM postbacks WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(db.pool())
            .await?
            .ok_or(InspectError::NoSuchPostback)?;
            let body = row.body.clone();
            let shown = AdminPostback { body: crate::paykassma::signature::redact_signature(&row.body), ..row };
            (Some(shown), body)
        }
        Subject::Pasted(body) if body.len() > config.body_limit_bytes => return Err(InspectError::TooLarge),
        Subject::Pasted(body) => (None, body),
    };
    let check = check_postback(&body, &config.postback_access_key, config.postback_private_key.expose());
    let mut inspection = PostbackInspection {
        stored,
        body_bytes: body.len(),
        steps: steps(&check, config, body.len()),
        access_key_received: check.access_key.clone(),
        access_key_matches: check.access_key_field.as_ref().map(|r| r.is_ok()),
        signed_json: check.signed_json.clone(),
        signed_json_md5: check.signed_json_md5.clone(),
        expected_signature_masked: check.expected_signature_shown(),
        received_signature_masked: check.received_signature_shown(),
        signature_matches: check.signature_matches(),
        verified: check.result.is_ok(),
        http_status: 200,
        verdict: String::new(),
        refusal: None,
        unsigned: Vec::new(),
        items: Vec::new(),
        unreadable: Vec::new(),
    };
    let verified = match &check.result {
        Ok(v) => v,
        Err(e) => {
            let (status, verdict) = postback::refusal(e);
            inspection.http_status = status;
            inspection.verdict = verdict.to_string();
            inspection.refusal = Some(e.to_string());
            return Ok(inspection);
        }
    };

    let unsigned = Unsigned::from_root(verified.root());
    let (items, unreadable) = postback::read_items(verified);
    let mut verdicts: Vec<String> = unreadable.iter().map(|m| format!("review: {m}")).collect();
    let mut conn = db.pool().acquire().await?;
    let mut seen: Vec<&str> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let placement = postback::place_item(&mut conn, &unsigned, &items, item).await?;
        let earlier: Option<i64> =
            sqlx::query_scalar("SELECT postback_id FROM provider_payments WHERE transaction_id = $1")
                .bind(&item.transaction_id)
                .fetch_optional(&mut *conn)
                .await?;
        // Ingestion claims each transaction id once, so a second item with the
        // same id in this body is a duplicate too.
        let repeated = seen.contains(&item.transaction_id.as_str());
        seen.push(&item.transaction_id);
        let (verdict, explanation) = match (earlier, repeated) {
            (Some(id), _) => (
                "duplicate".to_string(),
                format!("duplicate: the transaction id was already claimed by postback #{id}; nothing would change"),
            ),
            (None, true) => (
                "duplicate".to_string(),
                "duplicate: an earlier item of this postback has the same transaction id".to_string(),
            ),
            (None, false) => (placement.verdict(), explanation(&placement)),
        };
        verdicts.push(verdict.clone());
        inspection.items.push(InspectedItem {
            index,
            transaction_id: item.transaction_id.clone(),
            amount_paise: item.amount.paise(),
            currency: item.currency.clone(),
            order_ref: item.order_ref.clone(),
            kind: item.kind.name().to_string(),
            kind_detail: kind_detail(&item.kind),
            verdict,
            explanation,
            deposit_id: placement.deposit_id.clone(),
            owner_login: placement.owner_login.clone(),
            flags: placement.flags.iter().map(|f| f.to_string()).collect(),
            claimed_by_postback: earlier,
        });
    }
    inspection.verdict = postback::summarize(&verdicts);
    inspection.unsigned = unsigned_fields(&unsigned);
    inspection.unreadable = unreadable;
    Ok(inspection)
}
