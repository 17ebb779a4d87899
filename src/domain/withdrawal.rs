//! Where an IMPS withdrawal stands at the provider, as its postbacks say
//! (`withdrawal_status`: 0 pending, 1 paid, 5 rejected).

use serde::{Deserialize, Serialize};

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
