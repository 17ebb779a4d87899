//! Where an IMPS withdrawal stands at the provider, as its postbacks say
//! (`withdrawal_status`: 0 pending, 1 paid, 5 rejected).

use super::bank::{AccountHolder, AccountNumber, Ifsc, tidy_account_number, tidy_ifsc};
use super::money::Money;
use serde::{Deserialize, Serialize};

/// What a withdrawal amount must respect: the portal's range and what the
/// user has available. The browser's island and the server check the same.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawLimits {
    pub min_paise: i64,
    pub max_paise: i64,
    pub available_paise: i64,
}

/// The withdraw form's four fields, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WithdrawFields {
    pub amount: Money,
    pub account_number: AccountNumber,
    pub account_name: AccountHolder,
    pub ifsc: Ifsc,
}

/// What is wrong with each field (None = nothing).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldProblems {
    pub amount: Option<Problem>,
    pub account_number: Option<Problem>,
    pub account_name: Option<Problem>,
    pub ifsc: Option<Problem>,
}

/// A sentence for the user: its key in the locale files and the values it
/// names. `Display` is the English sentence, for logs and tests; pages show
/// the visitor's language (the server's `i18n`, an island's `Texts`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub key: &'static str,
    pub values: Vec<(&'static str, String)>,
    english: String,
}

impl Problem {
    fn new(key: &'static str, values: Vec<(&'static str, String)>, english: impl Into<String>) -> Problem {
        Problem { key, values, english: english.into() }
    }

    /// The values as `fill` takes them.
    pub fn values(&self) -> Vec<(&str, &str)> {
        self.values.iter().map(|(k, v)| (*k, v.as_str())).collect()
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.english)
    }
}

impl From<super::money::MoneyError> for Problem {
    fn from(e: super::money::MoneyError) -> Problem {
        Problem::new(e.key(), vec![], e.to_string())
    }
}

impl From<super::bank::BankFieldError> for Problem {
    fn from(e: super::bank::BankFieldError) -> Problem {
        Problem::new(e.key(), vec![], e.to_string())
    }
}

/// The amount's problem, if any: a number of rupees, whole (the provider's
/// amount is an integer), within the range, at most what is available.
pub fn amount_problem(input: &str, limits: WithdrawLimits) -> Option<Problem> {
    let amount = match Money::from_user_input(input) {
        Ok(a) => a,
        Err(e) => return Some(e.into()),
    };
    if amount.paise() % 100 != 0 {
        return Some(Problem::new(
            "withdraw-whole-rupees",
            vec![],
            "Withdrawals are sent in whole rupees; remove the paise.",
        ));
    }
    if amount.paise() < limits.min_paise || amount.paise() > limits.max_paise {
        let (min, max) =
            (Money::from_paise(limits.min_paise).to_string(), Money::from_paise(limits.max_paise).to_string());
        let english = format!("The amount must be between {min} and {max}.");
        return Some(Problem::new("amount-between", vec![("min", min), ("max", max)], english));
    }
    if amount.paise() > limits.available_paise {
        let available = Money::from_paise(limits.available_paise).to_string();
        let english = format!("The amount is more than your available balance ({available}).");
        return Some(Problem::new("withdraw-over-available", vec![("available", available)], english));
    }
    None
}

/// Parses the form as typed (account number without spaces, IFSC in capitals).
pub fn parse_withdraw_fields(
    amount: &str,
    account_number: &str,
    account_name: &str,
    ifsc: &str,
    limits: WithdrawLimits,
) -> Result<WithdrawFields, Box<FieldProblems>> {
    let problems = FieldProblems {
        amount: amount_problem(amount, limits),
        account_number: AccountNumber::parse(&tidy_account_number(account_number)).err().map(Problem::from),
        account_name: AccountHolder::parse(account_name).err().map(Problem::from),
        ifsc: Ifsc::parse(&tidy_ifsc(ifsc)).err().map(Problem::from),
    };
    match (
        Money::from_user_input(amount),
        AccountNumber::parse(&tidy_account_number(account_number)),
        AccountHolder::parse(account_name),
        Ifsc::parse(&tidy_ifsc(ifsc)),
    ) {
        (Ok(amount), Ok(account_number), Ok(account_name), Ok(ifsc)) if problems == FieldProblems::default() => {
            Ok(WithdrawFields { amount, account_number, account_name, ifsc })
        }
        _ => Err(Box::new(problems)),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WithdrawalStatus {
    Pending,
    Paid,
    Rejected,
}

impl WithdrawalStatus {
    /// The number on the provider's wire (and in the sandbox's database).
    pub const fn as_wire(self) -> i64 {
        match self {
            WithdrawalStatus::Pending => 0,
            WithdrawalStatus::Paid => 1,
            WithdrawalStatus::Rejected => 5,
        }
    }

    pub fn from_wire(n: i64) -> Option<WithdrawalStatus> {
        match n {
            0 => Some(WithdrawalStatus::Pending),
            1 => Some(WithdrawalStatus::Paid),
            5 => Some(WithdrawalStatus::Rejected),
            _ => None,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            WithdrawalStatus::Pending => "pending",
            WithdrawalStatus::Paid => "paid",
            WithdrawalStatus::Rejected => "rejected",
        }
    }

    pub const fn is_decided(self) -> bool {
        !matches!(self, WithdrawalStatus::Pending)
    }
}

/// For rows that keep the wire number (`#[sqlx(try_from = "i64")]`).
impl TryFrom<i64> for WithdrawalStatus {
    type Error = String;
    fn try_from(n: i64) -> Result<Self, String> {
        WithdrawalStatus::from_wire(n).ok_or_else(|| format!("unknown withdrawal status {n}"))
    }
}

#[cfg(test)]
mod form_tests {
    use super::*;

    const LIMITS: WithdrawLimits = WithdrawLimits { min_paise: 10_000, max_paise: 5_000_000, available_paise: 100_000 };

    #[test]
    fn a_valid_form_parses_with_spaces_and_lower_case_tidied() {
        let f = parse_withdraw_fields("400", "1234 5678 9012", " Sita Devi ", "hdfc0001234", LIMITS).unwrap();
        assert_eq!(f.amount.paise(), 40_000);
        assert_eq!(f.account_number.as_str(), "123456789012");
        assert_eq!(f.account_name.as_str(), "Sita Devi");
        assert_eq!(f.ifsc.as_str(), "HDFC0001234");
    }

    #[test]
    fn each_field_says_what_is_wrong_with_it() {
        let p = parse_withdraw_fields("400.50", "12ab", "Sita-Devi", "HDFC1001234", LIMITS).unwrap_err();
        let text = |p: &Option<Problem>| p.as_ref().map(|p| p.to_string());
        assert_eq!(text(&p.amount).as_deref(), Some("Withdrawals are sent in whole rupees; remove the paise."));
        assert_eq!(p.amount.as_ref().map(|p| p.key), Some("withdraw-whole-rupees"));
        assert_eq!(text(&p.account_number).as_deref(), Some("The account number must contain digits only."));
        assert_eq!(
            text(&p.account_name).as_deref(),
            Some("The account holder's name may contain only English letters and spaces.")
        );
        assert!(text(&p.ifsc).is_some_and(|m| m.contains("HDFC0001234")));
        let only_amount =
            parse_withdraw_fields("1001", "123456789012", "Sita Devi", "HDFC0001234", LIMITS).unwrap_err();
        assert_eq!(
            text(&only_amount.amount).as_deref(),
            Some("The amount is more than your available balance (₹1,000.00).")
        );
        assert_eq!(only_amount.amount.as_ref().map(Problem::values), Some(vec![("available", "₹1,000.00")]));
        assert_eq!((only_amount.account_number, only_amount.account_name, only_amount.ifsc), (None, None, None));
        assert!(
            amount_problem("99", LIMITS)
                .is_some_and(|m| m.to_string().starts_with("The amount must be between ₹100.00"))
        );
        assert_eq!(
            amount_problem("", LIMITS).map(|p| (p.key, p.to_string())),
            Some(("msg-amount_empty", "Enter an amount.".into()))
        );
        assert_eq!(amount_problem("1000", LIMITS), None);
    }
}

#[cfg(test)]
mod tests {
    use super::WithdrawalStatus::{self, *};

    #[test]
    fn wire_numbers_round_trip() {
        for s in [Pending, Paid, Rejected] {
            assert_eq!(WithdrawalStatus::from_wire(s.as_wire()), Some(s));
        }
        assert_eq!((Pending.as_wire(), Paid.as_wire(), Rejected.as_wire()), (0, 1, 5));
        assert_eq!(WithdrawalStatus::from_wire(2), None);
        assert_eq!(WithdrawalStatus::try_from(7), Err("unknown withdrawal status 7".to_string()));
        assert!(Paid.is_decided() && !Pending.is_decided());
        assert_eq!(Rejected.as_str(), "rejected");
    }
}
