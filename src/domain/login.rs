//! A user's login. It is also the `label` the provider sees, so it follows
//! the provider's limits and stays readable: `^[a-z0-9_-]{3,36}$`.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Login(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    #[error("A login has 3 to 36 characters.")]
    Length,
    #[error("A login may use only lowercase letters a-z, digits, '_' and '-'.")]
    Characters,
}

impl Login {
    pub fn parse(input: &str) -> Result<Login, LoginError> {
        let s = input.trim();
        if !s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-') {
            return Err(LoginError::Characters);
        }
        if !(3..=36).contains(&s.len()) {
            return Err(LoginError::Length);
        }
        Ok(Login(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_documented_alphabet() {
        assert_eq!(Login::parse("alice").unwrap().as_str(), "alice");
        assert_eq!(Login::parse(" a_b-9 ").unwrap().as_str(), "a_b-9");
        assert!(Login::parse(&"a".repeat(36)).is_ok());
    }

    #[test]
    fn refuses_everything_else() {
        assert_eq!(Login::parse("ab"), Err(LoginError::Length));
        assert_eq!(Login::parse(&"a".repeat(37)), Err(LoginError::Length));
        assert_eq!(Login::parse("Alice"), Err(LoginError::Characters));
        assert_eq!(Login::parse("al ice"), Err(LoginError::Characters));
        assert_eq!(Login::parse("सीता-user"), Err(LoginError::Characters));
    }
}
