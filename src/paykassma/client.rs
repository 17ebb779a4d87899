//! HTTP client for Paykassma's host-to-host API: create a UPI S payment,
//! check its status, create an IMPS withdrawal.
//!
//! - Connect and total timeouts; no redirects followed; no retry of any
//!   request (a timeout on a create is reported as "outcome unknown" and is
//!   resolved later by a status check).
//! - Every failure is a [`ProviderError`] with a sentence a user can read
//!   ([`ProviderError::user_message`]).
//! - The API secret travels in the query string (`?secret=`), as documented;
//!   it never appears in logs, errors or `Debug` output (URLs are logged with
//!   `secret=***`).

use std::fmt;
use std::time::{Duration, Instant};

use url::Url;

use super::error::{Endpoint, ProviderError, classify_answer, mask_url, scrub, snippet};
use super::json;
use super::secret::Secret;
use super::types::{CreatePayment, CreatedPayment, PaymentStatus, WithdrawalRequest};
use super::wire::{
    CreatePaymentRequest, CreatePaymentResponse, OkResponse, StatusRequest, StatusResponse, WithdrawalBody,
};

/// Longest provider answer we read; anything longer is cut (and then is not
/// valid JSON).
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

fn describe(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut parts = Vec::new();
    let mut cur: Option<&dyn std::error::Error> = e.source();
    while let Some(err) = cur {
        let s = err.to_string();
        if !parts.contains(&s) {
            parts.push(s);
        }
        cur = err.source();
    }
    if parts.is_empty() { "connection failed".to_owned() } else { parts.join(": ") }
}

/// Paykassma API client. Cheap to clone (shares one connection pool).
#[derive(Clone)]
pub struct PaykassmaClient {
    http: reqwest::Client,
    api: Url,
    secret: Secret,
    withdrawal_key: Secret,
    total_timeout: Duration,
}

impl fmt::Debug for PaykassmaClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PaykassmaClient")
            .field("api", &self.api.as_str())
            .field("secret", &"***")
            .field("withdrawal_key", &"***")
            .field("total_timeout", &self.total_timeout)
            .finish()
    }
}

impl PaykassmaClient {
    /// `api_url` is the API base, e.g. `https://api.example.com` (a path
    /// prefix is kept). `connect_timeout` bounds the TCP/TLS connect,
    /// `total_timeout` the whole request including the answer.
    pub fn new(
        api_url: &str,
        api_secret: Secret,
        withdrawal_key: Secret,
        connect_timeout: Duration,
        total_timeout: Duration,
    ) -> Result<Self, ProviderError> {
        let api = Url::parse(api_url.trim()).map_err(|_| {
            ProviderError::InvalidRequest("The payment provider API address is not a valid URL.".to_owned())
        })?;
        if !matches!(api.scheme(), "http" | "https") || api.host_str().is_none() {
            return Err(ProviderError::InvalidRequest(
                "The payment provider API address must start with http:// or https://.".to_owned(),
            ));
        }
        if connect_timeout.is_zero() || total_timeout.is_zero() {
            return Err(ProviderError::InvalidRequest(
                "The payment provider timeouts must be greater than zero.".to_owned(),
            ));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .timeout(total_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("upi-portal/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                ProviderError::InvalidRequest(format!("The HTTP client could not be set up: {}.", describe(&e)))
            })?;
        Ok(Self { http, api, secret: api_secret, withdrawal_key, total_timeout })
    }

    /// The API base URL (holds no secret).
    pub fn api_url(&self) -> &str {
        self.api.as_str()
    }

    fn url(&self, endpoint: Endpoint) -> Url {
        let mut url = self.api.clone();
        let path = format!("{}{}", self.api.path().trim_end_matches('/'), endpoint.path());
        url.set_path(&path);
        url.set_fragment(None);
        if endpoint.uses_secret() {
            url.query_pairs_mut().append_pair("secret", self.secret.expose());
        }
        url
    }

    /// One POST with a JSON body; never retried. Its latency goes to the
    /// histogram `portal_provider_call_seconds{call}` (a no-op without a recorder).
    async fn post(&self, endpoint: Endpoint, body: String) -> Result<serde_json::Value, ProviderError> {
        let started = Instant::now();
        let result = self.post_once(endpoint, body).await;
        metrics::histogram!("portal_provider_call_seconds", "call" => endpoint.name())
            .record(started.elapsed().as_secs_f64());
        result
    }

    async fn post_once(&self, endpoint: Endpoint, body: String) -> Result<serde_json::Value, ProviderError> {
        let url = self.url(endpoint);
        let masked = mask_url(&url);
        let started = Instant::now();
        let sent = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body)
            .send()
            .await;
        let resp = match sent {
            Ok(r) => r,
            Err(e) => {
                let err = self.send_error(&e);
                tracing::warn!(url = %masked, elapsed_ms = started.elapsed().as_millis() as u64, error = %err, "paykassma request failed");
                return Err(err);
            }
        };
        let status = resp.status().as_u16();
        let body = match read_capped(resp, MAX_BODY_BYTES).await {
            Ok(b) => b,
            Err(e) => {
                let err = if e.is_timeout() {
                    ProviderError::Timeout
                } else {
                    ProviderError::NotJson {
                        status,
                        snippet: scrub(&format!("the answer was cut off: {}", describe(&e)), self.secret.expose()),
                    }
                };
                tracing::warn!(url = %masked, status, elapsed_ms = started.elapsed().as_millis() as u64, error = %err, "paykassma answer unreadable");
                return Err(err);
            }
        };
        let result = classify_answer(endpoint, status, &body, self.secret.expose());
        match &result {
            Ok(_) => {
                tracing::debug!(url = %masked, status, elapsed_ms = started.elapsed().as_millis() as u64, "paykassma request ok")
            }
            Err(e) => {
                tracing::warn!(url = %masked, status, elapsed_ms = started.elapsed().as_millis() as u64, error = %e, "paykassma request refused")
            }
        }
        result
    }

    fn send_error(&self, e: &reqwest::Error) -> ProviderError {
        if e.is_connect() {
            let why = if e.is_timeout() { "connect timeout".to_owned() } else { describe(e) };
            ProviderError::Unreachable(scrub(&why, self.secret.expose()))
        } else if e.is_timeout() {
            ProviderError::Timeout
        } else if e.is_builder() {
            ProviderError::InvalidRequest("The request to the payment provider could not be built.".to_owned())
        } else {
            ProviderError::NotJson {
                status: 0,
                snippet: scrub(&format!("no answer: {}", describe(e)), self.secret.expose()),
            }
        }
    }

    /// `POST {api}/api/v1/payment/create/upi_s?secret=..`. Never retried: on
    /// an error with [`ProviderError::outcome_unknown`], check the status
    /// later (the provider may have created the order).
    pub async fn create_upi_payment(&self, req: &CreatePayment) -> Result<CreatedPayment, ProviderError> {
        let body = CreatePaymentRequest::try_from(req)?;
        let body = serde_json::to_string(&body)
            .map_err(|e| ProviderError::InvalidRequest(format!("The request could not be encoded: {e}.")))?;
        let v = self.post(Endpoint::Create, body).await?;
        let parsed: CreatePaymentResponse =
            serde_json::from_value(v.clone()).map_err(|_| unexpected(&v, self.secret.expose()))?;
        if parsed.status != "ok" {
            return Err(unexpected(&v, self.secret.expose()));
        }
        CreatedPayment::try_from(parsed.data)
    }

    /// `POST {api}/api/v1/payment/upi_s/status?secret=..` with `{"order_id"}`.
    pub async fn payment_status(&self, order_id: &str) -> Result<PaymentStatus, ProviderError> {
        if order_id.trim().is_empty() {
            return Err(ProviderError::InvalidRequest("The order id is empty.".to_owned()));
        }
        let body = serde_json::to_string(&StatusRequest { order_id: order_id.to_owned() })
            .map_err(|e| ProviderError::InvalidRequest(format!("The request could not be encoded: {e}.")))?;
        let v = self.post(Endpoint::Status, body).await?;
        let parsed: StatusResponse =
            serde_json::from_value(v.clone()).map_err(|_| unexpected(&v, self.secret.expose()))?;
        PaymentStatus::try_from(parsed)
    }

    /// `POST {api}/v2/withdrawal/create`, signed with the (inferred)
    /// [`super::withdrawal_signature::withdrawal_signature`]. Fields are
    /// checked against the documented formats before sending.
    pub async fn create_withdrawal(&self, req: &WithdrawalRequest) -> Result<(), ProviderError> {
        let body = WithdrawalBody::try_from(req)?.signed(self.withdrawal_key.expose());
        let v = self.post(Endpoint::Withdrawal, json::php_encode(&body)).await?;
        let parsed: OkResponse = serde_json::from_value(v.clone()).map_err(|_| unexpected(&v, self.secret.expose()))?;
        if parsed.status == "ok" { Ok(()) } else { Err(unexpected(&v, self.secret.expose())) }
    }
}

fn unexpected(v: &serde_json::Value, secret: &str) -> ProviderError {
    ProviderError::NotJson { status: 200, snippet: snippet(v.to_string().as_bytes(), secret) }
}

async fn read_capped(mut resp: reqwest::Response, cap: usize) -> Result<Vec<u8>, reqwest::Error> {
    let mut buf = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        let room = cap.saturating_sub(buf.len());
        if chunk.len() >= room {
            buf.extend_from_slice(chunk.get(..room).unwrap_or_default());
            break;
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_secret_in_urls() {
        let c = PaykassmaClient::new(
            "http://127.0.0.1:9/base/",
            Secret::new("s3cr3t&x=1"),
            Secret::new("wk"),
            Duration::from_secs(1),
            Duration::from_secs(2),
        )
        .unwrap();
        let u = c.url(Endpoint::Create);
        assert_eq!(u.path(), "/base/api/v1/payment/create/upi_s");
        assert_eq!(u.query_pairs().find(|(k, _)| k == "secret").unwrap().1, "s3cr3t&x=1");
        let m = mask_url(&u);
        assert_eq!(m, "http://127.0.0.1:9/base/api/v1/payment/create/upi_s?secret=***");
        assert!(!format!("{c:?}").contains("s3cr3t"));
        assert_eq!(c.url(Endpoint::Withdrawal).query(), None);
    }

    #[test]
    fn bad_construction() {
        for u in ["", "ftp://x", "not a url", "http://"] {
            assert!(
                matches!(
                    PaykassmaClient::new(
                        u,
                        Secret::new("s"),
                        Secret::new("w"),
                        Duration::from_secs(1),
                        Duration::from_secs(1)
                    ),
                    Err(ProviderError::InvalidRequest(_))
                ),
                "{u}"
            );
        }
    }
}
