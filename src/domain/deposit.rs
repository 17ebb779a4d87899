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
    }
}
