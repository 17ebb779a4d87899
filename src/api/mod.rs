//! Server functions, grouped by page. Thin: authorize, parse into domain
//! types, call a service, map errors to sentences a user can read.

pub mod account;
pub mod admin;
pub mod auth;
pub mod deposits;
pub mod messages;
pub mod postback;
pub mod withdrawals;

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    pub use super::messages::Message;
    use crate::server::auth::SessionUser;
    use crate::server::state::{AppState, RequestUser};
    use leptos::prelude::*;

    pub fn state() -> Result<AppState, ServerFnError> {
        use_context::<AppState>().ok_or_else(|| ServerFnError::new("server state missing"))
    }

    pub fn user() -> Option<SessionUser> {
        use_context::<RequestUser>().and_then(|u| u.0)
    }

    pub fn require_user() -> Result<SessionUser, ServerFnError> {
        user().ok_or_else(|| ServerFnError::new("Please sign in."))
    }

    /// Every admin server function starts here: a signed-in admin, or the
    /// answer is refused by the function itself (401 without a session, 403
    /// for a user who is not an admin), whoever calls it and however.
    pub fn require_admin() -> Result<SessionUser, ServerFnError> {
        let refuse = |status: http::StatusCode, message: &str| {
            if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                response.set_status(status);
            }
            Err(ServerFnError::new(message))
        };
        match user() {
            Some(u) if u.is_admin => Ok(u),
            Some(_) => refuse(http::StatusCode::FORBIDDEN, "Admins only."),
            None => refuse(http::StatusCode::UNAUTHORIZED, "Please sign in."),
        }
    }

    /// For plain HTML forms: send the browser back to `path` with a message
    /// code (the page shows the code's fixed text) and form prefills.
    pub fn redirect_with_error(path: &str, message: Message, extra: &[(&str, &str)]) {
        redirect_with_message(path, "error", message, None, extra);
    }

    pub fn redirect_with_notice(path: &str, message: Message) {
        redirect_with_message(path, "notice", message, None, &[]);
    }

    /// `path?{param}=CODE[&wait=N]&k=v..`; every value percent-encoded, so
    /// the Location header is always valid.
    pub fn redirect_with_message(
        path: &str,
        param: &str,
        message: Message,
        wait_minutes: Option<u32>,
        extra: &[(&str, &str)],
    ) {
        let mut url = format!("{path}?{param}={}", message.code());
        if let Some(m) = wait_minutes {
            url.push_str(&format!("&wait={m}"));
        }
        for (k, v) in extra {
            url.push_str(&format!("&{k}={}", enc(v)));
        }
        leptos_axum::redirect(&url);
    }

    pub fn enc(s: &str) -> String {
        crate::domain::url_encode(s)
    }

    /// Only local paths are followed after sign-in (no open redirect).
    pub fn safe_next(next: &str) -> String {
        crate::domain::local_path(next).unwrap_or("/deposit").to_string()
    }

    /// The client's address as the server decided it (TCP peer, or the
    /// trusted proxy's X-Forwarded-For).
    pub fn client_ip() -> Option<std::net::IpAddr> {
        use_context::<crate::server::state::ClientAddr>().and_then(|c| c.0)
    }

    /// A plain form post from a browser (it accepts HTML and follows a
    /// redirect), as opposed to a program calling the server function.
    pub async fn from_browser_form() -> bool {
        let headers: http::HeaderMap = leptos_axum::extract().await.unwrap_or_default();
        headers.get(http::header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"))
    }

    /// For a program calling a server function: the status (429, 503) and
    /// `Retry-After` that go with an error answer.
    pub fn refuse_with_status(status: http::StatusCode, retry_after_secs: u64, message: String) -> ServerFnError {
        let response = expect_context::<leptos_axum::ResponseOptions>();
        response.set_status(status);
        response.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(retry_after_secs));
        ServerFnError::new(message)
    }
}
