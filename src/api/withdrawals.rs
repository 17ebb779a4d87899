//! Server functions of the withdraw page (users) and of a withdrawal's
//! admin page (admins, under /api/admin/).

use crate::views::{WithdrawInput, WithdrawPageView};
use leptos::prelude::*;

/// The withdraw page. With `input` (the form was posted to `/withdraw`):
/// each field checked, and when all are right the confirmation with a
/// one-time key. Nothing is held here.
#[server(endpoint = "withdraw-page")]
pub async fn get_withdraw_page(input: Option<WithdrawInput>) -> Result<WithdrawPageView, ServerFnError> {
    use super::ssr::*;
    use crate::domain::{WithdrawLimits, parse_withdraw_fields};
    use crate::views::{WithdrawConfirm, WithdrawFieldErrors};
    let state = state()?;
    let user = require_user()?;
    let balance = crate::server::account::balances(&state.db, user.id).await.map_err(|e| {
        tracing::error!(error = %e, "withdraw page query failed");
        ServerFnError::new(crate::api::messages::Message::Unavailable.text())
    })?;
    let limits = WithdrawLimits {
        min_paise: state.config.withdrawal_min_paise,
        max_paise: state.config.withdrawal_max_paise,
        available_paise: balance.0,
    };
    let mut view = WithdrawPageView {
        min_paise: limits.min_paise,
        max_paise: limits.max_paise,
        available_paise: balance.0,
        held_paise: balance.1,
        input: WithdrawInput::default(),
        errors: WithdrawFieldErrors::default(),
        confirm: None,
    };
    let Some(input) = input else { return Ok(view) };
    let edit = input.step == "edit";
    match parse_withdraw_fields(&input.amount, &input.account_number, &input.account_name, &input.ifsc, limits) {
        Ok(f) if !edit => {
            view.confirm = Some(WithdrawConfirm {
                amount_paise: f.amount.paise(),
                account_number: f.account_number.as_str().to_string(),
                account_name: f.account_name.as_str().to_string(),
                ifsc: f.ifsc.as_str().to_string(),
                request_key: crate::server::withdrawals::new_request_key(),
                available_after_paise: balance.0 - f.amount.paise(),
            });
        }
        Ok(_) => {}
        Err(p) if !edit => {
            let said = |p: Option<crate::domain::Problem>| {
                p.map(|p| crate::i18n::t_with(p.key, &p.values())).unwrap_or_default()
            };
            view.errors = WithdrawFieldErrors {
                amount: said(p.amount),
                account_number: said(p.account_number),
                account_name: said(p.account_name),
                ifsc: said(p.ifsc),
            };
        }
        Err(_) => {}
    }
    view.input = WithdrawInput { step: String::new(), ..input };
    Ok(view)
}

/// The confirmation's own form posts here: hold, then ask the provider.
/// Everything is parsed again (the hidden fields are the browser's to change).
#[server(endpoint = "withdraw")]
pub async fn create_withdrawal(
    amount: String,
    account_number: String,
    account_name: String,
    ifsc: String,
    request_key: String,
) -> Result<(), ServerFnError> {
    use super::ssr::*;
    use crate::domain::{WithdrawLimits, parse_withdraw_fields};
    use crate::server::withdrawals::{self, WithdrawalError};
    let state = state()?;
    let Some(user) = user() else {
        redirect_with_error("/signin", Message::SignInFirst, &[("next", "/withdraw")]);
        return Ok(());
    };
    // The balance is checked by the ledger's hold itself, atomically.
    let limits = WithdrawLimits {
        min_paise: state.config.withdrawal_min_paise,
        max_paise: state.config.withdrawal_max_paise,
        available_paise: i64::MAX,
    };
    let fields = match parse_withdraw_fields(&amount, &account_number, &account_name, &ifsc, limits) {
        Ok(f) if withdrawals::valid_request_key(&request_key) => f,
        _ => {
            redirect_with_error("/withdraw", Message::WithdrawalFieldsInvalid, &[]);
            return Ok(());
        }
    };
    match withdrawals::request(&state, &user, &fields, &request_key).await {
        Ok(w) => match w.status.as_str() {
            "rejected" => redirect_with_error("/balance", Message::WithdrawalRejected, &[]),
            "failed" => redirect_with_error("/balance", Message::WithdrawalNotSent, &[]),
            "cancelled" => redirect_with_error("/balance", Message::WithdrawalWasCancelled, &[]),
            "paid" => redirect_with_notice("/balance", Message::WithdrawalPaid),
            "unknown" | "requested" => redirect_with_notice("/balance", Message::WithdrawalUnknown),
            _ => redirect_with_notice("/balance", Message::WithdrawalSubmitted),
        },
        // Held: the balance page tells where it stands; never "try again".
        Err(WithdrawalError::HeldPending(_)) => redirect_with_notice("/balance", Message::WithdrawalUnknown),
        Err(e) => {
            let message = match e {
                WithdrawalError::InsufficientFunds => Message::WithdrawalInsufficient,
                WithdrawalError::OutOfRange { .. } | WithdrawalError::WholeRupeesOnly => Message::WithdrawalOutOfRange,
                WithdrawalError::KeyReused => Message::WithdrawalKeyUsed,
                WithdrawalError::Db(ref cause) => {
                    tracing::error!(error = %cause, "withdrawal not created");
                    Message::Unavailable
                }
                WithdrawalError::NotFound | WithdrawalError::NotCancellable(_) => Message::Unavailable,
                WithdrawalError::HeldPending(_) => Message::WithdrawalUnknown,
            };
            redirect_with_error("/withdraw", message, &[]);
        }
    }
    Ok(())
}
