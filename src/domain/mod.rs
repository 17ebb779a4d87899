//! Pure types shared by the browser and the server. Imports nothing of ours.
//! Parse, don't validate: every constructor checks its input once.

pub mod money;
pub mod time;
pub mod login;
pub mod deposit;

pub use deposit::{DepositStatus, PayMethod};
pub use login::Login;
pub use money::Money;

/// Percent-encodes a query-string value (RFC 3986 unreserved characters kept).
pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
