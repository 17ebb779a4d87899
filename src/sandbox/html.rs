//! The sandbox's page layout, money and times. Pages are maud templates:
//! every value is escaped by the template; only our own SVG and CSS are
//! inserted as they are (`PreEscaped`).

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::{DOCTYPE, Markup, PreEscaped, html};

/// Percent-encodes a path segment or query value.
pub fn url_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// `₹1,00,000.50` (Indian digit grouping, always two decimals), as the portal writes it.
pub fn inr(paise: i64) -> String {
    crate::domain::Money::from_paise(paise).to_string()
}

/// Provider time (UTC+08:00) for tables.
pub fn when(ms: i64) -> String {
    super::time::provider_datetime(ms)
}

const STYLE: &str = r#"
*{box-sizing:border-box}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans Devanagari",sans-serif;background:#f4f6f8;color:#1d2430}
header{background:#1f3a5f;color:#fff;padding:.6rem 1rem;display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
header a{color:#dbe7ff;text-decoration:none;font-size:.95rem}
header strong{margin-right:auto}
main{max-width:960px;margin:0 auto;padding:1rem}
.narrow{max-width:480px}
.card{background:#fff;border-radius:10px;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:1rem;margin-bottom:1rem}
h1{font-size:1.35rem;margin:.2rem 0 .8rem}
h2{font-size:1.1rem;margin:.2rem 0 .6rem}
.amount{font-size:1.8rem;font-weight:700}
.muted{color:#5b6575;font-size:.9rem}
.qr svg{width:100%;max-width:280px;height:auto;display:block;margin:.5rem auto}
.btn{display:inline-block;border:0;border-radius:8px;padding:.65rem 1rem;margin:.25rem .25rem .25rem 0;font-size:1rem;cursor:pointer;text-decoration:none;background:#2563eb;color:#fff;text-align:center}
.btn.secondary{background:#e5e9f0;color:#1d2430}
.btn.danger{background:#c62828}
.btn.small{padding:.3rem .6rem;font-size:.85rem}
.apps{display:grid;grid-template-columns:repeat(auto-fit,minmax(120px,1fr));gap:.4rem}
.apps .btn{margin:0}
form.inline{display:inline}
input,select{font-size:1rem;padding:.45rem .5rem;border:1px solid #b8c0cc;border-radius:6px;max-width:100%}
label{display:block;margin:.4rem 0}
table{border-collapse:collapse;width:100%;font-size:.88rem;background:#fff}
th,td{border-bottom:1px solid #e3e7ee;padding:.4rem .45rem;text-align:left;vertical-align:top}
th{background:#eef2f7}
.scroll{overflow-x:auto}
.status{display:inline-block;padding:.1rem .5rem;border-radius:999px;font-size:.85rem;font-weight:600;background:#e5e9f0}
.status.success,.status.delivered,.status.paid{background:#d7f5df;color:#135c2a}
.status.failed,.status.rejected,.status.abandoned{background:#fde0e0;color:#8a1c1c}
.status.processing,.status.pending{background:#fff3cd;color:#7a5a00}
.err{color:#8a1c1c;display:block}
.error{background:#fde0e0;color:#8a1c1c;border-radius:8px;padding:.6rem .8rem}
.notice{background:#e0ecff;border-radius:8px;padding:.6rem .8rem}
ul.errors{margin:.4rem 0 0 1.1rem;padding:0}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.82rem;word-break:break-all;white-space:pre-wrap}
details summary{cursor:pointer}
"#;

/// A complete page around `body`.
pub fn page(title: &str, lang: &str, refresh_secs: Option<u32>, nav: bool, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if let Some(s) = refresh_secs {
                    meta http-equiv="refresh" content=(s);
                }
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                @if nav {
                    header {
                        strong { "Paykassma sandbox" }
                        a href="/admin" { "Admin" }
                        a href="/deliveries" { "Deliveries" }
                        a href="/" { "Home" }
                    }
                }
                (body)
            }
        }
    }
}

/// An HTML answer with a status.
pub fn respond(status: StatusCode, html: Markup) -> Response {
    (status, Html(html.into_string())).into_response()
}

/// A sandbox error page (English) with a way back.
pub fn error_page(status: StatusCode, title: &str, message: &str, back: Option<&str>) -> Response {
    let body = html! {
        main.narrow {
            div.card {
                h1 { (title) }
                p.error { (message) }
                @if let Some(b) = back {
                    p { a.btn.secondary href=(b) { "Back" } }
                }
            }
        }
    };
    respond(status, page(title, "en", None, true, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_is_escaped() {
        let html = page(r#"<b>"x"</b>"#, "en\" onload=\"x", None, true, html! { p { "<script>&" } }).into_string();
        assert!(html.contains("<title>&lt;b&gt;&quot;x&quot;&lt;/b&gt;</title>"), "{html}");
        assert!(html.contains(r#"lang="en&quot; onload=&quot;x""#), "{html}");
        assert!(html.contains("<p>&lt;script&gt;&amp;</p>"), "{html}");
        assert!(page("भुगतान", "hi", None, false, html! {}).into_string().contains("<title>भुगतान</title>"));
    }

    #[test]
    fn rupees() {
        assert_eq!(inr(0), "₹0.00");
        assert_eq!(inr(10050), "₹100.50");
        assert_eq!(inr(10_000_000), "₹1,00,000.00");
        assert_eq!(inr(123_456_789_001), "₹1,23,45,67,890.01");
        assert_eq!(inr(1_234_567), "₹12,345.67");
        assert_eq!(inr(-5), "-₹0.05");
    }
}
