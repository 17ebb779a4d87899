//! Server functions of the balances pages (admins only): find users, one
//! user's balances and ledger, and the manual adjustment form.

use crate::views::{AdminUserView, AdminUsers};
use leptos::prelude::*;

/// The longest reason an adjustment may give (characters).
pub const MAX_REASON_CHARS: usize = 500;

/// Users whose login contains `q`, by login, keyset paginated (`after`).
#[server(endpoint = "admin/users")]
pub async fn get_admin_users(q: Option<String>, after: Option<String>) -> Result<AdminUsers, ServerFnError> {
    use super::super::ssr::*;
    let state = state()?;
    require_admin()?;
    let q = q.unwrap_or_default();
    crate::server::admin::users::list(&state.db, &q, after.as_deref()).await.map_err(|e| {
        tracing::error!(error = %e, "user list query failed");
        ServerFnError::new(Message::Unavailable.text())
    })
}

/// One user: balances, ledger (entries below `before`), latest deposits,
/// audit entries, and a fresh one-time key for the adjustment form.
#[server(endpoint = "admin/user")]
pub async fn get_admin_user(login: String, before: Option<i64>) -> Result<AdminUserView, ServerFnError> {
    use super::super::ssr::*;
    use crate::domain::Login;
    let state = state()?;
    require_admin()?;
    let not_found = || {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(http::StatusCode::NOT_FOUND);
        }
        Err(ServerFnError::new(Message::UnknownUser.text()))
    };
    let Ok(login) = Login::parse(&login) else { return not_found() };
    match crate::server::admin::users::detail(&state.db, login.as_str(), before).await {
        Ok(Some(view)) => Ok(view),
        Ok(None) => not_found(),
        Err(e) => {
            tracing::error!(error = %e, "user page query failed");
            Err(ServerFnError::new(Message::Unavailable.text()))
        }
    }
}

/// The adjustment form posts here (works without JavaScript): a credit or
/// debit in rupees with a mandatory reason. `key` is the form's one-time
/// key: a resubmitted form (double click, back button) adjusts once and is
/// answered "already made".
#[server(endpoint = "admin/adjust")]
pub async fn adjust_balance(
    login: String,
    direction: String,
    amount: String,
    reason: String,
    key: String,
) -> Result<(), ServerFnError> {
    use super::super::ssr::*;
    use crate::domain::{Login, Money};
    use crate::server::admin::users::{self, AdjustError, Adjusted, AdjustmentRequest};
    use crate::server::ledger::Adjustment;
    let state = state()?;
    let admin = require_admin()?;
    let Ok(login) = Login::parse(&login) else {
        redirect_with_error("/admin/users", Message::UnknownUser, &[]);
        return Ok(());
    };
    let page = format!("/admin/users/{login}");
    let reason = reason.trim();
    let back = |message: Message| {
        redirect_with_error(
            &page,
            message,
            &[("direction", direction.as_str()), ("amount", amount.as_str()), ("reason", reason)],
        )
    };
    let direction_parsed = match direction.as_str() {
        "credit" => Adjustment::Credit,
        "debit" => Adjustment::Debit,
        _ => {
            back(Message::AdjustDirection);
            return Ok(());
        }
    };
    let amount_parsed = match Money::from_user_input(&amount) {
        Ok(a) => a,
        Err(e) => {
            back(crate::api::deposits::money_message(&e));
            return Ok(());
        }
    };
    if reason.is_empty() {
        back(Message::ReasonRequired);
        return Ok(());
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        back(Message::ReasonTooLong);
        return Ok(());
    }
    if !users::is_adjustment_key(&key) {
        back(Message::AdjustFormExpired);
        return Ok(());
    }
    let request = AdjustmentRequest {
        admin_id: admin.id,
        login: login.as_str(),
        direction: direction_parsed,
        amount_paise: amount_parsed.paise(),
        reason,
        key: &key,
    };
    match users::adjust(&state.db, request).await {
        Ok(Adjusted::Done) => redirect_with_notice(&page, Message::Adjusted),
        Ok(Adjusted::AlreadyDone) => redirect_with_notice(&page, Message::AdjustedAlready),
        Err(e) => {
            let message = match e {
                AdjustError::UnknownUser => Message::UnknownUser,
                AdjustError::InsufficientFunds => Message::DebitExceedsAvailable,
                AdjustError::KeyUsedOtherwise => Message::AdjustKeyUsed,
                AdjustError::Db(e) => {
                    tracing::error!(error = %e, "adjustment failed");
                    Message::Unavailable
                }
            };
            back(message);
        }
    }
    Ok(())
}
