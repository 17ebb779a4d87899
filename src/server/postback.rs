//! Postback ingest: parse -> verify -> record -> credit, in one transaction.
//!
//! Contract (answers the provider sees):
//! - valid and new: credit, 200 {"status":"ok"}; valid and seen: 200, nothing changes;
//! - credit what the *signed* items say, to the owner of the deposit named by the
//!   signed `plugin_custom_order_id`; unsigned top-level fields that disagree are flagged;
//! - a verified payment for no known deposit: credit the user whose login equals
//!   `label` (flagged "unmatched"), else keep it in suspense for an admin;
//! - bad signature or access key: 403; malformed: 400; database trouble: 503;
//!   nothing is answered ok unless it is committed.

use super::db::now_ms;
use super::events::DepositEvent;
use super::ledger::{self, Posted};
use super::state::AppState;
use crate::domain::{DepositStatus, Money};
use crate::paykassma::json::JsonValue;
use crate::paykassma::signature::{verify_postback, VerifyError};
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

impl Answer {
    fn ok() -> Answer {
        Answer { status: 200, body: r#"{"status":"ok"}"#.into() }
    }
    fn fail(status: u16, message: &str) -> Answer {
        Answer { status, body: serde_json::json!({"status": "fail", "message": message}).to_string() }
    }
}

/// One signed transaction item, parsed.
#[derive(Debug, Clone)]
pub struct Item {
    pub transaction_id: String,
    pub amount: Money,
    pub order_ref: String,
    pub currency: String,
}

fn item_text(v: Option<&JsonValue>) -> Option<String> {
    match v? {
        JsonValue::String(s) => Some(s.clone()),
        JsonValue::Number(n) => Some(n.clone()),
        _ => None,
    }
}

fn parse_item(v: &JsonValue, index: usize) -> Result<Item, String> {
    let transaction_id = item_text(v.get("transaction_id"))
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| format!("additional_data[{index}] has no transaction_id"))?;
    if transaction_id.len() > 100 {
        return Err(format!("additional_data[{index}].transaction_id is too long"));
    }
    let amount_text = item_text(v.get("amount")).ok_or_else(|| format!("additional_data[{index}] has no amount"))?;
    let amount = Money::parse_rupees(&amount_text).map_err(|e| format!("additional_data[{index}].amount '{amount_text}': {e}"))?;
    let order_ref = item_text(v.get("plugin_custom_order_id")).unwrap_or_default();
    let currency = item_text(v.get("currency_code")).unwrap_or_default();
    Ok(Item { transaction_id, amount, order_ref, currency })
}

fn verify_error_status(e: &VerifyError) -> u16 {
    match e {
        VerifyError::WrongAccessKey | VerifyError::BadSignature => 403,
        VerifyError::NotConfigured => 503,
        _ => 400,
    }
}

async fn record(tx: &mut AnyConnection, remote: &str, body: &str, direction: &str, verdict: &str, detail: &str, status: u16) -> Result<i64, sqlx::Error> {
    let row = sqlx::query(
        "INSERT INTO postbacks (received_at, remote_addr, body, direction, verdict, detail, http_status)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(now_ms())
    .bind(remote)
    .bind(body)
    .bind(direction)
    .bind(verdict)
    .bind(detail)
    .bind(status as i64)
    .fetch_one(&mut *tx)
    .await?;
    row.try_get(0)
}

/// Records a postback in a transaction of its own.
async fn record_alone(state: &AppState, remote: &str, body: &str, direction: &str, verdict: &str, detail: &str, status: u16) -> Result<(), sqlx::Error> {
    let mut tx = state.db.writer().begin().await?;
    record(&mut tx, remote, body, direction, verdict, detail, status).await?;
    tx.commit().await
}

/// Records a rejected postback; the answer does not depend on it.
async fn record_rejected(state: &AppState, remote: &str, body: &str, verdict: &str, detail: &str, status: u16) {
    if let Err(e) = record_alone(state, remote, body, "", verdict, detail, status).await {
        tracing::error!(error = %e, verdict, "could not record a rejected postback");
    }
}

pub async fn ingest(state: &AppState, body: &[u8], remote: &str) -> Answer {
    let Ok(text) = std::str::from_utf8(body) else {
        record_rejected(state, remote, &String::from_utf8_lossy(body), "malformed", "body is not UTF-8", 400).await;
        return Answer::fail(400, "body is not UTF-8 JSON");
    };
    let verified = match verify_postback(text, &state.config.postback_access_key, state.config.postback_private_key.expose()) {
        Ok(v) => v,
        Err(e) => {
            let status = verify_error_status(&e);
            let verdict = match status {
                403 => "rejected",
                400 => "malformed",
                _ => "error",
            };
            tracing::warn!(reason = %e, status, "postback refused");
            record_rejected(state, remote, text, verdict, &e.to_string(), status).await;
            return Answer::fail(status, &e.to_string());
        }
    };
    let root = verified.root();
    let direction = root.get("direction").and_then(|d| d.as_str()).unwrap_or("ingoing").to_string();
    if direction == "outgoing" {
        return ingest_withdrawal(state, text, remote).await;
    }
    let mut items = Vec::new();
    for (i, v) in verified.additional_data().iter().enumerate() {
        match parse_item(v, i) {
            Ok(item) => items.push(item),
            Err(msg) => {
                record_rejected(state, remote, text, "malformed", &msg, 400).await;
                return Answer::fail(400, &msg);
            }
        }
    }
    if items.is_empty() {
        record_rejected(state, remote, text, "malformed", "additional_data is empty", 400).await;
        return Answer::fail(400, "additional_data is empty");
    }
    let label = item_text(root.get("label")).unwrap_or_default();
    let top_amount = item_text(root.get("amount")).and_then(|a| Money::parse_rupees(&a).ok());

    match credit_items(&state.db, text, remote, &direction, &label, top_amount, &items).await {
        Ok(events) => {
            for e in events {
                state.events.publish(e);
            }
            Answer::ok()
        }
        Err(e) => {
            tracing::error!(error = %e, "postback not committed; the provider will resend");
            Answer::fail(503, "temporarily unable to record the postback; please retry")
        }
    }
}

/// Records the verified postback and credits its items, in one transaction.
/// Public for the benchmark, which measures this same SQL work without HTTP.
pub async fn credit_items(
    db: &super::db::Db,
    body: &str,
    remote: &str,
    direction: &str,
    label: &str,
    top_amount: Option<Money>,
    items: &[Item],
) -> Result<Vec<DepositEvent>, sqlx::Error> {
    let mut tx = db.writer().begin().await?;
    let postback_id = record(&mut tx, remote, body, direction, "processing", "", 200).await?;
    let mut verdicts: Vec<String> = Vec::new();
    let mut events = Vec::new();
    let signed_total: i64 = items.iter().map(|i| i.amount.paise()).sum();

    for item in items {
        let mut flags: Vec<&str> = Vec::new();
        if !item.currency.is_empty() && item.currency != "INR" {
            flags.push("currency_not_inr");
        }
        if top_amount.is_some_and(|t| t.paise() != signed_total) {
            flags.push("top_amount_mismatch");
        }
        let deposit = if item.order_ref.is_empty() {
            None
        } else {
            sqlx::query("SELECT d.id, d.user_id, d.amount_paise, d.status, u.login FROM deposits d JOIN users u ON u.id = d.user_id WHERE d.id = $1")
                .bind(&item.order_ref)
                .fetch_optional(&mut *tx)
                .await?
        };
        let (deposit_id, user_id, status) = match &deposit {
            Some(d) => {
                let owner_login: String = d.try_get(4)?;
                if !label.is_empty() && label != owner_login {
                    flags.push("label_mismatch");
                }
                if d.try_get::<i64, _>(2)? != item.amount.paise() {
                    flags.push("amount_mismatch");
                }
                (Some(d.try_get::<String, _>(0)?), Some(d.try_get::<i64, _>(1)?), "credited")
            }
            None => {
                flags.push("unmatched");
                let user = sqlx::query("SELECT id FROM users WHERE login = $1").bind(label).fetch_optional(&mut *tx).await?;
                match user {
                    Some(u) => (None, Some(u.try_get::<i64, _>(0)?), "credited"),
                    None => (None, None, "suspense"),
                }
            }
        };
        let flags_text = flags.join(",");
        let inserted = sqlx::query(
            "INSERT INTO provider_payments (transaction_id, postback_id, deposit_id, user_id, amount_paise, order_ref, label, status, flags, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (transaction_id) DO NOTHING RETURNING id",
        )
        .bind(&item.transaction_id)
        .bind(postback_id)
        .bind(deposit_id.clone())
        .bind(user_id)
        .bind(item.amount.paise())
        .bind(&item.order_ref)
        .bind(label)
        .bind(status)
        .bind(&flags_text)
        .bind(now_ms())
        .fetch_optional(&mut *tx)
        .await?;
        if inserted.is_none() {
            verdicts.push("duplicate".into());
            continue;
        }
        let Some(user_id) = user_id else {
            verdicts.push("suspense".into());
            continue;
        };
        let reference = format!("payment:{}", item.transaction_id);
        let memo = match &deposit_id {
            Some(d) => format!("for deposit {d}"),
            None => "no matching deposit: credited by label".to_string(),
        };
        let posted = ledger::credit_deposit(&mut tx, user_id, item.amount.paise(), &reference, &memo).await?;
        if posted == Posted::AlreadyPosted {
            verdicts.push("duplicate".into());
            continue;
        }
        match &deposit_id {
            Some(d) => {
                // Terminal states stay; a late payment is credited and flagged.
                let updated = sqlx::query(
                    "UPDATE deposits SET status = 'credited', credited_paise = COALESCE(credited_paise, 0) + $1,
                         provider_txn_id = $2, flags = $3, updated_at = $4
                     WHERE id = $5 AND status IN ('created', 'pending', 'unknown')",
                )
                .bind(item.amount.paise())
                .bind(&item.transaction_id)
                .bind(&flags_text)
                .bind(now_ms())
                .bind(d)
                .execute(&mut *tx)
                .await?;
                if updated.rows_affected() == 0 {
                    sqlx::query(
                        "UPDATE deposits SET credited_paise = COALESCE(credited_paise, 0) + $1,
                             flags = CASE WHEN flags = '' THEN 'late_or_extra_payment' ELSE flags || ',late_or_extra_payment' END,
                             updated_at = $2 WHERE id = $3",
                    )
                    .bind(item.amount.paise())
                    .bind(now_ms())
                    .bind(d)
                    .execute(&mut *tx)
                    .await?;
                }
                let row = sqlx::query("SELECT status, credited_paise FROM deposits WHERE id = $1").bind(d).fetch_one(&mut *tx).await?;
                let status = DepositStatus::parse(&row.try_get::<String, _>(0)?).unwrap_or(DepositStatus::Credited);
                events.push(DepositEvent { deposit_id: d.clone(), status, credited_paise: row.try_get(1)? });
                verdicts.push(if flags.is_empty() { "credited".into() } else { format!("credited ({flags_text})") });
            }
            None => verdicts.push("unmatched_credited".into()),
        }
    }
    let verdict = summarize(&verdicts);
    sqlx::query("UPDATE postbacks SET verdict = $1, detail = $2 WHERE id = $3")
        .bind(&verdict)
        .bind(verdicts.join("; "))
        .bind(postback_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    tracing::info!(postback_id, verdict = %verdict, "postback accepted");
    Ok(events)
}

fn summarize(verdicts: &[String]) -> String {
    let first = verdicts.first().map(|v| v.split(' ').next().unwrap_or("")).unwrap_or("");
    if verdicts.iter().all(|v| v.split(' ').next() == Some(first)) {
        first.to_string()
    } else {
        "mixed".to_string()
    }
}

/// Withdrawal results (`direction: outgoing`). Recorded and acknowledged; the
/// withdrawal service applies them.
async fn ingest_withdrawal(state: &AppState, body: &str, remote: &str) -> Answer {
    match record_alone(state, remote, body, "outgoing", "withdrawal_recorded", "", 200).await {
        Ok(()) => Answer::ok(),
        Err(e) => {
            tracing::error!(error = %e, "withdrawal postback not committed");
            Answer::fail(503, "temporarily unable to record the postback; please retry")
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AssignError {
    #[error("No payment in suspense has that UPI reference (it may be assigned already).")]
    NotInSuspense,
    #[error("No user has the login '{0}'.")]
    UnknownUser(String),
    #[error("The service is temporarily unavailable. Try again in a moment.")]
    Db(#[from] sqlx::Error),
}

/// An admin credits a payment from the suspense list to a user: the claim on
/// the suspense row, the ledger credit and the audit entry commit together, so
/// a payment is assigned at most once even if two admins click at once.
pub async fn assign_suspense(db: &super::db::Db, admin_id: i64, transaction_id: &str, login: &str) -> Result<i64, AssignError> {
    let mut tx = db.writer().begin().await?;
    let user = sqlx::query("SELECT id FROM users WHERE login = $1").bind(login.trim()).fetch_optional(&mut *tx).await?;
    let Some(user) = user else { return Err(AssignError::UnknownUser(login.trim().to_string())) };
    let user_id: i64 = user.try_get(0)?;
    let now = now_ms();
    let claimed = sqlx::query(
        "UPDATE provider_payments SET status = 'assigned', user_id = $1, resolved_at = $2, resolved_by = $3
         WHERE transaction_id = $4 AND status = 'suspense' RETURNING amount_paise",
    )
    .bind(user_id)
    .bind(now)
    .bind(admin_id)
    .bind(transaction_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(claimed) = claimed else { return Err(AssignError::NotInSuspense) };
    let amount: i64 = claimed.try_get(0)?;
    let memo = "assigned from suspense by an admin";
    ledger::credit_deposit(&mut tx, user_id, amount, &format!("payment:{transaction_id}"), memo)
        .await
        .map_err(sqlx::Error::from)?;
    sqlx::query("INSERT INTO admin_actions (admin_id, action, target, detail, created_at) VALUES ($1, 'assign_suspense', $2, $3, $4)")
        .bind(admin_id)
        .bind(transaction_id)
        .bind(format!("to {} ({} paise)", login.trim(), amount))
        .bind(now)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    tracing::info!(transaction_id, login = login.trim(), amount, "suspense payment assigned");
    Ok(amount)
}
