//! Pure types shared by the browser and the server. Imports nothing of ours.
//! Parse, don't validate: every constructor checks its input once.

pub mod bank;
pub mod deposit;
pub mod login;
pub mod money;
pub mod time;
pub mod withdrawal;

pub use bank::{AccountHolder, AccountNumber, BankFieldError, Ifsc};
pub use deposit::{DepositStatus, PayMethod};
pub use login::Login;
pub use money::Money;
pub use withdrawal::{FieldProblems, Problem, WithdrawFields, WithdrawLimits, WithdrawalStatus, parse_withdraw_fields};

/// Percent-encodes a query-string value (RFC 3986 unreserved characters kept).
pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `next` if it is a path on this site, for redirects after sign-in (no open
/// redirect): one leading `/`, not `//` or `/\` (browsers read both as
/// another host), no backslash, no scheme, and only visible ASCII (no control
/// characters, spaces or raw Unicode: a Location header could not carry them).
pub fn local_path(next: &str) -> Option<&str> {
    let bytes = next.as_bytes();
    let ok = bytes.first() == Some(&b'/')
        && !matches!(bytes.get(1), Some(b'/') | Some(b'\\'))
        && bytes.len() <= 2048
        && bytes.iter().all(|b| (0x21..=0x7e).contains(b) && *b != b'\\');
    ok.then_some(next)
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn next_only_local_paths() {
        for good in ["/", "/deposit", "/deposits/dep_1?all=1", "/admin?q=a%20b#top", "/a/b//c"] {
            assert_eq!(local_path(good), Some(good), "{good}");
        }
        for bad in [
            "",
            "deposit",
            "//evil.example/x",
            "/\\evil.example",
            "\\\\evil.example",
            "https://evil.example/",
            "javascript:alert(1)",
            "/\r\nSet-Cookie: x=1",
            "/a\nb",
            "/a\u{0}b",
            "/a\tb",
            "/ a",
            "/caf\u{e9}",
            "/\u{7f}",
            " /deposit",
            "/x\\y",
        ] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
        assert_eq!(local_path(&format!("/{}", "a".repeat(5000))), None, "bounded length");
    }
}
