//! The postback log: every postback received, accepted or refused, newest
//! first, filtered by verdict, with the signed items each one carried.

use super::ADMIN_PAGE;
use crate::paykassma::item::parse_item;
use crate::paykassma::json::{self, JsonValue};
use crate::paykassma::signature::redact_signature;
use crate::server::db::Db;
use crate::server::postback::VERDICTS;
use crate::views::{AdminPostback, PostbackLink, PostbackLog, PostbackLogRow};

/// At most this many items of one postback are looked up for its links.
const LINKED_ITEMS_PER_POSTBACK: usize = 20;

/// The transaction ids (claim keys) a verified postback's signed items name.
/// Only postbacks answered 200 were verified: a refused body's items are
/// whatever its sender wrote, and link to nothing.
fn claim_keys(p: &AdminPostback) -> Vec<String> {
    if p.http_status != 200 {
        return Vec::new();
    }
    let Ok(root) = json::parse(&p.body) else { return Vec::new() };
    let items = root.get("additional_data").and_then(JsonValue::as_array).unwrap_or_default();
    items
        .iter()
        .enumerate()
        .filter_map(|(i, v)| parse_item(v, i).ok().map(|item| item.claim_key()))
        .take(LINKED_ITEMS_PER_POSTBACK)
        .collect()
}

/// Newest first; `verdict` filters when not empty; postbacks with an id
/// below `before` (the keyset cursor).
pub async fn log(db: &Db, verdict: &str, before: Option<i64>) -> Result<PostbackLog, sqlx::Error> {
    let mut postbacks: Vec<AdminPostback> = sqlx::query_as(
        "SELECT id, received_at, remote_addr, direction, verdict, detail, http_status, body FROM postbacks
         WHERE ($1 = '' OR verdict = $1) AND id < $2 ORDER BY id DESC LIMIT $3",
    )
    .bind(verdict)
    .bind(before.unwrap_or(i64::MAX))
    .bind(ADMIN_PAGE + 1)
    .fetch_all(db.pool())
    .await?;
    let next_before = if postbacks.len() as i64 > ADMIN_PAGE {
        postbacks.truncate(ADMIN_PAGE as usize);
        postbacks.last().map(|p| p.id)
    } else {
        None
    };

    let keys: Vec<Vec<String>> = postbacks.iter().map(claim_keys).collect();
    let mut wanted: Vec<&String> = keys.iter().flatten().collect();
    wanted.sort();
    wanted.dedup();
    let known: Vec<PostbackLink> = if wanted.is_empty() {
        Vec::new()
    } else {
        let placeholders: Vec<String> = (1..=wanted.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT transaction_id, deposit_id, kind, status, postback_id FROM provider_payments
             WHERE transaction_id IN ({})",
            placeholders.join(", ")
        );
        let mut query = sqlx::query_as(&sql);
        for key in &wanted {
            query = query.bind(key.as_str());
        }
        query.fetch_all(db.pool()).await?
    };

    let rows = postbacks
        .into_iter()
        .zip(keys)
        .map(|(mut postback, keys)| {
            // A signed body is a replayable credential: never shown whole.
            postback.body = redact_signature(&postback.body);
            let links = keys.iter().filter_map(|k| known.iter().find(|l| &l.transaction_id == k).cloned()).collect();
            PostbackLogRow { postback, links }
        })
        .collect();
    Ok(PostbackLog {
        rows,
        verdict: verdict.to_string(),
        verdicts: VERDICTS.iter().map(|v| v.to_string()).collect(),
        next_before,
    })
}

/// The postback that first carried each of these transaction ids (claimed
/// it in the payments table), for links from the audit trail.
pub async fn claiming_postbacks(db: &Db, transaction_ids: &[String]) -> Result<Vec<(String, i64)>, sqlx::Error> {
    if transaction_ids.is_empty() {
        return Ok(Vec::new());
    }
    #[derive(sqlx::FromRow)]
    struct Claim {
        transaction_id: String,
        postback_id: i64,
    }
    let placeholders: Vec<String> = (1..=transaction_ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT transaction_id, postback_id FROM provider_payments WHERE transaction_id IN ({})",
        placeholders.join(", ")
    );
    let mut query = sqlx::query_as::<_, Claim>(&sql);
    for t in transaction_ids {
        query = query.bind(t.as_str());
    }
    Ok(query.fetch_all(db.pool()).await?.into_iter().map(|c| (c.transaction_id, c.postback_id)).collect())
}
