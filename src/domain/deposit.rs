use serde::{Deserialize, Serialize};

/// created -> pending -> credited | failed | expired.
/// `unknown`: the provider did not answer the create call; a postback or the
/// expiry settles it. Terminal states never change back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DepositStatus {
    Created,
    Pending,
    Unknown,
    Credited,
    Failed,
    Expired,
}

impl DepositStatus {
    pub const ALL: [DepositStatus; 6] = [
        DepositStatus::Created,
        DepositStatus::Pending,
        DepositStatus::Unknown,
        DepositStatus::Credited,
        DepositStatus::Failed,
        DepositStatus::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DepositStatus::Created => "created",
            DepositStatus::Pending => "pending",
            DepositStatus::Unknown => "unknown",
            DepositStatus::Credited => "credited",
            DepositStatus::Failed => "failed",
            DepositStatus::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<DepositStatus> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// A status as stored; an unknown word reads as `Unknown` (a later
    /// migration's value must not make a row unreadable).
    pub fn from_stored(s: &str) -> DepositStatus {
        Self::parse(s).unwrap_or(DepositStatus::Unknown)
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, DepositStatus::Credited | DepositStatus::Failed | DepositStatus::Expired)
    }

    /// What a person reads on the page.
    pub fn label(self) -> &'static str {
        match self {
            DepositStatus::Created => "Starting",
            DepositStatus::Pending => "Waiting for payment",
            DepositStatus::Unknown => "Waiting for the provider",
            DepositStatus::Credited => "Credited",
            DepositStatus::Failed => "Failed",
            DepositStatus::Expired => "Expired",
        }
    }
}

/// For rows read by column name (`#[sqlx(try_from = "String")]`).
impl From<String> for DepositStatus {
    fn from(s: String) -> Self {
        DepositStatus::from_stored(&s)
    }
}

/// How the user pays: on our page (QR and app links from the API) or in the
/// provider's payment window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayMethod {
    Qr,
    Window,
}

impl PayMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            PayMethod::Qr => "qr",
            PayMethod::Window => "window",
        }
    }
    pub fn parse(s: &str) -> Option<PayMethod> {
        match s {
            "qr" => Some(PayMethod::Qr),
            "window" => Some(PayMethod::Window),
            _ => None,
        }
    }
}

/// For rows read by column name; a stored value we do not know reads as QR.
impl From<String> for PayMethod {
    fn from(s: String) -> Self {
        PayMethod::parse(&s).unwrap_or(PayMethod::Qr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn status_round_trips_and_terminal_states_are_final() {
        for s in DepositStatus::ALL {
            assert_eq!(DepositStatus::parse(s.as_str()), Some(s));
        }
        assert!(DepositStatus::Credited.is_terminal());
        assert!(!DepositStatus::Pending.is_terminal());
        assert_eq!(DepositStatus::parse("bogus"), None);
        assert_eq!(DepositStatus::from("bogus".to_string()), DepositStatus::Unknown);
        assert_eq!(DepositStatus::from("credited".to_string()), DepositStatus::Credited);
        assert_eq!(PayMethod::from("window".to_string()), PayMethod::Window);
    }
}
