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
use std::sync::Arc;
use std::time::{Duration, Instant};

use url::Url;

use super::json;
use super::wire::{
    self, CreatePaymentRequest, CreatePaymentResponse, OkResponse, StatusRequest, StatusResponse,
};

/// Longest provider answer we read; anything longer is cut (and then is not
/// valid JSON).
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;
/// Longest piece of a bad answer we keep in an error.
const SNIPPET_CHARS: usize = 200;
/// Longest `label` / `custom_transaction_id` the payment API accepts.
const MAX_ID_LEN: usize = 190;

/// A new UPI S payment (host-to-host, `mode = upi_collect_qr`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatePayment {
    pub amount_paise: i64,
    /// The user's ID on our side.
    pub label: String,
    /// Unique per deposit on our side; comes back as `plugin_custom_order_id`.
    pub custom_transaction_id: String,
}

/// The provider's answer to a create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedPayment {
    pub order_id: String,
    /// The UPI URI (`upi://pay?...`), to be used as given.
    pub qr_data: String,
    /// The provider's QR image, base64 PNG (`qr_string` on the wire).
    pub qr_png_base64: String,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatus {
    Success,
    Processing,
    Failed,
}

/// An IMPS payout to a bank account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithdrawalRequest {
    /// 1-36 characters, unique on our side.
    pub withdrawal_id: String,
    /// Must be whole rupees: the amount is an integer on the wire.
    pub amount_paise: i64,
    /// 1-36 characters.
    pub label: String,
    /// Digits only.
    pub account_number: String,
    /// `^[a-zA-Z\s]{1,30}$`.
    pub account_name: String,
    /// `^[A-Z]{4}0[0-9A-Z]{6}$`.
    pub ifsc: String,
    pub is_test: bool,
}

/// Everything that can go wrong talking to the provider. `Display` is for
/// logs (never contains the secret); [`ProviderError::user_message`] is for
/// people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// `{"status":"fail","message":..}`: the provider refused the request.
    #[error("the provider refused the request: {message}")]
    Rejected {
        message: String,
        /// Field errors, when `message` was an object of field -> [messages].
        fields: Vec<(String, Vec<String>)>,
    },
    /// `{"withdrawals_sum_amount":["Insufficient balance"]}`.
    #[error("the provider refused the withdrawal: insufficient merchant balance")]
    InsufficientBalance,
    /// HTTP 404 on the payment API: the secret is missing or wrong (or the
    /// caller's IP is not whitelisted).
    #[error("the provider answered 404 (API secret not accepted)")]
    BadSecret,
    /// The answer could not be understood: not JSON (e.g. an HTML error page,
    /// the single-quoted pseudo-JSON of the provider's examples, an empty
    /// body) or not the expected JSON. `status` 0 means the connection closed
    /// before a complete answer arrived.
    #[error("the provider's answer could not be understood (HTTP {status}): {snippet}")]
    NotJson { status: u16, snippet: String },
    /// No answer within the total timeout. The request may have been
    /// processed: the outcome is unknown.
    #[error("the provider did not answer in time")]
    Timeout,
    /// Could not connect (refused, DNS, TLS, connect timeout). The request
    /// was not received.
    #[error("the provider could not be reached: {0}")]
    Unreachable(String),
    /// Any other HTTP status without a provider failure body.
    #[error("the provider answered HTTP {status}")]
    Http { status: u16 },
    /// Refused on our side before sending (bad amount, field format, ...).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
}

impl ProviderError {
    /// A sentence a user can read.
    pub fn user_message(&self) -> String {
        match self {
            ProviderError::Rejected { message, fields } => {
                if !fields.is_empty() {
                    let parts: Vec<String> = fields
                        .iter()
                        .map(|(field, msgs)| {
                            let name = field.replace('_', " ");
                            if msgs.is_empty() {
                                format!("{name} is not accepted")
                            } else {
                                format!("{name}: {}", msgs.join(" "))
                            }
                        })
                        .collect();
                    format!(
                        "The payment provider refused the request ({}).",
                        parts.join("; ").trim_end_matches('.')
                    )
                } else if message.is_empty() {
                    "The payment provider refused the request without giving a reason.".to_owned()
                } else {
                    format!(
                        "The payment provider refused the request: {}.",
                        message.trim_end_matches('.')
                    )
                }
            }
            ProviderError::InsufficientBalance => "The payout cannot be sent right now because the merchant's payout balance is too low. Please try again later.".to_owned(),
            ProviderError::BadSecret => "The payment service is not configured correctly (the provider did not accept our credentials). Please contact support.".to_owned(),
            ProviderError::NotJson { status: 0, .. } => "The payment provider closed the connection without a complete answer. The request may still have been processed; we will check its status.".to_owned(),
            ProviderError::NotJson { .. } => "The payment provider sent an answer we could not understand. Please try again in a few minutes.".to_owned(),
            ProviderError::Timeout => "The payment provider did not answer in time. The request may still have been processed; we will check its status.".to_owned(),
            ProviderError::Unreachable(_) => "The payment provider cannot be reached right now. Please try again in a few minutes.".to_owned(),
            ProviderError::Http { status } if *status >= 500 => format!("The payment provider had an internal error (HTTP {status}). Please try again in a few minutes."),
            ProviderError::Http { status } => format!("The payment provider refused the request (HTTP {status})."),
            ProviderError::InvalidRequest(msg) => msg.clone(),
        }
    }

    /// True when the request may have been received and acted on although
    /// we got no usable answer (timeout, connection closed mid-answer, a
    /// server error, an unreadable answer). Never retry a create blindly
    /// after such an error: check the status instead.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            ProviderError::Timeout | ProviderError::NotJson { .. } => true,
            ProviderError::Http { status } => *status >= 500,
            ProviderError::Rejected { .. }
            | ProviderError::InsufficientBalance
            | ProviderError::BadSecret
            | ProviderError::Unreachable(_)
            | ProviderError::InvalidRequest(_) => false,
        }
    }
}

/// Which endpoint an answer came from (only the payment API uses the secret,
/// so only there does 404 mean "bad secret").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Create,
    Status,
    Withdrawal,
}

impl Endpoint {
    fn path(self) -> &'static str {
        match self {
            Endpoint::Create => "/api/v1/payment/create/upi_s",
            Endpoint::Status => "/api/v1/payment/upi_s/status",
            Endpoint::Withdrawal => "/v2/withdrawal/create",
        }
    }

    fn uses_secret(self) -> bool {
        !matches!(self, Endpoint::Withdrawal)
    }
}

/// The part of an answer worth quoting in an error: at most 200 characters,
/// control characters replaced, the secret masked.
fn snippet(body: &[u8], secret: &str) -> String {
    let text = String::from_utf8_lossy(body);
    let mut s: String = text
        .chars()
        .take(SNIPPET_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().count() > SNIPPET_CHARS {
        s.push('…');
    }
    let s = scrub(s.trim(), secret);
    if s.is_empty() {
        "(empty answer)".to_owned()
    } else {
        s
    }
}

/// Replaces the secret (raw or percent-encoded) by `***` in `s`. Secrets
/// shorter than 4 characters are not scrubbed (that would mangle text), so
/// do not configure one.
pub fn scrub(s: &str, secret: &str) -> String {
    if secret.len() < 4 {
        return s.to_owned();
    }
    let mut out = s.replace(secret, "***");
    let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    if encoded != secret {
        out = out.replace(&encoded, "***");
    }
    out
}

/// `url` with the value of any `secret` query parameter replaced by `***`.
pub fn mask_url(url: &Url) -> String {
    if !url.query_pairs().any(|(k, _)| k == "secret") {
        return url.to_string();
    }
    let mut masked = url.clone();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "secret" {
                "***".to_owned()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    masked.set_query(None);
    {
        let mut q = masked.query_pairs_mut();
        for (k, v) in &pairs {
            q.append_pair(k, v);
        }
    }
    masked.to_string().replace("secret=%2A%2A%2A", "secret=***")
}

/// Turns an HTTP answer into JSON or a typed error. Pure: unit-tested
/// without a server.
///
/// Order: 404 on the payment API -> `BadSecret`; a provider failure body
/// (`status: "fail"`, also in single-quoted pseudo-JSON) -> `Rejected` /
/// `InsufficientBalance`, whatever the HTTP status; another non-2xx ->
/// `Http`; a 2xx that is not JSON -> `NotJson`.
pub fn classify_answer(
    endpoint: Endpoint,
    status: u16,
    body: &[u8],
    secret: &str,
) -> Result<serde_json::Value, ProviderError> {
    if status == 404 && endpoint.uses_secret() {
        return Err(ProviderError::BadSecret);
    }
    let strict: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let fail = match &strict {
        Some(v) => fail_message(v),
        None => single_quoted_fail(body).and_then(|v| fail_message(&v)),
    };
    if let Some(message) = fail {
        return Err(scrub_error(wire::fail_to_error(message.as_ref()), secret));
    }
    if !(200..300).contains(&status) {
        return Err(ProviderError::Http { status });
    }
    strict.ok_or_else(|| ProviderError::NotJson {
        status,
        snippet: snippet(body, secret),
    })
}

/// `Some(message)` when `v` is a provider failure `{"status":"fail",..}`.
fn fail_message(v: &serde_json::Value) -> Option<Option<serde_json::Value>> {
    (v.get("status").and_then(|s| s.as_str()) == Some("fail")).then(|| v.get("message").cloned())
}

fn scrub_error(e: ProviderError, secret: &str) -> ProviderError {
    match e {
        ProviderError::Rejected { message, fields } => ProviderError::Rejected {
            message: scrub(&message, secret),
            fields: fields
                .into_iter()
                .map(|(k, v)| {
                    (
                        scrub(&k, secret),
                        v.iter().map(|m| scrub(m, secret)).collect(),
                    )
                })
                .collect(),
        },
        other => other,
    }
}

/// The provider's documented failure example is `{'status': 'fail',
/// 'message': 'MESSAGE'}`: not JSON. When a body has single quotes and no
/// double quotes, read it with the quotes swapped, only to recognise such a
/// failure (a success is never accepted this way).
fn single_quoted_fail(body: &[u8]) -> Option<serde_json::Value> {
    let text = std::str::from_utf8(body).ok()?;
    if text.contains('"') || !text.contains('\'') || text.len() > 64 * 1024 {
        return None;
    }
    let swapped = text.replace('\'', "\"");
    serde_json::from_str(&swapped).ok()
}

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
    if parts.is_empty() {
        "connection failed".to_owned()
    } else {
        parts.join(": ")
    }
}

/// Paykassma API client. Cheap to clone (shares one connection pool).
#[derive(Clone)]
pub struct PaykassmaClient {
    http: reqwest::Client,
    api: Url,
    secret: Arc<str>,
    withdrawal_key: Arc<str>,
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
        api_secret: String,
        withdrawal_key: String,
        connect_timeout: Duration,
        total_timeout: Duration,
    ) -> Result<Self, ProviderError> {
        let api = Url::parse(api_url.trim()).map_err(|_| {
            ProviderError::InvalidRequest(
                "The payment provider API address is not a valid URL.".to_owned(),
            )
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
                ProviderError::InvalidRequest(format!(
                    "The HTTP client could not be set up: {}.",
                    describe(&e)
                ))
            })?;
        Ok(Self {
            http,
            api,
            secret: Arc::from(api_secret),
            withdrawal_key: Arc::from(withdrawal_key),
            total_timeout,
        })
    }

    /// The API base URL (holds no secret).
    pub fn api_url(&self) -> &str {
        self.api.as_str()
    }

    fn url(&self, endpoint: Endpoint) -> Url {
        let mut url = self.api.clone();
        let path = format!(
            "{}{}",
            self.api.path().trim_end_matches('/'),
            endpoint.path()
        );
        url.set_path(&path);
        url.set_fragment(None);
        if endpoint.uses_secret() {
            url.query_pairs_mut().append_pair("secret", &self.secret);
        }
        url
    }

    /// One POST with a JSON body; never retried.
    async fn post(
        &self,
        endpoint: Endpoint,
        body: String,
    ) -> Result<serde_json::Value, ProviderError> {
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
                        snippet: scrub(
                            &format!("the answer was cut off: {}", describe(&e)),
                            &self.secret,
                        ),
                    }
                };
                tracing::warn!(url = %masked, status, elapsed_ms = started.elapsed().as_millis() as u64, error = %err, "paykassma answer unreadable");
                return Err(err);
            }
        };
        let result = classify_answer(endpoint, status, &body, &self.secret);
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
            let why = if e.is_timeout() {
                "connect timeout".to_owned()
            } else {
                describe(e)
            };
            ProviderError::Unreachable(scrub(&why, &self.secret))
        } else if e.is_timeout() {
            ProviderError::Timeout
        } else if e.is_builder() {
            ProviderError::InvalidRequest(
                "The request to the payment provider could not be built.".to_owned(),
            )
        } else {
            ProviderError::NotJson {
                status: 0,
                snippet: scrub(&format!("no answer: {}", describe(e)), &self.secret),
            }
        }
    }

    /// `POST {api}/api/v1/payment/create/upi_s?secret=..`. Never retried: on
    /// an error with [`ProviderError::outcome_unknown`], check the status
    /// later (the provider may have created the order).
    pub async fn create_upi_payment(
        &self,
        req: &CreatePayment,
    ) -> Result<CreatedPayment, ProviderError> {
        if req.amount_paise <= 0 {
            return Err(ProviderError::InvalidRequest(
                "The amount must be greater than zero.".to_owned(),
            ));
        }
        let amount = wire::rupees_json_number(req.amount_paise)
            .ok_or_else(|| ProviderError::InvalidRequest("The amount is too large.".to_owned()))?;
        check_text("label", &req.label, MAX_ID_LEN)?;
        check_text(
            "custom transaction id",
            &req.custom_transaction_id,
            MAX_ID_LEN,
        )?;
        let body = CreatePaymentRequest {
            mode: "upi_collect_qr".to_owned(),
            amount,
            currency: "INR".to_owned(),
            label: req.label.clone(),
            wallet_type: "upi_s".to_owned(),
            custom_transaction_id: req.custom_transaction_id.clone(),
        };
        let body = serde_json::to_string(&body).map_err(|e| {
            ProviderError::InvalidRequest(format!("The request could not be encoded: {e}."))
        })?;
        let v = self.post(Endpoint::Create, body).await?;
        let parsed: CreatePaymentResponse =
            serde_json::from_value(v.clone()).map_err(|_| unexpected(&v, &self.secret))?;
        if parsed.status != "ok" {
            return Err(unexpected(&v, &self.secret));
        }
        CreatedPayment::try_from(parsed.data)
    }

    /// `POST {api}/api/v1/payment/upi_s/status?secret=..` with `{"order_id"}`.
    pub async fn payment_status(&self, order_id: &str) -> Result<PaymentStatus, ProviderError> {
        if order_id.trim().is_empty() {
            return Err(ProviderError::InvalidRequest(
                "The order id is empty.".to_owned(),
            ));
        }
        let body = serde_json::to_string(&StatusRequest {
            order_id: order_id.to_owned(),
        })
        .map_err(|e| {
            ProviderError::InvalidRequest(format!("The request could not be encoded: {e}."))
        })?;
        let v = self.post(Endpoint::Status, body).await?;
        let parsed: StatusResponse =
            serde_json::from_value(v.clone()).map_err(|_| unexpected(&v, &self.secret))?;
        PaymentStatus::try_from(parsed)
    }

    /// `POST {api}/v2/withdrawal/create`, signed with the (inferred)
    /// [`super::withdrawal_signature::withdrawal_signature`]. Fields are
    /// checked against the documented formats before sending.
    pub async fn create_withdrawal(&self, req: &WithdrawalRequest) -> Result<(), ProviderError> {
        let bad = |m: &str| Err(ProviderError::InvalidRequest(m.to_owned()));
        if req.amount_paise <= 0 {
            return bad("The withdrawal amount must be greater than zero.");
        }
        if req.amount_paise % 100 != 0 {
            return bad("The withdrawal amount must be a whole number of rupees.");
        }
        if req.amount_paise > crate::domain::money::MAX_WIRE_PAISE {
            return bad("The withdrawal amount is too large.");
        }
        check_text("withdrawal id", &req.withdrawal_id, 36)?;
        check_text("label", &req.label, 36)?;
        if !valid_account_number(&req.account_number) {
            return bad("The account number must contain digits only.");
        }
        if !valid_account_name(&req.account_name) {
            return bad("The account holder name must be 1 to 30 letters and spaces.");
        }
        if !valid_ifsc(&req.ifsc) {
            return bad(
                "The IFSC code must look like HDFC0001234 (4 letters, a zero, 6 letters or digits).",
            );
        }
        let body = wire::withdrawal_body(
            &self.withdrawal_key,
            &req.withdrawal_id,
            req.amount_paise / 100,
            &req.label,
            &req.account_number,
            &req.account_name,
            &req.ifsc,
            req.is_test,
        );
        let v = self
            .post(Endpoint::Withdrawal, json::php_encode(&body))
            .await?;
        let parsed: OkResponse =
            serde_json::from_value(v.clone()).map_err(|_| unexpected(&v, &self.secret))?;
        if parsed.status == "ok" {
            Ok(())
        } else {
            Err(unexpected(&v, &self.secret))
        }
    }
}

fn unexpected(v: &serde_json::Value, secret: &str) -> ProviderError {
    ProviderError::NotJson {
        status: 200,
        snippet: snippet(v.to_string().as_bytes(), secret),
    }
}

fn check_text(name: &str, v: &str, max: usize) -> Result<(), ProviderError> {
    if v.trim().is_empty() {
        return Err(ProviderError::InvalidRequest(format!(
            "The {name} must not be empty."
        )));
    }
    if v.chars().count() > max {
        return Err(ProviderError::InvalidRequest(format!(
            "The {name} must be at most {max} characters."
        )));
    }
    Ok(())
}

/// Digits only, 1 to 34 of them (the longest bank account numbers).
pub fn valid_account_number(s: &str) -> bool {
    (1..=34).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

/// `^[a-zA-Z\s]{1,30}$` (ASCII letters and whitespace).
pub fn valid_account_name(s: &str) -> bool {
    let n = s.chars().count();
    (1..=30).contains(&n)
        && s.chars()
            .all(|c| c.is_ascii_alphabetic() || c.is_whitespace())
}

/// `^[A-Z]{4}0[0-9A-Z]{6}$`.
pub fn valid_ifsc(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 11
        && b.iter().take(4).all(u8::is_ascii_uppercase)
        && b.get(4) == Some(&b'0')
        && b.iter()
            .skip(5)
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
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

    const SECRET: &str = "top-secret-value";

    fn classify(
        endpoint: Endpoint,
        status: u16,
        body: &str,
    ) -> Result<serde_json::Value, ProviderError> {
        classify_answer(endpoint, status, body.as_bytes(), SECRET)
    }

    #[test]
    fn classification() {
        assert_eq!(
            classify(Endpoint::Create, 404, "Not Found"),
            Err(ProviderError::BadSecret)
        );
        assert_eq!(
            classify(Endpoint::Status, 404, ""),
            Err(ProviderError::BadSecret)
        );
        assert_eq!(
            classify(Endpoint::Withdrawal, 404, "nope"),
            Err(ProviderError::Http { status: 404 })
        );
        assert!(classify(Endpoint::Create, 200, r#"{"status":"ok","data":{}}"#).is_ok());
        // Failure bodies win over the HTTP status.
        for st in [200, 400, 422, 500] {
            assert_eq!(
                classify(
                    Endpoint::Create,
                    st,
                    r#"{"status":"fail","message":"Bad amount"}"#
                ),
                Err(ProviderError::Rejected {
                    message: "Bad amount".into(),
                    fields: vec![]
                })
            );
        }
        // The provider's own single-quoted example.
        assert_eq!(
            classify(
                Endpoint::Status,
                200,
                "{\n    'status': 'fail',\n    'message': 'MESSAGE'\n}"
            ),
            Err(ProviderError::Rejected {
                message: "MESSAGE".into(),
                fields: vec![]
            })
        );
        // Single quotes never make a success.
        assert!(matches!(
            classify(Endpoint::Status, 200, "{'status': 'success'}"),
            Err(ProviderError::NotJson { status: 200, .. })
        ));
        assert_eq!(
            classify(
                Endpoint::Withdrawal,
                200,
                r#"{"status":"fail","message":{"withdrawals_sum_amount":["Insufficient balance"]}}"#
            ),
            Err(ProviderError::InsufficientBalance)
        );
        assert_eq!(
            classify(Endpoint::Create, 500, "<html>oops</html>"),
            Err(ProviderError::Http { status: 500 })
        );
        assert_eq!(
            classify(Endpoint::Create, 502, r#"{"status":"error"}"#),
            Err(ProviderError::Http { status: 502 })
        );
        match classify(
            Endpoint::Create,
            200,
            "<html><body>Maintenance</body></html>",
        ) {
            Err(ProviderError::NotJson {
                status: 200,
                snippet,
            }) => assert!(snippet.contains("Maintenance")),
            other => panic!("{other:?}"),
        }
        match classify(Endpoint::Create, 200, "") {
            Err(ProviderError::NotJson {
                status: 200,
                snippet,
            }) => assert_eq!(snippet, "(empty answer)"),
            other => panic!("{other:?}"),
        }
        // The secret never shows, even if the provider echoes it.
        let echo = format!("error for /api?secret={SECRET}");
        let e = classify(Endpoint::Create, 200, &echo).unwrap_err();
        assert!(
            !format!("{e} {e:?} {}", e.user_message()).contains(SECRET),
            "{e:?}"
        );
        let echo = format!(r#"{{"status":"fail","message":{{"secret":["{SECRET} is wrong"]}}}}"#);
        let e = classify(Endpoint::Create, 200, &echo).unwrap_err();
        assert!(
            !format!("{e} {e:?} {}", e.user_message()).contains(SECRET),
            "{e:?}"
        );
    }

    #[test]
    fn long_bodies_are_cut() {
        let body = "x".repeat(10_000);
        match classify(Endpoint::Create, 200, &body) {
            Err(ProviderError::NotJson { snippet, .. }) => {
                assert!(snippet.chars().count() <= SNIPPET_CHARS + 1)
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn masks_secret_in_urls() {
        let c = PaykassmaClient::new(
            "http://127.0.0.1:9/base/",
            "s3cr3t&x=1".into(),
            "wk".into(),
            Duration::from_secs(1),
            Duration::from_secs(2),
        )
        .unwrap();
        let u = c.url(Endpoint::Create);
        assert_eq!(u.path(), "/base/api/v1/payment/create/upi_s");
        assert_eq!(
            u.query_pairs().find(|(k, _)| k == "secret").unwrap().1,
            "s3cr3t&x=1"
        );
        let m = mask_url(&u);
        assert_eq!(
            m,
            "http://127.0.0.1:9/base/api/v1/payment/create/upi_s?secret=***"
        );
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
                        "s".into(),
                        "w".into(),
                        Duration::from_secs(1),
                        Duration::from_secs(1)
                    ),
                    Err(ProviderError::InvalidRequest(_))
                ),
                "{u}"
            );
        }
    }

    #[test]
    fn outcome_unknown_and_messages() {
        let all = [
            ProviderError::Rejected {
                message: "x".into(),
                fields: vec![("amount".into(), vec!["Too small.".into()])],
            },
            ProviderError::InsufficientBalance,
            ProviderError::BadSecret,
            ProviderError::NotJson {
                status: 200,
                snippet: "x".into(),
            },
            ProviderError::NotJson {
                status: 0,
                snippet: "x".into(),
            },
            ProviderError::Timeout,
            ProviderError::Unreachable("refused".into()),
            ProviderError::Http { status: 503 },
            ProviderError::Http { status: 400 },
            ProviderError::InvalidRequest("The amount must be greater than zero.".into()),
        ];
        let unknown: Vec<bool> = all.iter().map(ProviderError::outcome_unknown).collect();
        assert_eq!(
            unknown,
            [
                false, false, false, true, true, true, false, true, false, false
            ]
        );
        for e in &all {
            let m = e.user_message();
            assert!(m.ends_with('.'), "{m}");
            assert!(m.chars().next().unwrap().is_uppercase(), "{m}");
        }
        assert_eq!(
            all[0].user_message(),
            "The payment provider refused the request (amount: Too small)."
        );
    }

    #[test]
    fn field_formats() {
        assert!(valid_ifsc("HDFC0001234"));
        assert!(valid_ifsc("SBIN0ABC12Z"));
        assert!(!valid_ifsc("HDFC1001234"));
        assert!(!valid_ifsc("hdfc0001234"));
        assert!(!valid_ifsc("HDFC000123"));
        assert!(valid_account_name("Sita Devi"));
        assert!(!valid_account_name("Sita-Devi"));
        assert!(!valid_account_name(""));
        assert!(!valid_account_name(&"a".repeat(31)));
        assert!(valid_account_number("000123456789"));
        assert!(!valid_account_number("12 34"));
        assert!(!valid_account_number(""));
    }
}
