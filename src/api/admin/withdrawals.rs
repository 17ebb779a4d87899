//! Server functions of a withdrawal's admin page (admins only).

use crate::views::WithdrawalDetail;
use leptos::prelude::*;

#[server(endpoint = "admin/withdrawal")]
pub async fn get_admin_withdrawal(id: String) -> Result<Option<WithdrawalDetail>, ServerFnError> {
    use crate::api::ssr::*;
    let state = state()?;
    require_admin()?;
    if id.len() > 100 {
        return Ok(None);
    }
    crate::server::admin::detail::withdrawal(&state.db, &id).await.map_err(|e| {
        tracing::error!(error = %e, "admin withdrawal detail failed");
        ServerFnError::new("The service is temporarily unavailable. Try again in a moment.")
    })
}

/// Cancels a withdrawal still waiting for the provider: its hold goes back to
/// the user's available balance, audited with the reason. A result postback
/// that arrives later cannot move the money again (it is flagged instead).
#[server(endpoint = "admin/withdrawal-cancel")]
pub async fn cancel_withdrawal(id: String, reason: String) -> Result<(), ServerFnError> {
    use crate::api::ssr::*;
    use crate::server::withdrawals::{self, WithdrawalError};
    let state = state()?;
    let admin = require_admin()?;
    let back = format!("/admin/withdrawals/{}", enc(&id));
    let reason = reason.trim();
    if reason.is_empty() {
        redirect_with_error(&back, Message::CancelReasonRequired, &[]);
        return Ok(());
    }
    if reason.chars().count() > 500 {
        redirect_with_error(&back, Message::CancelReasonRequired, &[]);
        return Ok(());
    }
    match withdrawals::cancel(&state.db, admin.id, &id, reason).await {
        Ok(_) => redirect_with_notice(&back, Message::WithdrawalCancelled),
        Err(WithdrawalError::NotFound) => redirect_with_error("/admin/transactions", Message::NoSuchWithdrawal, &[]),
        Err(WithdrawalError::NotCancellable(_)) => redirect_with_error(&back, Message::WithdrawalNotCancellable, &[]),
        Err(e) => {
            tracing::error!(error = %e, withdrawal_id = %id, "withdrawal cancel failed");
            redirect_with_error(&back, Message::Unavailable, &[]);
        }
    }
    Ok(())
}
