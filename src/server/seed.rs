//! `portal seed`: realistic demo history in bulk, for the admin pages and
//! their benchmark. Users (one shared password, hashed once), deposits over
//! the last D days with a realistic mix (mostly credited; some expired,
//! failed, open, flagged), a signed postback, a provider payment and a ledger
//! entry per credit, unmatched payments in suspense, and each deposit's
//! history. Every balance equals the sum of its entries, so `portal ledger
//! check` passes: entries and the balance updates are written in the same
//! transaction, chunk by chunk, with multi-row INSERTs.
//!
//! Seeded rows are demo data, not money that moved: they bypass the ledger's
//! one-at-a-time API on purpose (speed) but keep its invariants.

use super::db::{Db, now_ms};
use crate::domain::Money;
use crate::paykassma::json::{JsonValue, php_encode};
use crate::paykassma::signature::postback_signature;
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use std::collections::HashMap;

/// What to seed.
#[derive(Debug, Clone)]
pub struct SeedPlan {
    pub users: u32,
    pub deposits: u64,
    pub days: u32,
    /// The one password every seeded user gets.
    pub password: String,
    /// Signs the seeded postbacks, as the provider would (access key, private key).
    pub access_key: String,
    pub private_key: String,
    /// DEPOSIT_TTL_SECONDS: deposits younger than this may still be open.
    pub deposit_ttl_secs: i64,
}

/// What was written.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SeedReport {
    pub users: u64,
    pub deposits: u64,
    pub credited: u64,
    pub expired: u64,
    pub failed: u64,
    /// Still open (pending): recent ones, and paid-without-postback ones.
    pub open: u64,
    /// `unknown`: the provider holds an order we never saw (flag `order_unseen`).
    pub unknown: u64,
    pub paid_no_postback: u64,
    pub order_unseen: u64,
    /// Credited with another amount than asked (`credited_paise != amount_paise`).
    pub amount_mismatch: u64,
    /// Verified payments for no deposit, waiting for an admin.
    pub suspense: u64,
    pub postbacks: u64,
    pub provider_payments: u64,
    pub ledger_entries: u64,
    pub deposit_events: u64,
    pub credited_paise: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("{0}")]
    Plan(String),
    #[error("a seeded login or UPI reference is taken already (seed into a fresh database, or run again): {0}")]
    Taken(String),
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Deposits written per transaction.
const CHUNK: usize = 10_000;
/// Parameters per INSERT statement. Far under SQLite's 32,766 and
/// PostgreSQL's 65,535 on purpose: sqlx's SQLite driver looks each bound
/// parameter's name up in a list (linear), so binding costs grow with the
/// square of a statement's parameters; a few hundred is the sweet spot.
const PARAMS_PER_INSERT: usize = 400;
/// Users whose balance one UPDATE moves.
const BALANCES_PER_UPDATE: usize = 100;

const FIRST_NAMES: &[&str] = &[
    "aarav", "vivaan", "aditya", "vihaan", "arjun", "sai", "reyansh", "krishna", "ishaan", "rohan", "ananya", "diya",
    "priya", "aadhya", "saanvi", "kavya", "isha", "meera", "pooja", "neha", "rahul", "amit", "suresh", "ramesh",
    "deepak", "sneha", "lakshmi", "divya", "karthik", "manoj", "anjali", "nikhil", "sunita", "vikram", "farhan",
    "zoya", "gurpreet", "harpreet", "arun", "swati",
];
const VPA_HANDLES: &[&str] = &["okhdfcbank", "okicici", "oksbi", "ybl", "paytm", "okaxis", "ibl"];
const PROVIDER_UTC_OFFSET_MS: i64 = 8 * 3600 * 1000;
const IST_OFFSET_MS: i64 = 5 * 3600 * 1000 + 30 * 60 * 1000;
/// Relative deposit traffic per hour of the day in India (IST).
const HOURLY_WEIGHT: [u32; 24] = [3, 2, 1, 1, 1, 1, 2, 4, 6, 8, 9, 10, 10, 10, 9, 9, 9, 10, 11, 12, 12, 11, 8, 5];

/// A value bound into a multi-row INSERT.
enum Val {
    Int(i64),
    OptInt(Option<i64>),
    Text(String),
    OptText(Option<String>),
}

/// `INSERT INTO table (cols) VALUES (..), (..)` for `rows`, as many at a
/// time as PARAMS_PER_INSERT allows; with `returning`, the generated ids in row order (ids are
/// assigned in VALUES order within one statement, so sorting restores it).
async fn insert_rows(
    tx: &mut sqlx::AnyConnection,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Val>>,
    returning: bool,
) -> Result<Vec<i64>, sqlx::Error> {
    let mut ids = Vec::new();
    let per_insert = (PARAMS_PER_INSERT / columns.len().max(1)).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let batch: Vec<Vec<Val>> = rows.by_ref().take(per_insert).collect();
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        let mut n = 0;
        for (i, row) in batch.iter().enumerate() {
            debug_assert_eq!(row.len(), columns.len());
            sql.push_str(if i == 0 { "(" } else { ", (" });
            for j in 0..row.len() {
                n += 1;
                if j > 0 {
                    sql.push_str(", ");
                }
                sql.push('$');
                sql.push_str(&n.to_string());
            }
            sql.push(')');
        }
        if returning {
            sql.push_str(" RETURNING id");
        }
        let mut query = sqlx::query_scalar::<_, i64>(&sql);
        for value in batch.into_iter().flatten() {
            query = match value {
                Val::Int(v) => query.bind(v),
                Val::OptInt(v) => query.bind(v),
                Val::Text(v) => query.bind(v),
                Val::OptText(v) => query.bind(v),
            };
        }
        if returning {
            let mut got = query.fetch_all(&mut *tx).await?;
            got.sort_unstable();
            ids.extend(got);
        } else {
            query.fetch_all(&mut *tx).await?;
        }
    }
    Ok(ids)
}

/// Unique 12-digit UPI references: `(A * n + C) mod 10^12` is a bijection on
/// 0..10^12 (A is coprime to 10), so references never repeat within a run; C
/// is random per run.
struct UpiRefs {
    next: u64,
    offset: u64,
}

impl UpiRefs {
    const MODULUS: u64 = 1_000_000_000_000;
    const MULTIPLIER: u64 = 614_889_782_597; // odd, not a multiple of 5

    fn take(&mut self) -> String {
        let n = self.next;
        self.next += 1;
        let v = ((u128::from(Self::MULTIPLIER) * u128::from(n) + u128::from(self.offset)) % u128::from(Self::MODULUS))
            as u64;
        format!("{v:012}")
    }
}

fn datetime_at_offset(ms: i64, offset_ms: i64) -> String {
    let secs = (ms + offset_ms).div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, mo, d) = crate::domain::time::civil_from_days(days);
    format!("{y:04}-{mo:02}-{d:02} {:02}:{:02}:{:02}", rem / 3600, (rem % 3600) / 60, rem % 60)
}

fn random_hex16(rng: &mut StdRng) -> String {
    format!("{:016x}", rng.r#gen::<u64>())
}

/// ₹100..₹50,000, most of them small: log-scale skewed toward the bottom,
/// rounded as people type amounts, often a round figure.
fn random_amount_paise(rng: &mut StdRng) -> i64 {
    const ROUND: &[i64] = &[100, 200, 250, 300, 500, 1_000, 1_500, 2_000, 5_000, 10_000, 20_000];
    if rng.gen_bool(0.35) {
        return ROUND.choose(rng).copied().unwrap_or(500) * 100;
    }
    let x: f64 = rng.r#gen::<f64>().powf(1.8);
    let rupees = (100.0 * 500f64.powf(x)) as i64;
    let step = match rupees {
        ..1_000 => 10,
        1_000..10_000 => 50,
        _ => 500,
    };
    ((rupees / step) * step).clamp(100, 50_000) * 100
}

/// A time in the last `days` days, busier in the Indian daytime.
fn random_created_at(rng: &mut StdRng, now: i64, days: u32) -> i64 {
    let total: u32 = HOURLY_WEIGHT.iter().sum();
    loop {
        let day = rng.gen_range(0..days.max(1)) as i64;
        let mut pick = rng.gen_range(0..total);
        let mut hour = 0;
        for (h, w) in HOURLY_WEIGHT.iter().enumerate() {
            if pick < *w {
                hour = h as i64;
                break;
            }
            pick -= w;
        }
        let ist_midnight = (now + IST_OFFSET_MS).div_euclid(86_400_000) * 86_400_000 - IST_OFFSET_MS;
        let at = ist_midnight - day * 86_400_000 + hour * 3_600_000 + rng.gen_range(0..3_600_000);
        if at < now - 5_000 && at > now - i64::from(days.max(1)) * 86_400_000 {
            return at;
        }
    }
}

/// A signed `ingoing` postback body as the provider sends it.
struct PostbackBody<'a> {
    transaction_id: &'a str,
    paid_paise: i64,
    order_ref: &'a str,
    label: &'a str,
    payer_vpa: &'a str,
    stockpiling_id: i64,
    paid_at: i64,
    sent_at: i64,
}

fn postback_body(plan: &SeedPlan, p: &PostbackBody<'_>) -> String {
    let s = |v: &str| JsonValue::String(v.to_string());
    let obj =
        |pairs: Vec<(&str, JsonValue)>| JsonValue::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect());
    let rupees = Money::from_paise(p.paid_paise).to_wire_rupees();
    let item = obj(vec![
        ("activated_datetime", s(&datetime_at_offset(p.paid_at, PROVIDER_UTC_OFFSET_MS))),
        ("exchanger_identifier", s(p.payer_vpa)),
        ("comment", s("")),
        ("amount", s(&rupees)),
        ("currency_code", s("INR")),
        ("wallet_type", s("upi_s")),
        ("stockpiling_id", JsonValue::Number(p.stockpiling_id.to_string())),
        ("transaction_id", s(p.transaction_id)),
        ("transaction_type", JsonValue::Number(crate::paykassma::item::DEPOSIT_TRANSACTION_TYPE.to_string())),
        ("plugin_custom_order_id", s(p.order_ref)),
        ("withdrawal_id", JsonValue::Null),
        ("withdrawal_status", JsonValue::Null),
        ("account_number", s("")),
        ("account_name", s("")),
        ("account_email", s("")),
        ("bank_details", obj(vec![("bank_code", s("")), ("branch_code", s(""))])),
    ]);
    let data = JsonValue::Array(vec![item]);
    let signature = postback_signature(&plan.access_key, &plan.private_key, &data);
    php_encode(&obj(vec![
        ("signature", s(&signature)),
        ("wallet_type", s("upi_s")),
        ("amount", JsonValue::Number(rupees)),
        ("currency_code", s("INR")),
        ("label", s(p.label)),
        ("direction", s("ingoing")),
        ("created_datetime", s(&datetime_at_offset(p.sent_at, PROVIDER_UTC_OFFSET_MS))),
        ("access_key", s(&plan.access_key)),
        ("additional_data", data),
    ]))
}

fn event_row(deposit_id: &str, at: i64, kind: &str, detail: &str, postback_id: Option<i64>) -> Vec<Val> {
    vec![
        Val::Text(deposit_id.to_string()),
        Val::Int(at),
        Val::Text(kind.to_string()),
        Val::Text(detail.to_string()),
        Val::OptInt(postback_id),
    ]
}

/// One chunk's rows, ready to insert.
#[derive(Default)]
struct Chunk {
    deposits: Vec<Vec<Val>>,
    events: Vec<Vec<Val>>,
    /// Credits and suspense payments: the postback body and what follows it.
    payments: Vec<Payment>,
}

struct Payment {
    /// The deposit's timeline line for this postback (credits only).
    event: Option<String>,
    received_at: i64,
    body: String,
    verdict: &'static str,
    detail: String,
    transaction_id: String,
    deposit_id: Option<String>,
    user_id: Option<i64>,
    paid_paise: i64,
    order_ref: String,
    label: String,
    status: &'static str,
    reason: &'static str,
    flags: &'static str,
}

const EVENT_COLUMNS: &[&str] = &["deposit_id", "at", "kind", "detail", "postback_id"];

const DEPOSIT_COLUMNS: &[&str] = &[
    "id",
    "user_id",
    "amount_paise",
    "method",
    "status",
    "order_id",
    "qr_data",
    "failure_reason",
    "credited_paise",
    "provider_txn_id",
    "flags",
    "created_at",
    "updated_at",
    "expires_at",
    "last_check_at",
    "next_check_at",
    "check_count",
    "provider_paid_at",
    "flag",
    "flagged_at",
];

struct Generator<'a> {
    plan: &'a SeedPlan,
    rng: StdRng,
    now: i64,
    users: &'a [(i64, String)],
    refs: UpiRefs,
    report: SeedReport,
    /// Paise credited per user in the current chunk.
    balances: HashMap<i64, i64>,
}

impl Generator<'_> {
    /// A user, some far more active than others.
    fn user(&mut self) -> (i64, String) {
        let x: f64 = self.rng.r#gen::<f64>().powf(2.0);
        let i = ((x * self.users.len() as f64) as usize).min(self.users.len() - 1);
        self.users[i].clone()
    }

    fn vpa(&mut self) -> String {
        let name = FIRST_NAMES.choose(&mut self.rng).copied().unwrap_or("user");
        let handle = VPA_HANDLES.choose(&mut self.rng).copied().unwrap_or("okaxis");
        format!("{name}{}@{handle}", self.rng.gen_range(10..10_000))
    }

    fn event(chunk: &mut Chunk, deposit_id: &str, at: i64, kind: &str, detail: &str) {
        chunk.events.push(event_row(deposit_id, at, kind, detail, None));
    }

    fn deposit(&mut self, chunk: &mut Chunk) {
        let now = self.now;
        let ttl_ms = self.plan.deposit_ttl_secs * 1000;
        let (user_id, login) = self.user();
        let created_at = random_created_at(&mut self.rng, now, self.plan.days);
        let expires_at = created_at + ttl_ms;
        let id = super::deposits::new_deposit_id();
        let amount = random_amount_paise(&mut self.rng);
        let still_open = expires_at > now;
        let r: f64 = self.rng.r#gen();
        enum Kind {
            Credited,
            Expired,
            Failed,
            Open,
            PaidNoPostback,
            OrderUnseen,
        }
        let fate = if still_open {
            // Within its payment time: waiting, paid already, or declined.
            if r < 0.5 {
                Kind::Open
            } else if r < 0.92 {
                Kind::Credited
            } else {
                Kind::Failed
            }
        } else if r < 0.80 {
            Kind::Credited
        } else if r < 0.915 {
            Kind::Expired
        } else if r < 0.99 {
            Kind::Failed
        } else if r < 0.996 {
            Kind::PaidNoPostback
        } else {
            Kind::OrderUnseen
        };
        // Only a provider order can say "paid", and only a QR create call can be lost.
        let qr = matches!(fate, Kind::PaidNoPostback | Kind::OrderUnseen) || self.rng.gen_bool(0.7);
        let method = if qr { "qr" } else { "window" };
        // A QR deposit whose create call the provider refused has no order.
        let refused_at_create = matches!(fate, Kind::Failed) && qr && self.rng.gen_bool(0.1);
        let has_order = qr && !refused_at_create && !matches!(fate, Kind::OrderUnseen);
        let order_id = has_order.then(|| random_hex16(&mut self.rng));
        let upi_ref_in_qr =
            has_order.then(|| format!("IT{}", self.rng.gen_range(10_000_000_000_000u64..99_999_999_999_999)));
        let qr_data = match (&order_id, &upi_ref_in_qr) {
            (Some(o), Some(tr)) => Some(format!(
                "upi://pay?pa=portal.merchant@okaxis&pn=Portal%20Merchant&am={}&tn={o}&tr={tr}&cu=INR",
                Money::from_paise(amount).to_wire_rupees()
            )),
            _ => None,
        };
        use super::timeline::kind;
        Self::event(chunk, &id, created_at, kind::CREATED, &format!("{} by {method}", Money::from_paise(amount)));
        let answered_at = created_at + self.rng.gen_range(150..1_500);
        let answer = if !qr {
            "payment window: the provider is first called when the user opens it".to_string()
        } else if refused_at_create {
            "refused: The payment provider refused the payment. Please try again.".to_string()
        } else if let Some(order) = &order_id {
            format!("order {order} created, UPI link for {}", Money::from_paise(amount))
        } else {
            "no clear answer: The payment provider did not answer in time.".to_string()
        };
        Self::event(chunk, &id, answered_at, kind::PROVIDER_ANSWER, &answer);
        let mut status = "pending";
        let mut failure_reason: Option<&str> = None;
        let mut credited: Option<i64> = None;
        let mut txn: Option<String> = None;
        let mut flags = "";
        let mut updated_at = created_at + 1_000;
        let mut last_check_at: Option<i64> = None;
        let mut next_check_at: Option<i64> = None;
        let mut check_count = 0;
        let mut provider_paid_at: Option<i64> = None;
        let mut flag = "";
        let mut flagged_at: Option<i64> = None;
        match fate {
            Kind::Credited => {
                let paid_at = (created_at + self.rng.gen_range(15_000..ttl_ms.max(20_000))).min(now - 2_000);
                let received_at = (paid_at + self.rng.gen_range(300..8_000)).min(now - 1_000);
                let mismatch = self.rng.gen_bool(0.015);
                let paid = if mismatch {
                    let off = (amount / 10).max(100) * self.rng.gen_range(1..4);
                    if self.rng.gen_bool(0.5) || amount - off <= 0 { amount + off } else { amount - off }
                } else {
                    amount
                };
                let reference = self.refs.take();
                if has_order && self.rng.gen_bool(0.5) {
                    last_check_at = Some((created_at + 5_000).min(received_at));
                    Self::event(chunk, &id, last_check_at.unwrap_or(created_at), kind::STATUS_CHECK, "processing");
                }
                status = "credited";
                credited = Some(paid);
                flags = if mismatch { "amount_mismatch" } else { "" };
                updated_at = received_at;
                self.report.credited += 1;
                self.report.credited_paise += paid;
                if mismatch {
                    self.report.amount_mismatch += 1;
                }
                *self.balances.entry(user_id).or_insert(0) += paid;
                let payer = self.vpa();
                let body = postback_body(
                    self.plan,
                    &PostbackBody {
                        transaction_id: &reference,
                        paid_paise: paid,
                        order_ref: &id,
                        label: &login,
                        payer_vpa: &payer,
                        stockpiling_id: self.rng.gen_range(900_000..999_999),
                        paid_at,
                        sent_at: received_at - 200,
                    },
                );
                let flagged = if mismatch { " (amount_mismatch)" } else { "" };
                chunk.payments.push(Payment {
                    event: Some(format!("{}{flagged} credited, UPI reference {reference}", Money::from_paise(paid))),
                    received_at,
                    body,
                    verdict: "credited",
                    detail: if mismatch { "credited (amount_mismatch)".into() } else { "credited".into() },
                    transaction_id: reference.clone(),
                    deposit_id: Some(id.clone()),
                    user_id: Some(user_id),
                    paid_paise: paid,
                    order_ref: id.clone(),
                    label: login.clone(),
                    status: "credited",
                    reason: "",
                    flags,
                });
                txn = Some(reference);
            }
            Kind::Expired => {
                updated_at = (expires_at + self.rng.gen_range(1_000..120_000)).min(now);
                if has_order {
                    last_check_at = Some(updated_at);
                    Self::event(chunk, &id, created_at + 30_000, kind::STATUS_CHECK, "processing");
                    Self::event(chunk, &id, updated_at, kind::STATUS_CHECK, "failed");
                    Self::event(chunk, &id, updated_at, kind::EXPIRED, "the payment time ran out");
                    failure_reason = Some("The payment time ran out.");
                } else {
                    Self::event(chunk, &id, updated_at, kind::STATUS_CHECK, "no provider order to ask");
                    Self::event(chunk, &id, updated_at, kind::EXPIRED, "no payment arrived in time");
                    failure_reason = Some("No payment arrived in time.");
                }
                status = "expired";
                self.report.expired += 1;
            }
            Kind::Failed => {
                status = "failed";
                self.report.failed += 1;
                if refused_at_create {
                    updated_at = created_at + 800;
                    failure_reason = Some("The payment provider refused the payment. Please try again.");
                } else {
                    updated_at = (created_at + self.rng.gen_range(20_000..ttl_ms.max(30_000))).min(now);
                    last_check_at = Some(updated_at);
                    Self::event(chunk, &id, updated_at, kind::STATUS_CHECK, "failed");
                    Self::event(chunk, &id, updated_at, kind::FAILED, "declined or cancelled in the UPI app");
                    failure_reason = Some("The payment was declined or cancelled in the UPI app.");
                }
            }
            Kind::Open => {
                self.report.open += 1;
                if has_order && now - created_at > 6_000 {
                    last_check_at = Some(created_at + 5_000);
                    Self::event(chunk, &id, created_at + 5_000, kind::STATUS_CHECK, "processing");
                    check_count = 1;
                }
                next_check_at = Some(now + self.rng.gen_range(1_000..10_000));
            }
            Kind::PaidNoPostback => {
                // Paid at the provider long ago, never a postback: flagged, still open.
                self.report.open += 1;
                self.report.paid_no_postback += 1;
                let paid_seen = created_at + self.rng.gen_range(30_000..300_000);
                let flagged = paid_seen + 10 * 60_000;
                provider_paid_at = Some(paid_seen);
                flag = "paid_no_postback";
                flagged_at = Some(flagged);
                check_count = 10;
                last_check_at = Some(now - self.rng.gen_range(0..600_000));
                next_check_at = Some(now + self.rng.gen_range(60_000..600_000));
                updated_at = paid_seen;
                Self::event(chunk, &id, paid_seen, kind::STATUS_CHECK, "success");
                Self::event(chunk, &id, flagged, kind::FLAGGED, flag);
            }
            Kind::OrderUnseen => {
                status = "unknown";
                self.report.unknown += 1;
                self.report.order_unseen += 1;
                failure_reason = Some(
                    "The provider has this payment but its answer to us was lost; it is credited when the provider confirms it.",
                );
                let at = created_at + 20_000;
                flag = "order_unseen";
                flagged_at = Some(at);
                check_count = 10;
                last_check_at = Some(now - self.rng.gen_range(0..600_000));
                next_check_at = Some(now + self.rng.gen_range(60_000..600_000));
                updated_at = at;
                Self::event(chunk, &id, at, kind::STATUS_CHECK, "order exists, unseen");
                Self::event(chunk, &id, at, kind::FLAGGED, "order_unseen");
            }
        }
        self.report.deposits += 1;
        chunk.deposits.push(vec![
            Val::Text(id),
            Val::Int(user_id),
            Val::Int(amount),
            Val::Text(method.to_string()),
            Val::Text(status.to_string()),
            Val::OptText(order_id),
            Val::OptText(qr_data),
            Val::OptText(failure_reason.map(str::to_string)),
            Val::OptInt(credited),
            Val::OptText(txn),
            Val::Text(flags.to_string()),
            Val::Int(created_at),
            Val::Int(updated_at),
            Val::Int(expires_at),
            Val::OptInt(last_check_at),
            Val::OptInt(next_check_at),
            Val::Int(check_count),
            Val::OptInt(provider_paid_at),
            Val::Text(flag.to_string()),
            Val::OptInt(flagged_at),
        ]);
    }

    /// A verified payment that names no deposit of ours: suspense.
    fn suspense(&mut self, chunk: &mut Chunk) {
        let received_at = random_created_at(&mut self.rng, self.now, self.plan.days);
        let reference = self.refs.take();
        let paid = random_amount_paise(&mut self.rng);
        let label = if self.rng.gen_bool(0.6) { self.user().1 } else { String::new() };
        let order_ref = if self.rng.gen_bool(0.5) {
            format!("ORD-{}", self.rng.gen_range(100_000..999_999))
        } else {
            String::new()
        };
        let payer = self.vpa();
        let body = postback_body(
            self.plan,
            &PostbackBody {
                transaction_id: &reference,
                paid_paise: paid,
                order_ref: &order_ref,
                label: &label,
                payer_vpa: &payer,
                stockpiling_id: self.rng.gen_range(900_000..999_999),
                paid_at: received_at - 3_000,
                sent_at: received_at - 200,
            },
        );
        self.report.suspense += 1;
        chunk.payments.push(Payment {
            event: None,
            received_at,
            body,
            verdict: "suspense",
            detail: "suspense (unmatched)".into(),
            transaction_id: reference,
            deposit_id: None,
            user_id: None,
            paid_paise: paid,
            order_ref,
            label,
            status: "suspense",
            reason: "no deposit has the signed plugin_custom_order_id",
            flags: "unmatched",
        });
    }
}

fn random_password(rng: &mut StdRng) -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let tail: String = (0..12).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect();
    format!("demo-{tail}")
}

/// A password for the seeded users (printed by `portal seed`).
pub fn new_password() -> String {
    use rand::SeedableRng;
    random_password(&mut StdRng::from_entropy())
}

/// Writes the plan's users and history; see the module's description.
pub async fn seed(db: &Db, plan: &SeedPlan) -> Result<SeedReport, SeedError> {
    use rand::SeedableRng;
    if plan.users == 0 {
        return Err(SeedError::Plan("--users must be at least 1".into()));
    }
    if plan.days == 0 {
        return Err(SeedError::Plan("--days must be at least 1".into()));
    }
    super::auth::check_password_rules(&plan.password).map_err(|e| SeedError::Plan(e.to_string()))?;
    let password = plan.password.clone();
    let hash = tokio::task::spawn_blocking(move || super::auth::hash_password(&password))
        .await
        .map_err(|e| SeedError::Hash(e.to_string()))?
        .map_err(|e| SeedError::Hash(e.to_string()))?;
    let mut rng = StdRng::from_entropy();
    let now = now_ms();
    if db.backend == super::db::Backend::Sqlite {
        // The writer is one connection: give it a page cache that holds the
        // indexes' hot pages (SQLite's default is 2 MiB), or a million random
        // keys make every insert read its pages again.
        sqlx::query("PRAGMA cache_size = -262144").execute(db.writer()).await?;
    }

    // Users: logins numbered after the highest user id, so a second seed
    // into the same database picks new ones.
    let start: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM users").fetch_one(db.pool()).await?;
    let mut users: Vec<(i64, String)> = Vec::with_capacity(plan.users as usize);
    let mut tx = db.writer().begin().await?;
    let mut rows = Vec::new();
    let mut logins = Vec::new();
    for i in 0..plan.users {
        let name = FIRST_NAMES.choose(&mut rng).copied().unwrap_or("user");
        let login = format!("{name}{}", start + 1 + i64::from(i));
        let joined = now - i64::from(plan.days) * 86_400_000 - rng.gen_range(0..30 * 86_400_000i64);
        rows.push(vec![Val::Text(login.clone()), Val::Text(hash.clone()), Val::Text("user".into()), Val::Int(joined)]);
        logins.push(login);
    }
    let ids = insert_rows(&mut tx, "users", &["login", "password_hash", "role", "created_at"], rows, true)
        .await
        .map_err(taken)?;
    users.extend(ids.into_iter().zip(logins));
    tx.commit().await?;

    let mut generator = Generator {
        plan,
        rng,
        now,
        users: &users,
        refs: UpiRefs { next: 0, offset: 0 },
        report: SeedReport { users: u64::from(plan.users), ..SeedReport::default() },
        balances: HashMap::new(),
    };
    generator.refs.offset = generator.rng.gen_range(0..UpiRefs::MODULUS);
    // About 3 unmatched payments per 1,000 deposits, spread over the chunks.
    let suspense_total = (plan.deposits * 3).div_ceil(1_000);
    let mut done = 0u64;
    let mut suspense_done = 0u64;
    while done < plan.deposits {
        let n = (plan.deposits - done).min(CHUNK as u64);
        let mut chunk = Chunk::default();
        for _ in 0..n {
            generator.deposit(&mut chunk);
        }
        done += n;
        let suspense_due = suspense_total * done / plan.deposits.max(1);
        while suspense_done < suspense_due {
            generator.suspense(&mut chunk);
            suspense_done += 1;
        }
        let balances = std::mem::take(&mut generator.balances);
        write_chunk(db, chunk, balances, &mut generator.report).await?;
    }
    Ok(generator.report)
}

fn taken(e: sqlx::Error) -> SeedError {
    if super::db::is_unique_violation(&e) { SeedError::Taken(e.to_string()) } else { SeedError::Db(e) }
}

/// One transaction: deposits, postbacks, provider payments, ledger entries,
/// balances and history of one chunk.
async fn write_chunk(
    db: &Db,
    chunk: Chunk,
    balances: HashMap<i64, i64>,
    report: &mut SeedReport,
) -> Result<(), SeedError> {
    // Rows in key order: neighbouring inserts touch the same index pages.
    let text_key = |row: &Vec<Val>| match row.first() {
        Some(Val::Text(k)) => k.clone(),
        _ => String::new(),
    };
    let mut deposits = chunk.deposits;
    deposits.sort_by_cached_key(text_key);
    let mut payments_in = chunk.payments;
    payments_in.sort_by(|a, b| a.transaction_id.cmp(&b.transaction_id));
    let chunk = Chunk { deposits: Vec::new(), events: chunk.events, payments: payments_in };
    let mut tx = db.writer().begin().await?;
    insert_rows(&mut tx, "deposits", DEPOSIT_COLUMNS, deposits, false).await.map_err(taken)?;
    let postbacks: Vec<Vec<Val>> = chunk
        .payments
        .iter()
        .map(|p| {
            vec![
                Val::Int(p.received_at),
                Val::Text("203.0.113.10".into()),
                Val::Text(p.body.clone()),
                Val::Text("ingoing".into()),
                Val::Text(p.verdict.into()),
                Val::Text(p.detail.clone()),
                Val::Int(200),
            ]
        })
        .collect();
    let postback_ids = insert_rows(
        &mut tx,
        "postbacks",
        &["received_at", "remote_addr", "body", "direction", "verdict", "detail", "http_status"],
        postbacks,
        true,
    )
    .await?;
    report.postbacks += postback_ids.len() as u64;
    let mut payments = Vec::with_capacity(chunk.payments.len());
    let mut entries = Vec::new();
    let mut events = chunk.events;
    for (p, postback_id) in chunk.payments.into_iter().zip(postback_ids) {
        if let (Some(deposit_id), Some(detail)) = (&p.deposit_id, &p.event) {
            events.push(event_row(
                deposit_id,
                p.received_at,
                super::timeline::kind::POSTBACK,
                detail,
                Some(postback_id),
            ));
        }
        if let (Some(deposit_id), Some(user_id)) = (&p.deposit_id, p.user_id) {
            entries.push(vec![
                Val::Int(user_id),
                Val::Text("available".into()),
                Val::Int(p.paid_paise),
                Val::Text("deposit_credit".into()),
                Val::Text(format!("payment:{}", p.transaction_id)),
                Val::Text(format!("for deposit {deposit_id}")),
                Val::Int(p.received_at),
            ]);
        }
        payments.push(vec![
            Val::Text(p.transaction_id),
            Val::Int(postback_id),
            Val::Text("payment".into()),
            Val::OptText(p.deposit_id),
            Val::OptInt(p.user_id),
            Val::Int(p.paid_paise),
            Val::Text("INR".into()),
            Val::Text(p.order_ref),
            Val::Text(p.label),
            Val::Text(p.status.into()),
            Val::Text(p.reason.into()),
            Val::Text(p.flags.into()),
            Val::Int(p.received_at),
        ]);
    }
    report.provider_payments += payments.len() as u64;
    report.ledger_entries += entries.len() as u64;
    insert_rows(
        &mut tx,
        "provider_payments",
        &[
            "transaction_id",
            "postback_id",
            "kind",
            "deposit_id",
            "user_id",
            "amount_paise",
            "currency",
            "order_ref",
            "label",
            "status",
            "reason",
            "flags",
            "created_at",
        ],
        payments,
        false,
    )
    .await
    .map_err(taken)?;
    insert_rows(
        &mut tx,
        "ledger_entries",
        &["user_id", "bucket", "amount_paise", "kind", "reference", "memo", "created_at"],
        entries,
        false,
    )
    .await
    .map_err(taken)?;
    // Stable: each deposit's events keep their order (the timeline reads them by id).
    events.sort_by_cached_key(text_key);
    report.deposit_events += events.len() as u64;
    insert_rows(&mut tx, "deposit_events", EVENT_COLUMNS, events, false).await?;
    // The balances move by what this chunk's entries add, in the same transaction.
    let mut balances: Vec<(i64, i64)> = balances.into_iter().collect();
    balances.sort_unstable();
    for part in balances.chunks(BALANCES_PER_UPDATE) {
        let mut cases = String::new();
        let mut ids = String::new();
        for (i, _) in part.iter().enumerate() {
            cases.push_str(&format!(" WHEN ${} THEN ${}", 2 * i + 1, 2 * i + 2));
            ids.push_str(&format!("{}${}", if i == 0 { "" } else { ", " }, 2 * i + 1));
        }
        let sql = format!(
            "UPDATE users SET available_paise = available_paise + (CASE id{cases} ELSE 0 END) WHERE id IN ({ids})"
        );
        let mut query = sqlx::query(&sql);
        for (user_id, paise) in part {
            query = query.bind(*user_id).bind(*paise);
        }
        query.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn upi_references_are_twelve_digits_and_never_repeat() {
        let mut refs = UpiRefs { next: 0, offset: 987_654_321_000 };
        let seen: std::collections::HashSet<String> = (0..100_000).map(|_| refs.take()).collect();
        assert_eq!(seen.len(), 100_000);
        assert!(seen.iter().all(|r| r.len() == 12 && r.bytes().all(|b| b.is_ascii_digit())));
    }

    #[test]
    fn amounts_stay_in_range_and_most_are_small() {
        let mut rng = StdRng::seed_from_u64(7);
        let amounts: Vec<i64> = (0..20_000).map(|_| random_amount_paise(&mut rng)).collect();
        assert!(amounts.iter().all(|a| (10_000..=5_000_000).contains(a)));
        let small = amounts.iter().filter(|a| **a <= 200_000).count();
        assert!(small > amounts.len() / 2, "most deposits are ₹2,000 or less: {small}");
        assert!(amounts.iter().any(|a| *a > 2_000_000), "a few are large");
    }

    #[test]
    fn times_fall_in_the_window_and_the_provider_clock_is_utc_plus_8() {
        let mut rng = StdRng::seed_from_u64(1);
        let now = 1_795_500_000_000;
        for _ in 0..5_000 {
            let at = random_created_at(&mut rng, now, 30);
            assert!(at < now && at > now - 30 * 86_400_000);
        }
        assert_eq!(datetime_at_offset(1_692_931_660_000, PROVIDER_UTC_OFFSET_MS), "2023-08-25 10:47:40");
    }

    #[test]
    fn a_seeded_postback_verifies_with_the_keys_it_was_signed_with() {
        let plan = SeedPlan {
            users: 1,
            deposits: 1,
            days: 1,
            password: "pw-123456".into(),
            access_key: "sandbox-access-key".into(),
            private_key: "sandbox-private-key".into(),
            deposit_ttl_secs: 900,
        };
        let body = postback_body(
            &plan,
            &PostbackBody {
                transaction_id: "123456789012",
                paid_paise: 25_000,
                order_ref: "dep_x",
                label: "priya1",
                payer_vpa: "priya12@okaxis",
                stockpiling_id: 900_001,
                paid_at: 1_795_500_000_000,
                sent_at: 1_795_500_005_000,
            },
        );
        assert!(
            crate::paykassma::signature::verify_postback(&body, "sandbox-access-key", "sandbox-private-key").is_ok()
        );
    }
}
