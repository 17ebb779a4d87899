use crate::views::UserView;
use leptos::prelude::*;

#[server(endpoint = "me")]
pub async fn current_user() -> Result<Option<UserView>, ServerFnError> {
    Ok(super::ssr::user().map(|u| UserView { login: u.login, is_admin: u.is_admin }))
}

/// The fixed message a sign-in or sign-up failure shows, with its wait in minutes.
#[cfg(feature = "ssr")]
fn message_of(e: &crate::server::auth::AuthError) -> (super::messages::Message, Option<u32>) {
    use super::messages::Message;
    use crate::domain::login::LoginError;
    use crate::server::auth::AuthError;
    match e {
        AuthError::LoginTaken => (Message::LoginTaken, None),
        AuthError::WrongCredentials => (Message::WrongCredentials, None),
        AuthError::WeakPassword => (Message::WeakPassword, None),
        AuthError::Login(LoginError::Length) => (Message::LoginLength, None),
        AuthError::Login(LoginError::Characters) => (Message::LoginCharacters, None),
        AuthError::Db(_) => (Message::Unavailable, None),
        AuthError::Hash => (Message::PasswordFailed, None),
        AuthError::Busy => (Message::Busy, None),
        AuthError::Throttled { minutes } => (Message::TooManyAttempts, Some(*minutes)),
        AuthError::SignUpLimited { minutes } => (Message::SignUpLimited, Some(*minutes)),
    }
}

/// A refusal for a program calling the server function: 429 while throttled,
/// 503 while busy (with Retry-After); `None` for answers a form redirect
/// carries as well (wrong password, login taken).
#[cfg(feature = "ssr")]
fn refusal_status(e: &crate::server::auth::AuthError) -> Option<ServerFnError> {
    use crate::server::auth::AuthError;
    use http::StatusCode;
    match e {
        AuthError::Throttled { minutes } | AuthError::SignUpLimited { minutes } => {
            Some(super::ssr::refuse_with_status(StatusCode::TOO_MANY_REQUESTS, u64::from(*minutes) * 60, e.to_string()))
        }
        AuthError::Busy => Some(super::ssr::refuse_with_status(StatusCode::SERVICE_UNAVAILABLE, 1, e.to_string())),
        _ => None,
    }
}

#[server(endpoint = "sign-up")]
pub async fn sign_up(login: String, password: String, password_confirm: String) -> Result<(), ServerFnError> {
    use super::ssr::*;
    use crate::domain::Login;
    use crate::server::auth;
    let state = state()?;
    let back = |e: &auth::AuthError| {
        let (message, wait) = message_of(e);
        redirect_with_message("/signup", "error", message, wait, &[("login", login.as_str())]);
    };
    let parsed = match Login::parse(&login) {
        Ok(l) => l,
        Err(e) => {
            back(&auth::AuthError::Login(e));
            return Ok(());
        }
    };
    if password != password_confirm {
        redirect_with_error("/signup", Message::PasswordsDiffer, &[("login", login.as_str())]);
        return Ok(());
    }
    let created = auth::sign_up(&state.db, &state.hashing, &state.config.auth, client_ip(), &parsed, &password).await;
    match created {
        Ok(user_id) => {
            start_session_and_redirect(&state, user_id, "/deposit").await?;
            tracing::info!(login = %parsed, "user signed up");
        }
        Err(e) => {
            log_failure("sign-up", &e);
            if !from_browser_form().await
                && let Some(refusal) = refusal_status(&e)
            {
                return Err(refusal);
            }
            back(&e);
        }
    }
    Ok(())
}

#[server(endpoint = "sign-in")]
pub async fn sign_in(login: String, password: String, next: Option<String>) -> Result<(), ServerFnError> {
    use super::ssr::*;
    use crate::server::auth;
    let state = state()?;
    let next = safe_next(next.as_deref().unwrap_or("/deposit"));
    match auth::sign_in(&state.db, &state.hashing, &state.config.auth, client_ip(), &login, &password).await {
        Ok(user) => start_session_and_redirect(&state, user.id, &next).await?,
        Err(e) => {
            log_failure("sign-in", &e);
            if !from_browser_form().await
                && let Some(refusal) = refusal_status(&e)
            {
                return Err(refusal);
            }
            let (message, wait) = message_of(&e);
            let login: String = login.trim().chars().take(64).collect();
            redirect_with_message("/signin", "error", message, wait, &[("login", login.as_str()), ("next", &next)]);
        }
    }
    Ok(())
}

/// The server's troubles are logged; a visitor's mistakes and refusals only
/// counted (no login or password in the logs).
#[cfg(feature = "ssr")]
fn log_failure(what: &str, e: &crate::server::auth::AuthError) {
    use crate::server::auth::AuthError;
    match e {
        AuthError::Db(_) | AuthError::Hash => tracing::error!(error = %e, "{what} failed"),
        AuthError::Busy => tracing::warn!("{what} refused: password hashing busy"),
        AuthError::Throttled { .. } | AuthError::SignUpLimited { .. } => tracing::info!("{what} refused: throttled"),
        _ => {}
    }
}

#[server(endpoint = "sign-out")]
pub async fn sign_out() -> Result<(), ServerFnError> {
    use crate::server::auth;
    let state = super::ssr::state()?;
    let secure = state.config.secure_cookies();
    let headers: http::HeaderMap = leptos_axum::extract().await?;
    if let Some(token) = auth::session_token_from_headers(&headers, secure) {
        let _ = auth::end_session(&state.db, &token).await;
    }
    let response = expect_context::<leptos_axum::ResponseOptions>();
    if let Ok(v) = http::HeaderValue::from_str(&auth::clear_session_cookie(secure)) {
        response.append_header(http::header::SET_COOKIE, v);
    }
    leptos_axum::redirect("/");
    Ok(())
}

#[cfg(feature = "ssr")]
async fn start_session_and_redirect(
    state: &crate::server::state::AppState,
    user_id: i64,
    to: &str,
) -> Result<(), ServerFnError> {
    use crate::server::auth;
    let token = auth::start_session(&state.db, user_id).await.map_err(|e| ServerFnError::new(e.to_string()))?;
    let response = expect_context::<leptos_axum::ResponseOptions>();
    let cookie = auth::session_cookie(&token, state.config.secure_cookies());
    let value = http::HeaderValue::from_str(&cookie).map_err(|_| ServerFnError::new("cookie"))?;
    response.append_header(http::header::SET_COOKIE, value);
    leptos_axum::redirect(to);
    Ok(())
}
