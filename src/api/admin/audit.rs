//! Server function of the audit trail page (admins only).

use crate::views::AuditTrail;
use leptos::prelude::*;

/// Every admin action, newest first, filtered by action, keyset paginated by id (`before`).
#[server(endpoint = "admin/audit")]
pub async fn get_audit_trail(action: Option<String>, before: Option<i64>) -> Result<AuditTrail, ServerFnError> {
    use super::super::ssr::*;
    let state = state()?;
    require_admin()?;
    let action = action.unwrap_or_default();
    crate::server::admin::audit::trail(&state.db, action.trim(), before).await.map_err(|e| {
        tracing::error!(error = %e, "audit trail query failed");
        ServerFnError::new(Message::Unavailable.text())
    })
}
