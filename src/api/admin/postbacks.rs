//! Server functions of the postback log and the postback inspector (admins only).

use crate::views::{InspectorView, PostbackLog};
use leptos::prelude::*;

/// Every postback received, newest first, filtered by verdict, keyset
/// paginated by id (`before`).
#[server(endpoint = "admin/postbacks")]
pub async fn get_postback_log(verdict: Option<String>, before: Option<i64>) -> Result<PostbackLog, ServerFnError> {
    use super::super::ssr::*;
    let state = state()?;
    require_admin()?;
    let verdict = verdict.unwrap_or_default();
    crate::server::admin::postbacks::log(&state.db, verdict.trim(), before).await.map_err(|e| {
        tracing::error!(error = %e, "postback log query failed");
        ServerFnError::new(Message::Unavailable.text())
    })
}

/// Every verification step of a stored postback (`id`) or a pasted `body`,
/// and where each signed item would go. Reads only: nothing is credited or
/// recorded. Signatures come back masked (first 8 hex characters).
#[server(endpoint = "admin/inspect-postback")]
pub async fn inspect_postback(id: Option<i64>, body: Option<String>) -> Result<InspectorView, ServerFnError> {
    use super::super::ssr::*;
    use crate::server::admin::inspector::{self, InspectError, Subject};
    let state = state()?;
    require_admin()?;
    let subject = match (body.filter(|b| !b.trim().is_empty()), id) {
        (Some(body), _) => Some(Subject::Pasted(body)),
        (None, Some(id)) => Some(Subject::Stored(id)),
        (None, None) => None,
    };
    let inspection = match subject {
        None => None,
        Some(subject) => Some(inspector::inspect(&state.db, &state.config, subject).await.map_err(|e| {
            let (status, message) = match e {
                InspectError::NoSuchPostback => (http::StatusCode::NOT_FOUND, Message::NoSuchPostback),
                InspectError::TooLarge => (http::StatusCode::PAYLOAD_TOO_LARGE, Message::InspectTooLarge),
                InspectError::Db(e) => {
                    tracing::error!(error = %e, "postback inspection failed");
                    (http::StatusCode::SERVICE_UNAVAILABLE, Message::Unavailable)
                }
            };
            if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                response.set_status(status);
            }
            ServerFnError::new(message.text())
        })?),
    };
    Ok(InspectorView {
        body_limit_bytes: state.config.body_limit_bytes,
        configured_access_key: state.config.postback_access_key.clone(),
        inspection,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_router_knows_where_the_inspector_answers() {
        use leptos::server_fn::ServerFn;
        assert_eq!(super::InspectPostback::PATH, crate::views::INSPECT_POSTBACK_FN);
    }
}
