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
    /// Who is paid: the payee name the UPI link carries, else its VPA.
    pub payee: String,
    /// The payee's UPI id (`pa`), for typing it in by hand.
    pub vpa: String,
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

/// What the withdraw form was sent with (`POST /withdraw`), as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawInput {
    pub amount: String,
    pub account_number: String,
    pub account_name: String,
    pub ifsc: String,
    /// "edit": back from the confirmation to the form, values kept.
    pub step: String,
}

/// The message next to each field of the withdraw form ('' = none).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawFieldErrors {
    pub amount: String,
    pub account_number: String,
    pub account_name: String,
    pub ifsc: String,
}

impl WithdrawFieldErrors {
    pub fn is_empty(&self) -> bool {
        self.amount.is_empty() && self.account_number.is_empty() && self.account_name.is_empty() && self.ifsc.is_empty()
    }
}

/// What the confirmation step shows and its form sends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawConfirm {
    pub amount_paise: i64,
    pub account_number: String,
    pub account_name: String,
    pub ifsc: String,
    /// One-time key: the same confirmation sent twice is one withdrawal.
    pub request_key: String,
    pub available_after_paise: i64,
}

/// The withdraw page: the limits, what is available, and either the form
/// (with what was typed and the messages) or the confirmation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawPageView {
    pub min_paise: i64,
    pub max_paise: i64,
    pub available_paise: i64,
    pub held_paise: i64,
    pub input: WithdrawInput,
    pub errors: WithdrawFieldErrors,
    pub confirm: Option<WithdrawConfirm>,
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

/// One of the user's withdrawals as their balance page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserWithdrawal {
    pub id: String,
    pub amount_paise: i64,
    /// `••••••6789`
    pub account_masked: String,
    pub ifsc: String,
    /// requested, submitted, unknown, paid, rejected, failed or cancelled
    pub status: String,
    pub reason: Option<String>,
    pub created_at: i64,
}

/// How a withdrawal's status reads for its owner.
pub fn withdrawal_status_label(status: &str) -> String {
    let known = ["requested", "submitted", "unknown", "paid", "rejected", "failed", "cancelled"];
    crate::i18n::t(&format!("withdrawal-status-{}", if known.contains(&status) { status } else { "other" }))
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalanceView {
    pub login: String,
    pub balance_paise: i64,
    pub available_paise: i64,
    pub held_paise: i64,
    pub open_deposits: Vec<OpenDeposit>,
    /// The newest withdrawals, open or not.
    pub withdrawals: Vec<UserWithdrawal>,
    /// In sandbox mode: the sandbox's operator page, where a demo decides withdrawals.
    pub sandbox_admin_url: Option<String>,
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

// ---- Admin console: transactions, deposit detail, dashboard ----

/// The transactions list's filters, as they stand in the URL (so a view can
/// be bookmarked and shared). Parsed once; what does not parse is reported,
/// never silently widened into "everything".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionQuery {
    /// A deposit or withdrawal status (`credited`, `paid`, ...).
    pub status: String,
    /// `deposit`, `withdrawal`, `payment` (a provider payment no deposit claims), or any.
    pub kind: String,
    /// A login, exactly.
    pub user: String,
    /// Any id or reference, exactly: deposit id, withdrawal id, provider order id, UPI reference.
    pub q: String,
    /// IST dates, `YYYY-MM-DD`, both inclusive.
    pub from: String,
    pub to: String,
    /// Rupees, inclusive.
    pub min: String,
    pub max: String,
    pub flag: String,
    /// Keyset cursor `{created_at}_{id}`: rows strictly older come next.
    pub cursor: String,
}

/// The kinds of rows the transactions list shows.
pub const TRANSACTION_KINDS: [&str; 3] = ["deposit", "withdrawal", "payment"];
/// The flags a transaction can carry.
pub const TRANSACTION_FLAGS: [&str; 12] = [
    "unmatched",
    "amount_mismatch",
    "label_mismatch",
    "paid_no_postback",
    "order_unseen",
    "suspense",
    "late_or_extra_payment",
    "paid_after_cancelled",
    "paid_after_rejected",
    "paid_after_failed",
    "rejected_after_paid",
    "unknown_provider_status",
];

impl TransactionQuery {
    pub const FIELDS: [&'static str; 10] =
        ["status", "kind", "user", "q", "from", "to", "min", "max", "flag", "cursor"];

    pub fn get(&self, name: &str) -> &str {
        match name {
            "status" => &self.status,
            "kind" => &self.kind,
            "user" => &self.user,
            "q" => &self.q,
            "from" => &self.from,
            "to" => &self.to,
            "min" => &self.min,
            "max" => &self.max,
            "flag" => &self.flag,
            "cursor" => &self.cursor,
            _ => "",
        }
    }

    pub fn set(&mut self, name: &str, value: &str) {
        let value = value.trim().to_string();
        match name {
            "status" => self.status = value,
            "kind" => self.kind = value,
            "user" => self.user = value.to_lowercase(),
            "q" => self.q = value,
            "from" => self.from = value,
            "to" => self.to = value,
            "min" => self.min = value,
            "max" => self.max = value,
            "flag" => self.flag = value,
            "cursor" => self.cursor = value,
            _ => {}
        }
    }

    /// `status=..&kind=..` of the fields that are set (the cursor only when
    /// `with_cursor`), percent-encoded; empty when nothing is set.
    pub fn to_query_string(&self, with_cursor: bool) -> String {
        Self::FIELDS
            .iter()
            .filter(|f| with_cursor || **f != "cursor")
            .filter(|f| !self.get(f).is_empty())
            .map(|f| format!("{f}={}", crate::domain::url_encode(self.get(f))))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The same filters on the next page.
    pub fn with_cursor(&self, cursor: &str) -> TransactionQuery {
        TransactionQuery { cursor: cursor.to_string(), ..self.clone() }
    }
}

/// One row of the transactions list (and of its CSV export).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct TransactionRow {
    /// `deposit`, `withdrawal` or `payment`.
    pub kind: String,
    /// Our id (deposit or withdrawal id; for a payment, its UPI reference).
    pub id: String,
    /// The owner; for an unassigned payment, empty.
    pub login: String,
    pub amount_paise: i64,
    pub credited_paise: Option<i64>,
    pub status: String,
    pub method: String,
    /// The provider's order id.
    pub order_id: Option<String>,
    /// The UPI reference (`transaction_id`) that paid it.
    pub reference: Option<String>,
    /// Comma-separated flags (see TRANSACTION_FLAGS).
    pub flags: String,
    pub created_at: i64,
    /// When it reached a final state.
    pub settled_at: Option<i64>,
}

impl TransactionRow {
    pub fn cursor(&self) -> String {
        format!("{}_{}", self.created_at, self.id)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionPage {
    /// The filters as understood (normalized), for the form and the links.
    pub query: TransactionQuery,
    /// Filters that did not parse, with why: the page says so instead of
    /// showing everything.
    pub problems: Vec<String>,
    pub rows: Vec<TransactionRow>,
    /// The cursor of the next page, if there is one.
    pub next_cursor: Option<String>,
    /// Count and sum of the whole filtered set (not only this page).
    pub total_count: i64,
    pub total_paise: i64,
}

/// One line of a deposit's timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub at: i64,
    /// created | provider_answer | status_check | postback | credited | failed | expired | flagged | note | audit
    pub kind: String,
    pub detail: String,
    /// For a postback: its id, verdict and body (signature redacted).
    pub postback: Option<AdminPostback>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepositDetail {
    pub deposit: TransactionRow,
    pub failure_reason: Option<String>,
    pub expires_at: i64,
    pub timeline: Vec<TimelineEntry>,
    pub entries: Vec<EntryView>,
    pub audit: Vec<AuditEntry>,
    /// Suspense payments that may belong to this deposit (same amount, or the
    /// unsigned label names its owner), for the "assign" action.
    pub candidates: Vec<SuspensePayment>,
}

/// One withdrawal as an admin sees it (`/admin/withdrawals/{id}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawalDetail {
    pub withdrawal: TransactionRow,
    /// `••••••6789`: the whole number is the user's, and the provider's.
    pub account_masked: String,
    pub account_name: String,
    pub ifsc: String,
    pub provider_status: String,
    pub failure_reason: Option<String>,
    /// Still holding money (requested, submitted, unknown): it can be cancelled.
    pub open: bool,
    pub timeline: Vec<TimelineEntry>,
    pub entries: Vec<EntryView>,
}

/// Deposits in one window of time, for the dashboard.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepositWindow {
    pub count: i64,
    pub credited_count: i64,
    pub credited_paise: i64,
}

impl DepositWindow {
    /// Credited share of the deposits that reached a final state or are
    /// still open, in percent (one decimal); None without deposits.
    pub fn success_rate_tenths(&self) -> Option<i64> {
        (self.count > 0).then(|| self.credited_count * 1000 / self.count)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dashboard {
    pub today: DepositWindow,
    pub week: DepositWindow,
    pub pending: i64,
    pub suspense: i64,
    pub flagged: i64,
    pub oldest_pending: Option<TransactionRow>,
    /// Deposits created per hour, oldest first, the last 48 hours; the
    /// first hour starts at `hours_from`.
    pub per_hour: Vec<i64>,
    pub hours_from: i64,
    /// Refused postbacks (forged, malformed) in the last hour and the last 24.
    pub refused_last_hour: i64,
    pub refused_last_day: i64,
    /// The oldest payments in suspense (at most 10), to assign from the dashboard.
    pub suspense_list: Vec<SuspensePayment>,
    pub server_now: i64,
}

/// The postback inspector's page; its paste form posts to the page itself
/// (a signed body never enters a URL).
pub const INSPECTOR_PAGE: &str = "/admin/postbacks/inspect";

/// The withdraw page; its form posts to the page itself (see `http::withdraw_form`).
pub const WITHDRAW_PAGE: &str = "/withdraw";
/// Where the inspector's server function answers (`InspectPostback::PATH`;
/// a test holds the two equal). The router gives it a larger body limit.
pub const INSPECT_POSTBACK_FN: &str = "/api/admin/inspect-postback";

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
