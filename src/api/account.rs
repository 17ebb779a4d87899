//! Server functions of the balance page.

use crate::views::BalanceView;
use leptos::prelude::*;

#[server(endpoint = "balance")]
pub async fn get_balance(before: Option<i64>) -> Result<BalanceView, ServerFnError> {
    use super::ssr::*;
    let state = state()?;
    let user = require_user()?;
    let mut view =
        crate::server::account::balance_view(&state.db, user.id, &user.login, before).await.map_err(|e| {
            tracing::error!(error = %e, "balance page query failed");
            ServerFnError::new(crate::api::messages::Message::Unavailable.text())
        })?;
    if state.config.sandbox {
        view.sandbox_admin_url = Some(format!("http://{}/admin", state.config.sandbox_addr));
    }
    Ok(view)
}
