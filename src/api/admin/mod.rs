//! Server functions of the admin pages (admins only).

pub mod audit;
pub mod console;
pub mod postbacks;
pub mod users;
pub mod withdrawals;

use crate::views::AdminOverview;
use leptos::prelude::*;

/// Deposits filtered by status and a search over deposit id, login, order id
/// and UPI reference; newest first, keyset paginated on created_at.
#[server(endpoint = "admin/overview")]
pub async fn get_admin_overview(
    q: Option<String>,
    status: Option<String>,
    before: Option<i64>,
    verdict: Option<String>,
    postbacks_before: Option<i64>,
) -> Result<AdminOverview, ServerFnError> {
    use super::ssr::*;
    use crate::server::admin::{self, OverviewQuery};
    let state = state()?;
    require_admin()?;
    admin::overview(&state.db, OverviewQuery { q, status, before, verdict, postbacks_before }).await.map_err(|e| {
        tracing::error!(error = %e, "admin query failed");
        ServerFnError::new("The service is temporarily unavailable. Try again in a moment.")
    })
}

/// The suspense list's "Assign" form (works without JavaScript).
#[server(endpoint = "admin/assign-suspense")]
pub async fn assign_suspense(
    transaction_id: String,
    login: String,
    // Where to send the browser afterwards: an admin page (the deposit the
    // payment was assigned from); the dashboard otherwise.
    back: Option<String>,
) -> Result<(), ServerFnError> {
    use super::ssr::*;
    use crate::server::postback;
    let state = state()?;
    let admin = require_admin()?;
    let back = back.filter(|b| b.starts_with("/admin") && !b.contains('?') && crate::domain::local_path(b).is_some());
    let back = back.as_deref().unwrap_or("/admin");
    match postback::assign_suspense(&state.db, admin.id, transaction_id.trim(), &login).await {
        Ok(_) => redirect_with_notice(back, Message::PaymentAssigned),
        Err(e) => {
            if matches!(e, postback::AssignError::Db(_)) {
                tracing::error!(error = %e, "assigning a suspense payment failed");
            }
            #[allow(unreachable_patterns)] // the service may grow refusals; they show as "unavailable"
            let message = match e {
                postback::AssignError::NotInSuspense => Message::NotInSuspense,
                postback::AssignError::UnknownUser(_) => Message::UnknownUser,
                postback::AssignError::NotRupees(_) => Message::NotRupees,
                postback::AssignError::Db(_) => Message::Unavailable,
                _ => Message::Unavailable,
            };
            redirect_with_error(back, message, &[]);
        }
    }
    Ok(())
}
