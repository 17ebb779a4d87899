//! Server functions, grouped by page. Thin: authorize, parse into domain
//! types, call a service, map errors to sentences a user can read.

pub mod account;
pub mod admin;
pub mod auth;
pub mod deposits;

use serde::{Deserialize, Serialize};

/// The signed-in user as pages see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub login: String,
    pub is_admin: bool,
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
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

    pub fn require_admin() -> Result<SessionUser, ServerFnError> {
        match user() {
            Some(u) if u.is_admin => Ok(u),
            Some(_) => Err(ServerFnError::new("Admins only.")),
            None => Err(ServerFnError::new("Please sign in.")),
        }
    }

    /// For plain HTML forms: send the browser back to `path` with a readable error.
    pub fn redirect_with_error(path: &str, message: &str, extra: &[(&str, &str)]) {
        let mut url = format!("{path}?error={}", enc(message));
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
        if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
            next.to_string()
        } else {
            "/deposit".to_string()
        }
    }
}
