use super::UserView;
use leptos::prelude::*;

#[server(endpoint = "me")]
pub async fn current_user() -> Result<Option<UserView>, ServerFnError> {
    Ok(super::ssr::user().map(|u| UserView { login: u.login, is_admin: u.is_admin }))
}

#[server(endpoint = "sign-up")]
pub async fn sign_up(login: String, password: String, password_confirm: String) -> Result<(), ServerFnError> {
    use super::ssr::*;
    use crate::domain::Login;
    use crate::server::auth;
    let state = state()?;
    let back = |msg: &str| redirect_with_error("/signup", msg, &[("login", login.as_str())]);
    let parsed = match Login::parse(&login) {
        Ok(l) => l,
        Err(e) => {
            back(&e.to_string());
            return Ok(());
        }
    };
    if password != password_confirm {
        back("The two passwords differ.");
        return Ok(());
    }
    match auth::create_user(&state.db, &parsed, &password, false).await {
        Ok(user_id) => {
            start_session_and_redirect(&state, user_id, "/deposit").await?;
            tracing::info!(login = %parsed, "user signed up");
        }
        Err(e) => {
            if matches!(e, auth::AuthError::Db(_)) {
                tracing::error!(error = %e, "sign-up failed");
            }
            back(&e.to_string());
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
    match auth::check_credentials(&state.db, &login, &password).await {
        Ok(user) => start_session_and_redirect(&state, user.id, &next).await?,
        Err(e) => {
            if matches!(e, auth::AuthError::Db(_)) {
                tracing::error!(error = %e, "sign-in failed");
            }
            redirect_with_error("/signin", &e.to_string(), &[("login", login.trim()), ("next", &next)]);
        }
    }
    Ok(())
}

#[server(endpoint = "sign-out")]
pub async fn sign_out() -> Result<(), ServerFnError> {
    use crate::server::auth;
    let state = super::ssr::state()?;
    let headers: http::HeaderMap = leptos_axum::extract().await?;
    if let Some(token) = auth::session_token_from_headers(&headers) {
        let _ = auth::end_session(&state.db, &token).await;
    }
    let response = expect_context::<leptos_axum::ResponseOptions>();
    if let Ok(v) = http::HeaderValue::from_str(&auth::clear_session_cookie(state.config.secure_cookies())) {
        response.append_header(http::header::SET_COOKIE, v);
    }
    leptos_axum::redirect("/");
    Ok(())
}

#[cfg(feature = "ssr")]
async fn start_session_and_redirect(state: &crate::server::state::AppState, user_id: i64, to: &str) -> Result<(), ServerFnError> {
    use crate::server::auth;
    let token = auth::start_session(&state.db, user_id).await.map_err(|e| ServerFnError::new(e.to_string()))?;
    let response = expect_context::<leptos_axum::ResponseOptions>();
    let cookie = auth::session_cookie(&token, state.config.secure_cookies());
    let value = http::HeaderValue::from_str(&cookie).map_err(|_| ServerFnError::new("cookie"))?;
    response.append_header(http::header::SET_COOKIE, value);
    leptos_axum::redirect(to);
    Ok(())
}
