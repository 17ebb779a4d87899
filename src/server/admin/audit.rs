//! The audit trail page: every admin action, newest first, filtered by
//! action, with what its target links to. Written by `server::audit`.

use super::ADMIN_PAGE;
use crate::server::audit;
use crate::server::db::Db;
use crate::views::AuditTrail;

pub async fn trail(db: &Db, action: &str, before: Option<i64>) -> Result<AuditTrail, sqlx::Error> {
    let mut entries = audit::page(db.pool(), action, before, ADMIN_PAGE + 1).await?;
    let next_before = if entries.len() as i64 > ADMIN_PAGE {
        entries.truncate(ADMIN_PAGE as usize);
        entries.last().map(|e| e.id)
    } else {
        None
    };
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT action FROM admin_actions ORDER BY action").fetch_all(db.pool()).await?;
    let mut payments: Vec<String> =
        entries.iter().filter_map(|e| e.target.strip_prefix("payment:").map(str::to_string)).collect();
    payments.sort();
    payments.dedup();
    let payment_postbacks = super::postbacks::claiming_postbacks(db, &payments).await?;
    Ok(AuditTrail { entries, actions, next_before, payment_postbacks })
}
