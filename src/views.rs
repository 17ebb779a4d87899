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

// ---- Admin console: postback log, inspector, balances, audit trail ----

/// A signed item a postback carried, as the payments table knows it: the
/// transaction id it claimed, and our deposit when it names one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct PostbackLink {
    pub transaction_id: String,
    pub deposit_id: Option<String>,
    /// `payment`, `withdrawal` or `unknown`.
    pub kind: String,
    /// `credited`, `suspense`, `assigned` or `withdrawal`.
    pub status: String,
    /// The postback that claimed the transaction id first.
    pub postback_id: i64,
}

/// One row of the postback log (its body with the signature redacted).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostbackLogRow {
    pub postback: AdminPostback,
    /// Known only for postbacks that were verified (answered 200).
    pub links: Vec<PostbackLink>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostbackLog {
    pub rows: Vec<PostbackLogRow>,
    /// The verdict filtered by ('' for all).
    pub verdict: String,
    /// Every verdict a postback can have, for the filter.
    pub verdicts: Vec<String>,
    /// Keyset cursor: postbacks with a smaller id come next.
    pub next_before: Option<i64>,
}

/// How one verification step went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepOutcome {
    Pass,
    Fail,
    /// Not reached, or nothing to check.
    Skipped,
    /// A value shown, not a check.
    Info,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InspectStep {
    pub name: String,
    pub outcome: StepOutcome,
    pub detail: String,
}

/// What ingestion would do with one signed item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InspectedItem {
    pub index: usize,
    pub transaction_id: String,
    pub amount_paise: i64,
    pub currency: String,
    /// `plugin_custom_order_id` as signed.
    pub order_ref: String,
    /// `payment`, `withdrawal` or `unknown`, from the signed fields.
    pub kind: String,
    /// The kind in words (which withdrawal, why unknown).
    pub kind_detail: String,
    /// The item's verdict: `credited`, `duplicate`, `suspense`, `withdrawal_recorded` (with flags).
    pub verdict: String,
    /// Where it goes, in words.
    pub explanation: String,
    pub deposit_id: Option<String>,
    pub owner_login: Option<String>,
    pub flags: Vec<String>,
    /// Set when the transaction id is already claimed (by this postback).
    pub claimed_by_postback: Option<i64>,
}

/// Every step of a postback's verification and classification, as ingestion
/// takes them. Signatures appear masked (first 8 hex characters only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostbackInspection {
    /// The stored postback inspected (its body redacted), or None for a pasted body.
    pub stored: Option<AdminPostback>,
    pub body_bytes: usize,
    pub steps: Vec<InspectStep>,
    pub access_key_received: Option<String>,
    pub access_key_matches: Option<bool>,
    /// `additional_data` as PHP's json_encode writes it (what is signed).
    pub signed_json: Option<String>,
    pub signed_json_md5: Option<String>,
    pub expected_signature_masked: Option<String>,
    pub received_signature_masked: Option<String>,
    pub signature_matches: Option<bool>,
    /// Whether ingestion would act on it (a verified signature).
    pub verified: bool,
    /// The HTTP status ingestion would answer, and the verdict it would record.
    pub http_status: u16,
    pub verdict: String,
    /// Why it would be refused, when it would.
    pub refusal: Option<String>,
    /// The unsigned top-level fields (name, value): hints, never obeyed.
    pub unsigned: Vec<(String, String)>,
    pub items: Vec<InspectedItem>,
    /// Signed items ingestion could not read (kept for review).
    pub unreadable: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InspectorView {
    pub body_limit_bytes: usize,
    /// Our public postback key (the private key is never shown).
    pub configured_access_key: String,
    pub inspection: Option<PostbackInspection>,
}

/// A body pasted into the inspector's form, which posts to its own page
/// (server::http reads it; the page passes it to the inspector).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PastedPostback {
    pub body: String,
    /// The form was larger than the inspector reads (the body is empty then).
    pub too_large: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct AdminUserRow {
    pub login: String,
    pub role: String,
    pub available_paise: i64,
    pub held_paise: i64,
    pub created_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminUsers {
    pub users: Vec<AdminUserRow>,
    /// Keyset cursor: logins after this one come next.
    pub next_after: Option<String>,
    pub user_count: i64,
    pub available_total_paise: i64,
    pub held_total_paise: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminUserView {
    pub login: String,
    pub role: String,
    pub created_at: i64,
    pub available_paise: i64,
    pub held_paise: i64,
    pub entries: Vec<EntryView>,
    /// Keyset cursor: entries with a smaller id come next.
    pub next_before: Option<i64>,
    /// The latest deposits.
    pub deposits: Vec<AdminDeposit>,
    /// The audit entries about this user, oldest first.
    pub history: Vec<AuditEntry>,
    /// A fresh one-time key for the adjustment form: the ledger reference
    /// `adjustment:<key>` makes a resubmitted form a no-op.
    pub adjustment_key: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditTrail {
    pub entries: Vec<AuditEntry>,
    /// Every action recorded so far, for the filter.
    pub actions: Vec<String>,
    /// Keyset cursor: entries with a smaller id come next.
    pub next_before: Option<i64>,
    /// For `payment:<transaction id>` targets: the postback that carried it.
    pub payment_postbacks: Vec<(String, i64)>,
}
