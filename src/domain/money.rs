//! Money is an integer number of paise. Rupees with two decimals exist only
//! at the edges: forms, provider JSON and display.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct Money(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("Enter an amount.")]
    Empty,
    #[error("Enter the amount in rupees, like 250 or 250.50.")]
    NotANumber,
    #[error("Use at most two decimals (paise).")]
    TooManyDecimals,
    #[error("The amount must be more than zero.")]
    NotPositive,
    #[error("That amount is too large.")]
    TooLarge,
}

/// Largest amount we accept anywhere: ₹1,000 crore. Keeps every sum far from i64 overflow.
pub const MAX_PAISE: i64 = 1_000_000_000_000;

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn from_paise(paise: i64) -> Self {
        Money(paise)
    }

    pub const fn from_rupees(rupees: i64) -> Self {
        Money(rupees * 100)
    }

    pub const fn paise(self) -> i64 {
        self.0
    }

    /// Parses a rupee amount as a person or the provider writes it:
    /// `250`, `250.5`, `250.50`, `₹ 1,00,000.00`. Signs and exponents are refused.
    pub fn parse_rupees(input: &str) -> Result<Money, MoneyError> {
        let cleaned: String = input
            .trim()
            .trim_start_matches('₹')
            .trim()
            .chars()
            .filter(|c| *c != ',' && *c != '_')
            .collect();
        if cleaned.is_empty() {
            return Err(MoneyError::Empty);
        }
        let (whole, frac) = match cleaned.split_once('.') {
            Some((w, f)) => (w, f),
            None => (cleaned.as_str(), ""),
        };
        let whole = if whole.is_empty() && !frac.is_empty() { "0" } else { whole };
        if !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(MoneyError::NotANumber);
        }
        let frac_trimmed = frac.trim_end_matches('0');
        if frac_trimmed.len() > 2 {
            return Err(MoneyError::TooManyDecimals);
        }
        let whole_digits = whole.trim_start_matches('0');
        if whole_digits.len() > 13 {
            return Err(MoneyError::TooLarge);
        }
        let rupees: i64 = if whole_digits.is_empty() { 0 } else { whole_digits.parse().map_err(|_| MoneyError::TooLarge)? };
        let mut paise_part: i64 = 0;
        for (i, b) in frac_trimmed.bytes().enumerate() {
            let d = (b - b'0') as i64;
            paise_part += if i == 0 { d * 10 } else { d };
        }
        let total = rupees.checked_mul(100).and_then(|r| r.checked_add(paise_part)).ok_or(MoneyError::TooLarge)?;
        if total > MAX_PAISE {
            return Err(MoneyError::TooLarge);
        }
        if total <= 0 {
            return Err(MoneyError::NotPositive);
        }
        Ok(Money(total))
    }

    /// `250.00`, `-12.05`: plain decimal rupees, for forms and CSV.
    pub fn to_decimal(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }

    /// Rupees without trailing zero paise, as the provider's examples write amounts: `100`, `250.5`.
    pub fn to_wire_rupees(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        match abs % 100 {
            0 => format!("{sign}{}", abs / 100),
            p if p % 10 == 0 => format!("{sign}{}.{}", abs / 100, p / 10),
            p => format!("{sign}{}.{:02}", abs / 100, p),
        }
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }
}

/// Indian digit grouping: ₹1,00,000.00
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let rupees = (abs / 100).to_string();
        let paise = abs % 100;
        let grouped = if rupees.len() <= 3 {
            rupees
        } else {
            let (head, last3) = rupees.split_at(rupees.len() - 3);
            let mut parts: Vec<String> = Vec::new();
            let mut h = head.to_string();
            while h.len() > 2 {
                let split = h.len() - 2;
                parts.push(h[split..].to_string());
                h.truncate(split);
            }
            if !h.is_empty() {
                parts.push(h);
            }
            parts.reverse();
            format!("{},{}", parts.join(","), last3)
        };
        write!(f, "{sign}₹{grouped}.{paise:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rupees_into_paise() {
        assert_eq!(Money::parse_rupees("250").unwrap().paise(), 25_000);
        assert_eq!(Money::parse_rupees("250.5").unwrap().paise(), 25_050);
        assert_eq!(Money::parse_rupees("250.05").unwrap().paise(), 25_005);
        assert_eq!(Money::parse_rupees("₹ 1,00,000.00").unwrap().paise(), 10_000_000);
        assert_eq!(Money::parse_rupees(".5").unwrap().paise(), 50);
        assert_eq!(Money::parse_rupees("12.500").unwrap().paise(), 1_250);
    }

    #[test]
    fn refuses_bad_amounts_with_specific_errors() {
        assert_eq!(Money::parse_rupees(""), Err(MoneyError::Empty));
        assert_eq!(Money::parse_rupees("abc"), Err(MoneyError::NotANumber));
        assert_eq!(Money::parse_rupees("-5"), Err(MoneyError::NotANumber));
        assert_eq!(Money::parse_rupees("1e5"), Err(MoneyError::NotANumber));
        assert_eq!(Money::parse_rupees("1.005"), Err(MoneyError::TooManyDecimals));
        assert_eq!(Money::parse_rupees("0"), Err(MoneyError::NotPositive));
        assert_eq!(Money::parse_rupees("0.00"), Err(MoneyError::NotPositive));
        assert_eq!(Money::parse_rupees("99999999999999999999"), Err(MoneyError::TooLarge));
        assert_eq!(Money::parse_rupees("1.2.3"), Err(MoneyError::NotANumber));
    }

    #[test]
    fn displays_with_indian_grouping() {
        assert_eq!(Money::from_paise(25_000).to_string(), "₹250.00");
        assert_eq!(Money::from_paise(10_000_000).to_string(), "₹1,00,000.00");
        assert_eq!(Money::from_paise(12_345_678_901).to_string(), "₹12,34,56,789.01");
        assert_eq!(Money::from_paise(-5).to_string(), "-₹0.05");
    }

    #[test]
    fn wire_rupees_drop_zero_paise() {
        assert_eq!(Money::from_paise(10_000).to_wire_rupees(), "100");
        assert_eq!(Money::from_paise(25_050).to_wire_rupees(), "250.5");
        assert_eq!(Money::from_paise(25_005).to_wire_rupees(), "250.05");
        assert_eq!(Money::from_paise(25_005).to_decimal(), "250.05");
    }
}
