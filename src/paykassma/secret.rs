//! Secrets (the API secret, the postback private key, the withdrawal key):
//! one type for the configuration, the client and the sandbox, which never
//! prints its value. And the one set of demo credentials the portal and its
//! sandbox share in sandbox mode.

use std::fmt;

/// A value that must never be printed: `Debug` and `Display` show `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Demo credentials, shared by the portal's configuration and the built-in
/// sandbox. Only accepted in sandbox mode (`PAYKASSMA_ENV=sandbox`).
pub mod demo {
    pub const API_SECRET: &str = "sandbox-api-secret";
    /// Not a secret: every postback carries it in clear.
    pub const ACCESS_KEY: &str = "sandbox-access-key";
    pub const PRIVATE_KEY: &str = "sandbox-private-key";
    pub const WITHDRAWAL_KEY: &str = "sandbox-withdrawal-key";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_prints() {
        let s = Secret::new("hunter2-value");
        assert_eq!(format!("{s:?} {s}"), "Secret(***) ***");
        assert_eq!(s.expose(), "hunter2-value");
    }
}
