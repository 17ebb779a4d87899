//! The provider's postback, `POST /api/paykassma/postback`, as a server
//! function. The provider is a stranger calling from its own servers: the
//! body is read raw (any `Content-Type`; no form or JSON decoding by the
//! framework, whose errors would be plain-text 400/500 answers), handed to
//! the verifier, and every answer sets its own status:
//!
//! | status | body | when |
//! |---|---|---|
//! | 200 | `{"status":"ok"}` | committed (credited, duplicate, suspense or review) |
//! | 400 | `{"message":…,"status":"fail"}` | not JSON, not a postback, not UTF-8 |
//! | 403 | same shape | wrong access key or signature |
//! | 413 | same shape | body over BODY_LIMIT_BYTES |
//! | 503 | same shape | not committed (database down): the provider sends again |
//!
//! The reply is JSON whatever the caller's `Accept` says. Its route in
//! `server::http` sets `Accept: application/json` and drops a `Referer`
//! before the call: server_fn and leptos_axum turn a call that accepts
//! `text/html` into a browser form post's redirect (`Location` to the
//! referrer or `/`). The status set here is applied last in any case.

use crate::views::PostbackReply;
use leptos::prelude::*;
use leptos::server_fn::codec::{Encoding, FromReq, IntoReq, Json};
use leptos::server_fn::error::FromServerFnError;
use leptos::server_fn::request::{ClientReq, Req};
use leptos::server_fn::{Bytes, ContentType};
use serde::{Deserialize, Serialize};

/// The postback's body as it arrived: whole, or cut off at the limit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PostbackBody {
    Received(Vec<u8>),
    /// More than BODY_LIMIT_BYTES arrived; reading stopped there.
    TooLarge,
    /// The connection failed while the body was read.
    Unreadable,
}

/// Input encoding: the request body as raw bytes, whatever its content type.
pub struct RawBody;

impl ContentType for RawBody {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl Encoding for RawBody {
    const METHOD: http::Method = http::Method::POST;
}

#[server(endpoint = "paykassma/postback", input = RawBody, output = Json)]
pub async fn paykassma_postback(body: PostbackBody) -> Result<PostbackReply, ServerFnError> {
    use crate::server::postback::{self, Answer};
    let state = super::ssr::state()?;
    let answer = match body {
        PostbackBody::Received(raw) => {
            let remote = leptos_axum::extract::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .await
                .map(|c| c.0.to_string())
                .unwrap_or_default();
            postback::ingest(&state, &raw, &remote).await
        }
        PostbackBody::TooLarge => Answer::fail(413, "the body is too large"),
        PostbackBody::Unreadable => Answer::fail(400, "the body could not be read"),
    };
    let response = expect_context::<leptos_axum::ResponseOptions>();
    if answer.status == 413 {
        // The rest of the body was not read: the connection cannot carry another request.
        response.insert_header(http::header::CONNECTION, http::HeaderValue::from_static("close"));
    }
    response.set_status(http::StatusCode::from_u16(answer.status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR));
    Ok(answer.reply)
}

/// Server side: the body, counted as it arrives (a chunked body has no
/// length to refuse up front), up to BODY_LIMIT_BYTES.
impl<R, E> FromReq<RawBody, R, E> for PaykassmaPostback
where
    R: Req<E> + Send + 'static,
    E: FromServerFnError,
{
    #[cfg(not(feature = "ssr"))]
    async fn from_req(_req: R) -> Result<Self, E> {
        Ok(PaykassmaPostback { body: PostbackBody::Unreadable })
    }

    #[cfg(feature = "ssr")]
    async fn from_req(req: R) -> Result<Self, E> {
        use tokio_stream::StreamExt;
        let limit = use_context::<crate::server::state::AppState>().map_or(65_536, |s| s.config.body_limit_bytes);
        let Ok(stream) = req.try_into_stream() else {
            return Ok(PaykassmaPostback { body: PostbackBody::Unreadable });
        };
        let mut stream = std::pin::pin!(stream);
        let mut raw = Vec::new();
        while let Some(chunk) = stream.next().await {
            let Ok(chunk) = chunk else {
                return Ok(PaykassmaPostback { body: PostbackBody::Unreadable });
            };
            if raw.len() + chunk.len() > limit {
                return Ok(PaykassmaPostback { body: PostbackBody::TooLarge });
            }
            raw.extend_from_slice(&chunk);
        }
        Ok(PaykassmaPostback { body: PostbackBody::Received(raw) })
    }
}

/// Client side (required by the framework; the provider, not the browser,
/// calls this): the bytes as the body.
impl<R, E> IntoReq<RawBody, R, E> for PaykassmaPostback
where
    R: ClientReq<E>,
    E: FromServerFnError,
{
    fn into_req(self, path: &str, accepts: &str) -> Result<R, E> {
        let bytes = match self.body {
            PostbackBody::Received(raw) => Bytes::from(raw),
            PostbackBody::TooLarge | PostbackBody::Unreadable => Bytes::new(),
        };
        R::try_new_post_bytes(path, RawBody::CONTENT_TYPE, accepts, bytes)
    }
}
