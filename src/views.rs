//! What pages show, as the server hands it to them: plain data shared by the
//! browser and the server. Imports only `domain`; rows the server reads map
//! into these by column name (`sqlx::FromRow`, server build only).

use crate::domain::DepositStatus;
use serde::{Deserialize, Serialize};

/// The signed-in user as pages see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub login: String,
    pub is_admin: bool,
}

/// Which payment options a device gets (decided from the user agent).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Device {
    Android,
    Ios,
    Desktop,
}

impl Device {
    pub fn from_user_agent(ua: &str) -> Device {
        let ua = ua.to_ascii_lowercase();
        if ua.contains("iphone") || ua.contains("ipad") || ua.contains("ipod") {
            Device::Ios
        } else if ua.contains("android") {
            Device::Android
        } else {
            Device::Desktop
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppLinksView {
    pub generic: String,
    pub paytm: String,
    pub phonepe: String,
    pub gpay: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepositView {
    pub id: String,
    pub amount_paise: i64,
    pub method: String,
    pub status: DepositStatus,
    pub qr_svg: Option<String>,
    pub app_links: Option<AppLinksView>,
    pub window_url: Option<String>,
    pub failure_reason: Option<String>,
    pub credited_paise: Option<i64>,
    pub created_at: i64,
    pub expires_at: i64,
    pub server_now: i64,
    pub device: Device,
    /// Demo only (sandbox on): the sandbox's "UPI app" page for this order.
    pub sandbox_pay_url: Option<String>,
}

/// What the live status island shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveStatus {
    pub status: DepositStatus,
    pub credited_paise: Option<i64>,
    pub message: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepositFormInfo {
    pub min_paise: i64,
    pub max_paise: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct EntryView {
    pub id: i64,
    pub kind: String,
    pub bucket: String,
    pub amount_paise: i64,
    pub reference: String,
    pub memo: String,
    pub created_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenDeposit {
    pub id: String,
    pub amount_paise: i64,
    pub status: DepositStatus,
    pub created_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalanceView {
    pub login: String,
    pub balance_paise: i64,
    pub available_paise: i64,
    pub held_paise: i64,
    pub open_deposits: Vec<OpenDeposit>,
    pub entries: Vec<EntryView>,
    /// Keyset cursor: entries with a smaller id come next.
    pub next_before: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct AdminDeposit {
    pub id: String,
    pub login: String,
    pub amount_paise: i64,
    pub credited_paise: Option<i64>,
    pub method: String,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "String"))]
    pub status: DepositStatus,
    pub order_id: Option<String>,
    pub provider_txn_id: Option<String>,
    pub flags: String,
    pub failure_reason: Option<String>,
    pub created_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct AdminPostback {
    pub id: i64,
    pub received_at: i64,
    pub remote_addr: String,
    pub direction: String,
    pub verdict: String,
    pub detail: String,
    pub http_status: i64,
    pub body: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct SuspensePayment {
    pub transaction_id: String,
    pub amount_paise: i64,
    pub label: String,
    pub order_ref: String,
    pub currency: String,
    /// Why it waits for an admin (unmatched, not INR, kind not signed).
    pub reason: String,
    pub created_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminOverview {
    pub counts: Vec<(DepositStatus, i64)>,
    pub credited_total_paise: i64,
    pub suspense: Vec<SuspensePayment>,
    pub deposits: Vec<AdminDeposit>,
    pub next_before: Option<i64>,
    pub postbacks: Vec<AdminPostback>,
    pub postbacks_next_before: Option<i64>,
}

/// What the portal answers the provider's postback: `{"status":"ok"}`, or
/// `{"message":"...","status":"fail"}` (fields in this order) with the HTTP
/// status that says what to do (400 malformed, 403 forged, 413 too large,
/// 503 not committed: send again).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostbackReply {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub status: String,
}

impl PostbackReply {
    pub fn ok() -> PostbackReply {
        PostbackReply { message: None, status: "ok".into() }
    }

    pub fn fail(message: impl Into<String>) -> PostbackReply {
        PostbackReply { message: Some(message.into()), status: "fail".into() }
    }
}

/// One entry of the audit trail (who, what, when, before and after).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct AuditEntry {
    pub id: i64,
    pub admin_login: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub before_state: String,
    pub after_state: String,
    pub created_at: i64,
}
