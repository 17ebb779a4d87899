//! Server functions of the admin console's dashboard, transactions list and
//! deposit detail (admins only: `require_admin` answers 401/403 itself).
// `get_transactions` takes the list's ten URL filters, one argument each; the
// #[server] macro does not pass a function's own allow on to the browser stub.
#![allow(clippy::too_many_arguments)]

use crate::views::{Dashboard, DepositDetail, TransactionPage};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
fn unavailable(e: impl std::fmt::Display, what: &str) -> ServerFnError {
    tracing::error!(error = %e, "admin {what} failed");
    ServerFnError::new("The service is temporarily unavailable. Try again in a moment.")
}

#[server(endpoint = "admin/dashboard")]
pub async fn get_dashboard() -> Result<Dashboard, ServerFnError> {
    use crate::api::ssr::*;
    let state = state()?;
    require_admin()?;
    crate::server::admin::dashboard::dashboard(&state.db).await.map_err(|e| unavailable(e, "dashboard"))
}

/// The filtered list, one page after `cursor`, with totals of the whole set.
#[server(endpoint = "admin/transactions")]
pub async fn get_transactions(
    status: Option<String>,
    kind: Option<String>,
    user: Option<String>,
    q: Option<String>,
    from: Option<String>,
    to: Option<String>,
    min: Option<String>,
    max: Option<String>,
    flag: Option<String>,
    cursor: Option<String>,
) -> Result<TransactionPage, ServerFnError> {
    use crate::api::ssr::{require_admin, state};
    let state = state()?;
    require_admin()?;
    let mut query = crate::views::TransactionQuery::default();
    for (name, value) in [
        ("status", status),
        ("kind", kind),
        ("user", user),
        ("q", q),
        ("from", from),
        ("to", to),
        ("min", min),
        ("max", max),
        ("flag", flag),
        ("cursor", cursor),
    ] {
        if let Some(v) = value {
            // Bounded: a filter is a short value; a megabyte of `q` is refused.
            if v.len() > 200 {
                return Err(ServerFnError::new(format!("{name}: at most 200 characters")));
            }
            query.set(name, &v);
        }
    }
    crate::server::admin::transactions::page(&state.db, &query).await.map_err(|e| unavailable(e, "transactions"))
}

#[server(endpoint = "admin/deposit")]
pub async fn get_admin_deposit(id: String) -> Result<Option<DepositDetail>, ServerFnError> {
    use crate::api::ssr::*;
    let state = state()?;
    require_admin()?;
    if id.len() > 100 {
        return Ok(None);
    }
    crate::server::admin::detail::deposit(&state.db, &id).await.map_err(|e| unavailable(e, "deposit detail"))
}

/// "Re-check at the provider now": one status call (the same claim as the
/// user's "Check now", so it never doubles the reconciler's), audited with
/// the deposit's state before and after. Never credits: only a signed
/// postback moves money.
#[server(endpoint = "admin/recheck")]
pub async fn recheck_deposit(id: String) -> Result<(), ServerFnError> {
    use crate::api::ssr::*;
    use crate::server::admin::detail;
    use crate::server::deposits::{self, CheckOutcome, DepositError};
    let state = state()?;
    let admin = require_admin()?;
    let back = format!("/admin/deposits/{}", enc(&id));
    let Some(row) = deposits::find(&state, &id).await.map_err(|e| unavailable(e, "recheck"))? else {
        redirect_with_error("/admin/transactions", Message::NoSuchDeposit, &[]);
        return Ok(());
    };
    let before = detail::state_json(&state.db, &id).await.map_err(|e| unavailable(e, "recheck"))?;
    let (message, outcome) = match deposits::check_status(&state, &row).await {
        Ok(CheckOutcome::Changed(s)) => (Message::RecheckChanged, format!("provider: now {}", s.as_str())),
        Ok(CheckOutcome::PaidAwaitingPostback) => {
            (Message::PaidAwaitingPostback, "provider: paid, waiting for the signed postback".to_string())
        }
        Ok(CheckOutcome::Unchanged(s)) => (Message::RecheckUnchanged, format!("provider: still {}", s.as_str())),
        Err(DepositError::CheckTooSoon) => {
            redirect_with_error(&back, Message::CheckTooSoon, &[]);
            return Ok(());
        }
        Err(e) => (Message::CheckFailed, format!("check failed: {e}")),
    };
    detail::record_recheck(&state.db, admin.id, &id, &before, &outcome).await.map_err(|e| unavailable(e, "recheck"))?;
    if message == Message::CheckFailed {
        redirect_with_error(&back, message, &[]);
    } else {
        redirect_with_notice(&back, message);
    }
    Ok(())
}

/// A note on a deposit's timeline (an audit entry).
#[server(endpoint = "admin/note")]
pub async fn add_deposit_note(id: String, note: String) -> Result<(), ServerFnError> {
    use crate::api::ssr::*;
    let state = state()?;
    let admin = require_admin()?;
    let back = format!("/admin/deposits/{}", enc(&id));
    let note = note.trim();
    if note.is_empty() || note.chars().count() > 1000 {
        redirect_with_error(&back, Message::NoteEmpty, &[]);
        return Ok(());
    }
    match crate::server::admin::detail::add_note(&state.db, admin.id, &id, note).await {
        Ok(true) => redirect_with_notice(&back, Message::NoteAdded),
        Ok(false) => redirect_with_error("/admin/transactions", Message::NoSuchDeposit, &[]),
        Err(e) => return Err(unavailable(e, "note")),
    }
    Ok(())
}
