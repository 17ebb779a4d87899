//! Server functions of the deposit pages.

use crate::views::{DepositFormInfo, DepositView, LiveStatus};
use leptos::prelude::*;

#[server(endpoint = "deposit-form")]
pub async fn get_deposit_form() -> Result<DepositFormInfo, ServerFnError> {
    let state = super::ssr::state()?;
    Ok(DepositFormInfo { min_paise: state.config.deposit_min_paise, max_paise: state.config.deposit_max_paise })
}

/// The deposit form posts here (works without JavaScript).
#[server(endpoint = "create-deposit")]
pub async fn create_deposit(amount: String, method: String) -> Result<(), ServerFnError> {
    use super::ssr::*;
    use crate::domain::{Money, PayMethod};
    use crate::server::deposits;
    let state = state()?;
    let Some(user) = user() else {
        leptos_axum::redirect("/signin?next=/deposit");
        return Ok(());
    };
    let back = |message: Message| {
        redirect_with_error("/deposit", message, &[("amount", amount.as_str()), ("method", method.as_str())])
    };
    let amount_parsed = match Money::from_user_input(&amount) {
        Ok(a) => a,
        Err(e) => {
            back(money_message(&e));
            return Ok(());
        }
    };
    let Some(method_parsed) = PayMethod::parse(&method) else {
        back(Message::ChooseMethod);
        return Ok(());
    };
    match deposits::create(&state, &user, amount_parsed, method_parsed).await {
        Ok(d) => leptos_axum::redirect(&format!("/deposits/{}", enc(&d.id))),
        Err(e) => {
            if matches!(e, deposits::DepositError::Db(_)) {
                tracing::error!(error = %e, "deposit not created");
            }
            back(deposit_message(&e));
        }
    }
    Ok(())
}

#[cfg(feature = "ssr")]
pub(crate) fn money_message(e: &crate::domain::money::MoneyError) -> super::messages::Message {
    use super::messages::Message;
    use crate::domain::money::MoneyError;
    match e {
        MoneyError::Empty => Message::AmountEmpty,
        MoneyError::NotANumber => Message::AmountNotANumber,
        MoneyError::TooManyDecimals => Message::AmountDecimals,
        MoneyError::NotPositive => Message::AmountNotPositive,
        MoneyError::TooLarge => Message::AmountTooLarge,
    }
}

#[cfg(feature = "ssr")]
fn deposit_message(e: &crate::server::deposits::DepositError) -> super::messages::Message {
    use super::messages::Message;
    use crate::server::deposits::DepositError;
    #[allow(unreachable_patterns)] // the service may grow refusals; they show as "unavailable"
    match e {
        DepositError::OutOfRange { .. } => Message::AmountOutOfRange,
        DepositError::WholeRupeesOnly => Message::WholeRupeesOnly,
        DepositError::TooManyOpen(_) => Message::TooManyOpen,
        DepositError::NotFound => Message::NoSuchDeposit,
        DepositError::CheckTooSoon => Message::CheckTooSoon,
        DepositError::Db(_) => Message::Unavailable,
        _ => Message::Unavailable,
    }
}

#[server(endpoint = "deposit")]
pub async fn get_deposit(id: String) -> Result<Option<DepositView>, ServerFnError> {
    use super::ssr::*;
    use crate::paykassma::{deeplink, plugin::Lang, qr};
    use crate::server::{db::now_ms, deposits};
    use crate::views::{AppLinksView, Device};
    let state = state()?;
    let user = require_user()?;
    let d = match deposits::find_for(&state, &user, &id).await {
        Ok(d) => d,
        Err(deposits::DepositError::NotFound) => return Ok(None),
        Err(e) => return Err(ServerFnError::new(e.to_string())),
    };
    let headers: http::HeaderMap = leptos_axum::extract().await?;
    let ua = headers.get(http::header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let open = !d.status.is_terminal();
    let qr_svg = match (&d.qr_data, open) {
        (Some(data), true) => qr::qr_svg(data).ok(),
        _ => None,
    };
    let app_links = d.qr_data.as_deref().filter(|_| open).map(|q| {
        let l = deeplink::app_links(q);
        let upi = deeplink::parse_upi_uri(&l.generic).ok();
        let vpa = upi.as_ref().map(|u| u.pa.clone()).unwrap_or_default();
        let payee = upi.and_then(|u| u.pn).filter(|n| !n.trim().is_empty()).unwrap_or_else(|| vpa.clone());
        AppLinksView { generic: l.generic, paytm: l.paytm, phonepe: l.phonepe, gpay: l.gpay, payee, vpa }
    });
    // the provider's window speaks English and Hindi too
    let lang = match crate::i18n::current() {
        crate::i18n::Lang::En => Lang::En,
        crate::i18n::Lang::Hi => Lang::Hi,
    };
    let window_url =
        (d.method == crate::domain::PayMethod::Window && open).then(|| deposits::window_url(&state, &d, lang));
    Ok(Some(DepositView {
        id: d.id,
        amount_paise: d.amount_paise,
        method: d.method.as_str().to_string(),
        status: d.status,
        qr_svg,
        app_links,
        window_url,
        failure_reason: d.failure_reason,
        credited_paise: d.credited_paise,
        created_at: d.created_at,
        expires_at: d.expires_at,
        server_now: now_ms(),
        device: Device::from_user_agent(ua),
        sandbox_pay_url: match (&d.order_id, state.config.sandbox && open) {
            (Some(order), true) => Some(format!("http://{}/pay/{}", state.config.sandbox_addr, enc(order))),
            _ => None,
        },
    }))
}

/// "Check now" from the live status island: asks the provider, answers the state.
#[server(endpoint = "deposit-check")]
pub async fn check_deposit_now(id: String) -> Result<LiveStatus, ServerFnError> {
    use super::ssr::*;
    use crate::server::deposits::{self, CheckOutcome, DepositError};
    let state = state()?;
    let user = require_user()?;
    let d = deposits::find_for(&state, &user, &id).await.map_err(|e| ServerFnError::new(e.to_string()))?;
    use super::messages::Message;
    // in the visitor's language: the island shows it as it comes
    let message = match deposits::check_status(&state, &d).await {
        Ok(CheckOutcome::PaidAwaitingPostback) => Some(Message::PaidAwaitingPostback.text()),
        Ok(CheckOutcome::Unchanged(s)) if !s.is_terminal() => Some(Message::StillWaiting.text()),
        Ok(_) => None,
        Err(DepositError::CheckTooSoon) => Some(Message::CheckTooSoon.text()),
        Err(e) => {
            tracing::warn!(error = %e, "status check failed");
            return Err(ServerFnError::new(Message::CheckFailed.text()));
        }
    };
    let now = deposits::find_for(&state, &user, &id).await.map_err(|e| ServerFnError::new(e.to_string()))?;
    Ok(LiveStatus { message, ..now.live() })
}

/// The same check from a plain form (JavaScript off): back to the payment page.
#[server(endpoint = "deposit-check-form")]
pub async fn check_deposit_form(id: String) -> Result<(), ServerFnError> {
    use super::messages::Message;
    use crate::server::deposits::{self, CheckOutcome, DepositError};
    let path = format!("/deposits/{}", super::ssr::enc(&id));
    let state = super::ssr::state()?;
    let Some(user) = super::ssr::user() else {
        super::ssr::redirect_with_error("/signin", Message::SignInFirst, &[("next", &path)]);
        return Ok(());
    };
    let found = match deposits::find_for(&state, &user, &id).await {
        Ok(d) => d,
        Err(e) => {
            super::ssr::redirect_with_error(&path, deposit_message(&e), &[]);
            return Ok(());
        }
    };
    let message = match deposits::check_status(&state, &found).await {
        Ok(CheckOutcome::PaidAwaitingPostback) => Some(Message::PaidAwaitingPostback),
        Ok(CheckOutcome::Unchanged(s)) if !s.is_terminal() => Some(Message::StillWaiting),
        Ok(_) => None,
        Err(DepositError::CheckTooSoon) => Some(Message::CheckTooSoon),
        Err(e) => {
            tracing::warn!(error = %e, "status check from the form failed");
            Some(Message::CheckFailed)
        }
    };
    match message {
        Some(m) => super::ssr::redirect_with_error(&path, m, &[]),
        None => leptos_axum::redirect(&path),
    }
    Ok(())
}

/// Read-only status for the island's fallback polling.
#[server(endpoint = "deposit-status")]
pub async fn get_deposit_status(id: String) -> Result<LiveStatus, ServerFnError> {
    use super::ssr::*;
    use crate::server::deposits;
    let state = state()?;
    let user = require_user()?;
    // The same few database permits as the live-status stream (it falls back to this).
    let _permit = state.limits.status_read().await;
    let d = deposits::find_for(&state, &user, &id).await.map_err(|e| ServerFnError::new(e.to_string()))?;
    Ok(d.live())
}
