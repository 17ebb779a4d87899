//! Everything that can go wrong talking to the provider, and how an HTTP
//! answer is classified (pure, unit-tested without a server). Secrets are
//! scrubbed from every error and URL before it is logged or shown.

use url::Url;

/// Longest piece of a bad answer we keep in an error.
const SNIPPET_CHARS: usize = 200;

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
    /// The call's name in metrics (`call` label).
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::Create => "create",
            Endpoint::Status => "status",
            Endpoint::Withdrawal => "withdrawal",
        }
    }

    pub(crate) fn path(self) -> &'static str {
        match self {
            Endpoint::Create => "/api/v1/payment/create/upi_s",
            Endpoint::Status => "/api/v1/payment/upi_s/status",
            Endpoint::Withdrawal => "/v2/withdrawal/create",
        }
    }

    pub(crate) fn uses_secret(self) -> bool {
        !matches!(self, Endpoint::Withdrawal)
    }
}

/// The part of an answer worth quoting in an error: at most 200 characters,
/// control characters replaced, the secret masked.
pub(crate) fn snippet(body: &[u8], secret: &str) -> String {
    let text = String::from_utf8_lossy(body);
    let mut s: String = text.chars().take(SNIPPET_CHARS).map(|c| if c.is_control() { ' ' } else { c }).collect();
    if text.chars().count() > SNIPPET_CHARS {
        s.push('…');
    }
    let s = scrub(s.trim(), secret);
    if s.is_empty() { "(empty answer)".to_owned() } else { s }
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
            let v = if k == "secret" { "***".to_owned() } else { v.into_owned() };
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
        return Err(scrub_error(super::wire::fail_to_error(message.as_ref()), secret));
    }
    if !(200..300).contains(&status) {
        return Err(ProviderError::Http { status });
    }
    strict.ok_or_else(|| ProviderError::NotJson { status, snippet: snippet(body, secret) })
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
                .map(|(k, v)| (scrub(&k, secret), v.iter().map(|m| scrub(m, secret)).collect()))
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

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "top-secret-value";

    fn classify(endpoint: Endpoint, status: u16, body: &str) -> Result<serde_json::Value, ProviderError> {
        classify_answer(endpoint, status, body.as_bytes(), SECRET)
    }

    #[test]
    fn classification() {
        assert_eq!(classify(Endpoint::Create, 404, "Not Found"), Err(ProviderError::BadSecret));
        assert_eq!(classify(Endpoint::Status, 404, ""), Err(ProviderError::BadSecret));
        assert_eq!(classify(Endpoint::Withdrawal, 404, "nope"), Err(ProviderError::Http { status: 404 }));
        assert!(classify(Endpoint::Create, 200, r#"{"status":"ok","data":{}}"#).is_ok());
        // Failure bodies win over the HTTP status.
        for st in [200, 400, 422, 500] {
            assert_eq!(
                classify(Endpoint::Create, st, r#"{"status":"fail","message":"Bad amount"}"#),
                Err(ProviderError::Rejected { message: "Bad amount".into(), fields: vec![] })
            );
        }
        // The provider's own single-quoted example.
        assert_eq!(
            classify(Endpoint::Status, 200, "{\n    'status': 'fail',\n    'message': 'MESSAGE'\n}"),
            Err(ProviderError::Rejected { message: "MESSAGE".into(), fields: vec![] })
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
        assert_eq!(classify(Endpoint::Create, 500, "<html>oops</html>"), Err(ProviderError::Http { status: 500 }));
        assert_eq!(classify(Endpoint::Create, 502, r#"{"status":"error"}"#), Err(ProviderError::Http { status: 502 }));
        match classify(Endpoint::Create, 200, "<html><body>Maintenance</body></html>") {
            Err(ProviderError::NotJson { status: 200, snippet }) => assert!(snippet.contains("Maintenance")),
            other => panic!("{other:?}"),
        }
        match classify(Endpoint::Create, 200, "") {
            Err(ProviderError::NotJson { status: 200, snippet }) => assert_eq!(snippet, "(empty answer)"),
            other => panic!("{other:?}"),
        }
        // The secret never shows, even if the provider echoes it.
        let echo = format!("error for /api?secret={SECRET}");
        let e = classify(Endpoint::Create, 200, &echo).unwrap_err();
        assert!(!format!("{e} {e:?} {}", e.user_message()).contains(SECRET), "{e:?}");
        let echo = format!(r#"{{"status":"fail","message":{{"secret":["{SECRET} is wrong"]}}}}"#);
        let e = classify(Endpoint::Create, 200, &echo).unwrap_err();
        assert!(!format!("{e} {e:?} {}", e.user_message()).contains(SECRET), "{e:?}");
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
    fn outcome_unknown_and_messages() {
        let all = [
            ProviderError::Rejected { message: "x".into(), fields: vec![("amount".into(), vec!["Too small.".into()])] },
            ProviderError::InsufficientBalance,
            ProviderError::BadSecret,
            ProviderError::NotJson { status: 200, snippet: "x".into() },
            ProviderError::NotJson { status: 0, snippet: "x".into() },
            ProviderError::Timeout,
            ProviderError::Unreachable("refused".into()),
            ProviderError::Http { status: 503 },
            ProviderError::Http { status: 400 },
            ProviderError::InvalidRequest("The amount must be greater than zero.".into()),
        ];
        let unknown: Vec<bool> = all.iter().map(ProviderError::outcome_unknown).collect();
        assert_eq!(unknown, [false, false, false, true, true, true, false, true, false, false]);
        for e in &all {
            let m = e.user_message();
            assert!(m.ends_with('.'), "{m}");
            assert!(m.chars().next().unwrap().is_uppercase(), "{m}");
        }
        assert_eq!(all[0].user_message(), "The payment provider refused the request (amount: Too small).");
    }
}
