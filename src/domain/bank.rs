//! Bank details of an IMPS payout, parsed once. The rules are the provider's
//! (`account_name` `^[a-zA-Z\s]{1,30}$`, IFSC `^[A-Z]{4}0[0-9A-Z]{6}$`) and,
//! for the account number, India's: 9 to 18 digits. An account number is
//! masked in `Debug` and `Display` (last four digits only), so it never
//! reaches a log whole.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BankFieldError {
    #[error("Enter the account number.")]
    AccountNumberEmpty,
    #[error("The account number must contain digits only.")]
    AccountNumberNotDigits,
    #[error("The account number must have 9 to 18 digits.")]
    AccountNumberLength,
    #[error("Enter the account holder's name.")]
    HolderEmpty,
    #[error("The account holder's name may contain only English letters and spaces.")]
    HolderCharacters,
    #[error("The account holder's name must be at most 30 characters.")]
    HolderTooLong,
    #[error("Enter the IFSC code.")]
    IfscEmpty,
    #[error("The IFSC code must look like HDFC0001234 (4 letters, a zero, 6 letters or digits).")]
    IfscFormat,
}

impl BankFieldError {
    /// The message's key in the locale files.
    pub const fn key(&self) -> &'static str {
        match self {
            BankFieldError::AccountNumberEmpty => "bank-account-empty",
            BankFieldError::AccountNumberNotDigits => "bank-account-digits",
            BankFieldError::AccountNumberLength => "bank-account-length",
            BankFieldError::HolderEmpty => "bank-holder-empty",
            BankFieldError::HolderCharacters => "bank-holder-characters",
            BankFieldError::HolderTooLong => "bank-holder-too-long",
            BankFieldError::IfscEmpty => "bank-ifsc-empty",
            BankFieldError::IfscFormat => "bank-ifsc-format",
        }
    }
}

/// What a form field becomes before it is parsed: an account number as typed
/// from a passbook ("1234 5678 9012") loses its spaces and dashes.
pub fn tidy_account_number(input: &str) -> String {
    input.chars().filter(|c| !c.is_whitespace() && *c != '-').collect()
}

/// An IFSC as typed on a phone keyboard: trimmed, in capitals.
pub fn tidy_ifsc(input: &str) -> String {
    input.trim().to_ascii_uppercase()
}

/// A bank account number: 9 to 18 ASCII digits (spaces around are trimmed).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AccountNumber(String);

impl AccountNumber {
    pub fn parse(input: &str) -> Result<AccountNumber, BankFieldError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(BankFieldError::AccountNumberEmpty);
        }
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BankFieldError::AccountNumberNotDigits);
        }
        if !(9..=18).contains(&s.len()) {
            return Err(BankFieldError::AccountNumberLength);
        }
        Ok(AccountNumber(s.to_string()))
    }

    /// The whole number, for the provider's request only.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `••••••6789`: what people and logs see.
    pub fn masked(&self) -> String {
        let tail = &self.0[self.0.len().saturating_sub(4)..];
        format!("{}{tail}", "•".repeat(self.0.len() - tail.len()))
    }
}

impl fmt::Debug for AccountNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccountNumber({})", self.masked())
    }
}

impl fmt::Display for AccountNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// The account holder's name as the provider takes it: English letters and
/// spaces, 1 to 30 characters (spaces around are trimmed).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AccountHolder(String);

impl AccountHolder {
    pub fn parse(input: &str) -> Result<AccountHolder, BankFieldError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(BankFieldError::HolderEmpty);
        }
        if !s.chars().all(|c| c.is_ascii_alphabetic() || c.is_ascii_whitespace()) {
            return Err(BankFieldError::HolderCharacters);
        }
        if s.chars().count() > 30 {
            return Err(BankFieldError::HolderTooLong);
        }
        Ok(AccountHolder(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An IFSC code: `^[A-Z]{4}0[0-9A-Z]{6}$` (spaces around are trimmed; lower
/// case is not corrected, the bank's code is written in capitals).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Ifsc(String);

impl Ifsc {
    pub fn parse(input: &str) -> Result<Ifsc, BankFieldError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(BankFieldError::IfscEmpty);
        }
        let b = s.as_bytes();
        let ok = b.len() == 11
            && b[..4].iter().all(u8::is_ascii_uppercase)
            && b[4] == b'0'
            && b[5..].iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if !ok {
            return Err(BankFieldError::IfscFormat);
        }
        Ok(Ifsc(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! string_conversions {
    ($($t:ident),*) => {$(
        impl TryFrom<String> for $t {
            type Error = BankFieldError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                $t::parse(&s)
            }
        }
        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0
            }
        }
    )*};
}
string_conversions!(AccountNumber, AccountHolder, Ifsc);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_numbers() {
        assert_eq!(AccountNumber::parse(" 000123456789 ").unwrap().as_str(), "000123456789");
        assert!(AccountNumber::parse("123456789").is_ok());
        assert!(AccountNumber::parse("123456789012345678").is_ok());
        for (bad, why) in [
            ("", BankFieldError::AccountNumberEmpty),
            ("12345678", BankFieldError::AccountNumberLength),
            ("1234567890123456789", BankFieldError::AccountNumberLength),
            ("1234 5678 9012", BankFieldError::AccountNumberNotDigits),
            ("12345678901a", BankFieldError::AccountNumberNotDigits),
            ("-123456789", BankFieldError::AccountNumberNotDigits),
            ("१२३४५६७८९०", BankFieldError::AccountNumberNotDigits),
        ] {
            assert_eq!(AccountNumber::parse(bad), Err(why), "{bad:?}");
        }
    }

    #[test]
    fn account_numbers_are_masked_in_debug_and_display() {
        let n = AccountNumber::parse("000123456789").unwrap();
        assert_eq!(format!("{n:?}"), "AccountNumber(••••••••6789)");
        assert_eq!(n.to_string(), "••••••••6789");
        assert!(!format!("{n:?}").contains("0001234"));
        let json = serde_json::to_string(&n).unwrap();
        assert_eq!(json, r#""000123456789""#, "the wire gets the whole number");
        assert_eq!(serde_json::from_str::<AccountNumber>(&json).unwrap(), n);
        assert!(serde_json::from_str::<AccountNumber>(r#""12ab""#).is_err(), "deserializing parses");
    }

    #[test]
    fn holders() {
        assert_eq!(AccountHolder::parse(" Sita Devi ").unwrap().as_str(), "Sita Devi");
        assert!(AccountHolder::parse(&"a".repeat(30)).is_ok());
        assert_eq!(AccountHolder::parse(&"a".repeat(31)), Err(BankFieldError::HolderTooLong));
        assert_eq!(AccountHolder::parse("   "), Err(BankFieldError::HolderEmpty));
        for bad in ["Sita D.", "सीता देवी", "O'Brien", "Sita-Devi", "Sita1"] {
            assert_eq!(AccountHolder::parse(bad), Err(BankFieldError::HolderCharacters), "{bad:?}");
        }
    }

    #[test]
    fn ifsc_codes() {
        assert_eq!(Ifsc::parse(" HDFC0001234 ").unwrap().as_str(), "HDFC0001234");
        assert!(Ifsc::parse("SBIN0ABC123").is_ok());
        assert_eq!(Ifsc::parse(""), Err(BankFieldError::IfscEmpty));
        for bad in
            ["hdfc0001234", "HDFC1001234", "HDFC000123", "HDFC00012345", "HDF00001234", "HDFC0001 34", "HDFC000123é"]
        {
            assert_eq!(Ifsc::parse(bad), Err(BankFieldError::IfscFormat), "{bad:?}");
        }
    }
}
