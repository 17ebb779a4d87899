//! The audit trail: every admin action (who, what, when, the state before and
//! after), written in the same transaction as the change it describes, so an
//! action and its record commit or vanish together. Notes on a deposit are
//! audit entries with the action `note`.

use super::db::now_ms;
use crate::views::AuditEntry;
use sqlx::AnyConnection;

/// What an admin did, to what. `target` names the object as `kind:id`
/// (`deposit:dep_..`, `user:alice`, `payment:5000..`), so a detail page finds
/// its entries by target.
pub struct Action<'a> {
    pub admin_id: i64,
    pub action: &'a str,
    pub target: &'a str,
    pub detail: &'a str,
    /// JSON text of the state before ('' when there was none).
    pub before: &'a str,
    /// JSON text of the state after ('' when nothing changed, e.g. a note).
    pub after: &'a str,
}

pub async fn record(tx: &mut AnyConnection, a: Action<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO admin_actions (admin_id, action, target, detail, before_state, after_state, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(a.admin_id)
    .bind(a.action)
    .bind(a.target)
    .bind(a.detail)
    .bind(a.before)
    .bind(a.after)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await
}

const SELECT: &str =
    "SELECT a.id, u.login AS admin_login, a.action, a.target, a.detail, a.before_state, a.after_state, a.created_at
     FROM admin_actions a JOIN users u ON u.id = a.admin_id";

/// The entries about one object, oldest first.
pub async fn for_target(pool: &sqlx::AnyPool, target: &str) -> Result<Vec<AuditEntry>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT} WHERE a.target = $1 ORDER BY a.id")).bind(target).fetch_all(pool).await
}

/// Newest first, keyset paginated by id; `action` filters when not empty.
pub async fn page(
    pool: &sqlx::AnyPool,
    action: &str,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditEntry>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT} WHERE ($1 = '' OR a.action = $1) AND a.id < $2 ORDER BY a.id DESC LIMIT $3"))
        .bind(action)
        .bind(before_id.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(pool)
        .await
}
