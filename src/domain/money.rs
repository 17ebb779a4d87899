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

impl MoneyError {
    /// The message's key in the locale files (the same words a form's redirect shows).
    pub const fn key(&self) -> &'static str {
        match self {
            MoneyError::Empty => "msg-amount_empty",
            MoneyError::NotANumber => "msg-amount_not_a_number",
            MoneyError::TooManyDecimals => "msg-amount_decimals",
            MoneyError::NotPositive => "msg-amount_not_positive",
            MoneyError::TooLarge => "msg-amount_too_large",
        }
    }
}

/// Largest amount a person may enter anywhere: ₹1,000 crore. Keeps every sum far from i64 overflow.
pub const MAX_PAISE: i64 = 1_000_000_000_000;

/// Largest amount read from or put on the provider's wire, in paise
/// (₹1,00,00,00,000.00 = 10^11 rupees). Well inside `f64`'s exact range, so a
/// rupee amount with two decimals always prints back as written.
pub const MAX_WIRE_PAISE: i64 = 10_000_000_000_000;

/// `whole.frac × 10^exponent` rupees as paise, exactly. Both parts are ASCII
/// digits (either may be empty, not both); digits beyond the paise must be
/// zeros. The result is at most 10^19 - 1 before the callers' own limits.
fn decimal_to_paise(whole: &str, frac: &str, exponent: i32) -> Result<i64, MoneyError> {
    if (whole.is_empty() && frac.is_empty())
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(MoneyError::NotANumber);
    }
    // value = digits × 10^shift paise
    let digits = format!("{whole}{frac}");
    let mut digits = digits.trim_start_matches('0');
    let frac_len = i32::try_from(frac.len()).map_err(|_| MoneyError::TooLarge)?;
    let mut shift = exponent.checked_add(2).and_then(|e| e.checked_sub(frac_len)).ok_or(MoneyError::TooLarge)?;
    while shift < 0 && !digits.is_empty() {
        digits = digits.strip_suffix('0').ok_or(MoneyError::TooManyDecimals)?;
        shift += 1;
    }
    if digits.is_empty() {
        return Ok(0);
    }
    if digits.len() > 18 || shift > 18 || digits.len() as i32 + shift > 18 {
        return Err(MoneyError::TooLarge);
    }
    let mut paise: i64 = digits.parse().map_err(|_| MoneyError::TooLarge)?;
    for _ in 0..shift {
        paise *= 10;
    }
    Ok(paise)
}

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

    /// **User input** (forms, configuration): rupees as a person writes
    /// them, `250`, `250.5`, `250.50`, `₹ 1,00,000.00`. Digit grouping with
    /// commas, a leading `₹` and surrounding spaces are allowed; a sign or an
    /// exponent is refused; more than two decimals are refused unless they
    /// are zeros; the amount must be more than zero.
    pub fn from_user_input(input: &str) -> Result<Money, MoneyError> {
        let cleaned: String =
            input.trim().trim_start_matches('₹').trim().chars().filter(|c| *c != ',' && *c != '_').collect();
        if cleaned.is_empty() {
            return Err(MoneyError::Empty);
        }
        let (whole, frac) = cleaned.split_once('.').unwrap_or((cleaned.as_str(), ""));
        let whole = if whole.is_empty() && !frac.is_empty() { "0" } else { whole };
        let paise = decimal_to_paise(whole, frac, 0)?;
        if paise > MAX_PAISE {
            return Err(MoneyError::TooLarge);
        }
        if paise <= 0 {
            return Err(MoneyError::NotPositive);
        }
        Ok(Money(paise))
    }

    /// **Provider wire decimals**: a JSON number lexeme or a decimal string
    /// from the provider's API or postbacks (`100`, `100.5`, `"100.50"`),
    /// including PHP's float text with an exponent (`1.5E+2`, `1.0e+25`).
    /// Exact (no floating point): the value must be a whole number of paise
    /// and at most [`MAX_WIRE_PAISE`] in size. A sign is allowed and zero is
    /// a value: the caller decides what it accepts (an item must be positive).
    /// No grouping commas, no currency sign, no leading or trailing `.`.
    pub fn from_wire_decimal(lexeme: &str) -> Result<Money, MoneyError> {
        let s = lexeme.trim();
        if s.is_empty() {
            return Err(MoneyError::Empty);
        }
        let (negative, s) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let (mantissa, exponent) = match s.find(['e', 'E']) {
            Some(i) => (&s[..i], s[i + 1..].parse::<i32>().map_err(|_| MoneyError::NotANumber)?),
            None => (s, 0),
        };
        if mantissa.starts_with('.') || mantissa.ends_with('.') {
            return Err(MoneyError::NotANumber);
        }
        let (whole, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let paise = decimal_to_paise(whole, frac, exponent)?;
        if paise > MAX_WIRE_PAISE {
            return Err(MoneyError::TooLarge);
        }
        Ok(Money(if negative { -paise } else { paise }))
    }

    /// **The UPI `am` field** of a `upi://pay` link (NPCI's format): digits
    /// with an optional `.` and one or two decimals, more than zero. Nothing
    /// else: no grouping, sign, exponent, spaces or a bare trailing `.`.
    pub fn from_upi_am(am: &str) -> Result<Money, MoneyError> {
        if am.is_empty() {
            return Err(MoneyError::Empty);
        }
        let (whole, frac) = am.split_once('.').unwrap_or((am, ""));
        if whole.is_empty() || (am.contains('.') && frac.is_empty()) {
            return Err(MoneyError::NotANumber);
        }
        if frac.len() > 2 {
            return Err(MoneyError::TooManyDecimals);
        }
        let paise = decimal_to_paise(whole, frac, 0)?;
        if paise > MAX_PAISE {
            return Err(MoneyError::TooLarge);
        }
        if paise <= 0 {
            return Err(MoneyError::NotPositive);
        }
        Ok(Money(paise))
    }

    /// `250.00`, `-12.05`: plain decimal rupees, for forms and CSV.
    pub fn to_decimal(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }

    /// Rupees without trailing zero paise, as the provider's examples write
    /// amounts and as PHP prints a float: `100`, `250.5`, `250.05`, `-1.5`.
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

    pub const fn is_positive(self) -> bool {
        self.0 > 0
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

    type Parser = fn(&str) -> Result<Money, MoneyError>;

    /// Each input with what the parser must answer (paise, or the error).
    fn check(parse: Parser, cases: &[(&str, Result<i64, MoneyError>)]) {
        for (input, want) in cases {
            assert_eq!(parse(input).map(Money::paise), *want, "{input:?}");
        }
    }
    fn user(s: &str) -> Result<i64, MoneyError> {
        Money::from_user_input(s).map(Money::paise)
    }
    fn wire(s: &str) -> Result<i64, MoneyError> {
        Money::from_wire_decimal(s).map(Money::paise)
    }
    fn upi(s: &str) -> Result<i64, MoneyError> {
        Money::from_upi_am(s).map(Money::paise)
    }

    #[test]
    fn user_input_as_people_write_it() {
        check(
            Money::from_user_input,
            &[
                ("250", Ok(25_000)),
                ("250.5", Ok(25_050)),
                ("250.05", Ok(25_005)),
                ("₹ 1,00,000.00", Ok(10_000_000)),
                (" 42 ", Ok(4_200)),
                (".5", Ok(50)),
                ("12.500", Ok(1_250)),
                ("007", Ok(700)),
            ],
        );
    }

    #[test]
    fn user_input_refusals_are_specific() {
        check(
            Money::from_user_input,
            &[
                ("", Err(MoneyError::Empty)),
                (" ₹ ", Err(MoneyError::Empty)),
                ("abc", Err(MoneyError::NotANumber)),
                ("-5", Err(MoneyError::NotANumber)),
                ("+5", Err(MoneyError::NotANumber)),
                ("1e5", Err(MoneyError::NotANumber)),
                ("1.5e2", Err(MoneyError::NotANumber)),
                ("1.005", Err(MoneyError::TooManyDecimals)),
                ("0", Err(MoneyError::NotPositive)),
                ("0.00", Err(MoneyError::NotPositive)),
                ("99999999999999999999", Err(MoneyError::TooLarge)),
                ("10000000001", Err(MoneyError::TooLarge)),
                ("1.2.3", Err(MoneyError::NotANumber)),
                ("१००", Err(MoneyError::NotANumber)), // Devanagari digits are not ASCII digits
            ],
        );
    }

    #[test]
    fn wire_decimals_are_exact() {
        check(
            Money::from_wire_decimal,
            &[
                ("100", Ok(10_000)),
                ("100.5", Ok(10_050)),
                ("100.50", Ok(10_050)),
                ("100.500", Ok(10_050)),
                ("0.01", Ok(1)),
                ("-1.5", Ok(-150)),
                ("0", Ok(0)),
                ("0.000", Ok(0)),
                ("100.001", Err(MoneyError::TooManyDecimals)),
                ("", Err(MoneyError::Empty)),
                (".", Err(MoneyError::NotANumber)),
                ("1.", Err(MoneyError::NotANumber)),
                (".5", Err(MoneyError::NotANumber)),
                ("abc", Err(MoneyError::NotANumber)),
                ("1,5", Err(MoneyError::NotANumber)),
                ("₹5", Err(MoneyError::NotANumber)),
                ("NaN", Err(MoneyError::NotANumber)),
                ("INF", Err(MoneyError::NotANumber)),
                ("99999999999999999999999", Err(MoneyError::TooLarge)),
            ],
        );
    }

    #[test]
    fn wire_decimals_take_php_float_text() {
        // What PHP prints for floats: `(string) 150.0` is "150", json_encode
        // writes large and tiny values with an exponent.
        check(
            Money::from_wire_decimal,
            &[
                ("1e2", Ok(10_000)),
                ("1.5E2", Ok(15_000)),
                ("1.5E+2", Ok(15_000)),
                ("12345e-2", Ok(12_345)),
                ("1.0E+11", Ok(MAX_WIRE_PAISE)),
                ("1.0e+25", Err(MoneyError::TooLarge)),
                ("1e400", Err(MoneyError::TooLarge)),
                ("1e-3", Err(MoneyError::TooManyDecimals)),
                ("1.5E-5", Err(MoneyError::TooManyDecimals)),
                ("0e-999", Ok(0)),
                ("1e", Err(MoneyError::NotANumber)),
                ("e5", Err(MoneyError::NotANumber)),
            ],
        );
    }

    #[test]
    fn upi_am_field() {
        check(
            Money::from_upi_am,
            &[
                ("250", Ok(25_000)),
                ("250.5", Ok(25_050)),
                ("250.50", Ok(25_050)),
                ("0.01", Ok(1)),
                ("", Err(MoneyError::Empty)),
                ("250.", Err(MoneyError::NotANumber)),
                (".5", Err(MoneyError::NotANumber)),
                ("250.500", Err(MoneyError::TooManyDecimals)),
                ("1,000", Err(MoneyError::NotANumber)),
                ("1e2", Err(MoneyError::NotANumber)),
                ("-5", Err(MoneyError::NotANumber)),
                (" 5", Err(MoneyError::NotANumber)),
                ("0", Err(MoneyError::NotPositive)),
                ("0.00", Err(MoneyError::NotPositive)),
                ("99999999999999999999", Err(MoneyError::TooLarge)),
            ],
        );
    }

    #[test]
    fn every_format_reads_back_what_we_write() {
        for p in (1..300_000).step_by(7).chain([MAX_PAISE, MAX_PAISE - 1, 100, 10, 1]) {
            let m = Money::from_paise(p);
            assert_eq!(wire(&m.to_wire_rupees()), Ok(p), "{p}");
            assert_eq!(user(&m.to_decimal()), Ok(p), "{p}");
            assert_eq!(user(&m.to_string()), Ok(p), "{p}");
            assert_eq!(upi(&m.to_decimal()), Ok(p), "{p}");
        }
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
        assert_eq!(Money::from_paise(1).to_wire_rupees(), "0.01");
        assert_eq!(Money::from_paise(0).to_wire_rupees(), "0");
        assert_eq!(Money::from_paise(-150).to_wire_rupees(), "-1.5");
        assert_eq!(Money::from_paise(25_005).to_decimal(), "250.05");
    }
}
