//! Cross-site request refusal (login CSRF and every other form): a
//! state-changing request (POST, PUT, PATCH, DELETE) that a browser sent from
//! another site is refused with 403 before any handler runs, so it changes
//! nothing and sets no cookie.
//!
//! Browsers say where a request comes from: `Origin` (every POST in current
//! browsers), else `Referer`, else `Sec-Fetch-Site`. A request that names none
//! of them is not from a browser page (curl, the provider, tests) and passes:
//! such a caller cannot ride a visitor's cookies anyway.
//!
//! Exempt: the provider's postback route (a server calling us; its signature
//! is its authority). The sandbox is a separate server and has its own router.

use axum::body::Body;
use axum::extract::State;
use axum::http::{Method, Request, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// Paths a cross-site caller may POST to.
pub const EXEMPT_PATHS: &[&str] = &[super::postback::POSTBACK_PATH];

/// The portal's own origin, `scheme://host[:port]` (from PORTAL_PUBLIC_URL).
#[derive(Clone, Debug)]
pub struct SameOrigin {
    pub public_origin: String,
}

/// Why a request was refused (logged; the answer is the same for all).
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    Refused(&'static str),
}

pub async fn refuse_cross_site(State(policy): State<Arc<SameOrigin>>, request: Request<Body>, next: Next) -> Response {
    let changes_state = matches!(*request.method(), Method::POST | Method::PUT | Method::PATCH | Method::DELETE);
    if !changes_state || EXEMPT_PATHS.contains(&request.uri().path()) {
        return next.run(request).await;
    }
    match judge(&policy, request.headers()) {
        Verdict::Allowed => next.run(request).await,
        Verdict::Refused(why) => {
            tracing::warn!(path = %request.uri().path(), why, "cross-site request refused");
            (
                StatusCode::FORBIDDEN,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "Cross-site request refused.\n",
            )
                .into_response()
        }
    }
}

/// The decision, from the request's headers alone.
pub fn judge(policy: &SameOrigin, headers: &http::HeaderMap) -> Verdict {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let value = |name: header::HeaderName| headers.get(name).map(|v| v.to_str().unwrap_or("\u{0}"));
    if let Some(origin) = value(header::ORIGIN) {
        if origin.trim() == "null" {
            return Verdict::Refused("Origin: null");
        }
        return if is_own_origin(policy, host, origin) {
            Verdict::Allowed
        } else {
            Verdict::Refused("Origin names another site")
        };
    }
    if let Some(referer) = value(header::REFERER) {
        return if is_own_origin(policy, host, referer) {
            Verdict::Allowed
        } else {
            Verdict::Refused("Referer names another site")
        };
    }
    match value(http::HeaderName::from_static("sec-fetch-site")) {
        Some("cross-site") | Some("same-site") => Verdict::Refused("Sec-Fetch-Site: not same-origin"),
        _ => Verdict::Allowed,
    }
}

/// True when `url` (an Origin, or a Referer's origin) is the portal's public
/// origin, or the origin the request itself was addressed to (its `Host`,
/// which a browser always sets to the site it is talking to).
fn is_own_origin(policy: &SameOrigin, host: Option<&str>, url: &str) -> bool {
    let Some((scheme, authority)) = origin_parts(url) else { return false };
    if origin_parts(&policy.public_origin).is_some_and(|(s, a)| s == scheme && a == authority) {
        return true;
    }
    match host {
        Some(h) => normalise_authority(&scheme, &h.to_ascii_lowercase()) == authority,
        None => false,
    }
}

/// `(scheme, host:port)` with the default port written out, lowercased.
fn origin_parts(url: &str) -> Option<(String, String)> {
    let parsed = url::Url::parse(url.trim()).ok()?;
    let scheme = parsed.scheme().to_string();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let host = parsed.host_str()?.to_ascii_lowercase();
    let port = parsed.port_or_known_default()?;
    Some((scheme, format!("{host}:{port}")))
}

fn normalise_authority(scheme: &str, host_header: &str) -> String {
    let has_port = match host_header.rfind(':') {
        Some(i) => !host_header[i..].contains(']'),
        None => false,
    };
    if has_port {
        host_header.to_string()
    } else {
        format!("{host_header}:{}", if scheme == "https" { 443 } else { 80 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        for (k, v) in pairs {
            h.insert(http::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
        }
        h
    }

    fn policy() -> SameOrigin {
        SameOrigin { public_origin: "https://pay.example.in".into() }
    }

    #[test]
    fn same_origin_passes_and_other_sites_are_refused() {
        let p = policy();
        let allowed = |pairs: &[(&str, &str)]| judge(&p, &headers(pairs)) == Verdict::Allowed;
        assert!(allowed(&[("origin", "https://pay.example.in")]));
        assert!(allowed(&[("origin", "https://pay.example.in:443")]));
        assert!(
            allowed(&[("origin", "http://127.0.0.1:3000"), ("host", "127.0.0.1:3000")]),
            "the address it was reached at"
        );
        assert!(allowed(&[("referer", "https://pay.example.in/signin?next=/deposit")]));
        assert!(allowed(&[("sec-fetch-site", "same-origin")]));
        assert!(allowed(&[]), "no browser headers: not a browser page");

        assert!(!allowed(&[("origin", "https://evil.example")]));
        assert!(!allowed(&[("origin", "https://pay.example.in.evil.example")]));
        assert!(!allowed(&[("origin", "http://pay.example.in")]), "another scheme is another origin");
        assert!(!allowed(&[("origin", "https://pay.example.in:8443")]), "another port is another origin");
        assert!(!allowed(&[("origin", "null")]));
        assert!(!allowed(&[("origin", "garbage")]));
        assert!(!allowed(&[("origin", "http://127.0.0.1:3001"), ("host", "127.0.0.1:3000")]));
        assert!(!allowed(&[("referer", "https://evil.example/page")]));
        assert!(!allowed(&[("sec-fetch-site", "cross-site")]));
        assert!(!allowed(&[("sec-fetch-site", "same-site")]));
        // Origin decides when present, whatever Referer says.
        assert!(!allowed(&[("origin", "https://evil.example"), ("referer", "https://pay.example.in/")]));
    }

    #[test]
    fn host_headers_with_and_without_ports() {
        let p = SameOrigin { public_origin: String::new() };
        let allowed = |pairs: &[(&str, &str)]| judge(&p, &headers(pairs)) == Verdict::Allowed;
        assert!(allowed(&[("origin", "https://Shop.Example"), ("host", "shop.example")]));
        assert!(allowed(&[("origin", "http://[::1]:3000"), ("host", "[::1]:3000")]));
        assert!(allowed(&[("origin", "http://[::1]"), ("host", "[::1]")]));
        assert!(!allowed(&[("origin", "http://shop.example")]), "no Host and no public origin: refused");
    }
}
