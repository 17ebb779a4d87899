//! Postback ingest: parse -> verify -> record -> credit, in one transaction
//! (shared with the postbacks that arrive at the same moment: `group_commit`).
//!
//! Contract (answers the provider sees):
//! - valid and new: credit, 200 {"status":"ok"}; valid and seen: 200, nothing changes;
//! - only the signed `additional_data` decides whether money moves, how much and
//!   to whom: an item's kind (payment or withdrawal result) comes from its signed
//!   `transaction_type` / `withdrawal_id` / `withdrawal_status`; a payment is
//!   credited to the owner of the deposit named by the signed
//!   `plugin_custom_order_id`; unsigned top-level fields are recorded and flagged
//!   where they disagree, never obeyed;
//! - a verified payment for no known deposit, in a currency other than INR, or of
//!   a kind the signed fields do not tell, goes to suspense for an admin (the
//!   unsigned label is kept as a hint only);
//! - every item claims its transaction_id in `provider_payments`, whatever its
//!   kind, so a withdrawal result can never be replayed as a payment;
//! - a signed item we cannot read is kept for review with the raw body and
//!   answered ok (resending it would not make it readable);
//! - bad signature or access key: 403; malformed: 400; database trouble: 503;
//!   nothing is answered ok unless it is committed.

use super::db::now_ms;
use super::events::DepositEvent;
use super::ledger::{self, PaymentOutcome};
use super::state::AppState;
use crate::domain::DepositStatus;
use crate::paykassma::item::{ItemKind, SignedItem, Unsigned, parse_item};
use crate::paykassma::signature::{VerifiedPostback, VerifyError, verify_postback};
use crate::views::PostbackReply;
use sqlx::{AnyConnection, Row};

/// Where the provider sends postbacks (the server function
/// `api::postback::paykassma_postback`; a test holds the two together).
pub const POSTBACK_PATH: &str = "/api/paykassma/postback";

/// The HTTP status and the JSON reply for the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub reply: PostbackReply,
}

impl Answer {
    fn ok() -> Answer {
        Answer { status: 200, reply: PostbackReply::ok() }
    }
    pub fn fail(status: u16, message: &str) -> Answer {
        Answer { status, reply: PostbackReply::fail(message) }
    }
}

/// Every verdict a postback row can end with (the summary of its items'
/// verdicts, or why it was refused); the admin log filters by these.
pub const VERDICTS: &[&str] = &[
    "credited",
    "duplicate",
    "suspense",
    "withdrawal_paid",
    "withdrawal_rejected",
    "withdrawal_pending",
    "withdrawal_recorded",
    "review",
    "mixed",
    "rejected",
    "malformed",
    "error",
];

/// The HTTP status and the verdict recorded for a body the verifier refused.
pub fn refusal(e: &VerifyError) -> (u16, &'static str) {
    match e {
        VerifyError::WrongAccessKey | VerifyError::BadSignature => (403, "rejected"),
        VerifyError::NotConfigured => (503, "error"),
        _ => (400, "malformed"),
    }
}

/// The signed items of a verified postback, and why any could not be read.
pub fn read_items(verified: &VerifiedPostback) -> (Vec<SignedItem>, Vec<String>) {
    let mut items = Vec::new();
    let mut unreadable = Vec::new();
    for (i, v) in verified.additional_data().iter().enumerate() {
        match parse_item(v, i) {
            Ok(item) => items.push(item),
            Err(msg) => unreadable.push(msg),
        }
    }
    if verified.additional_data().is_empty() {
        unreadable.push("additional_data is empty".to_string());
    }
    (items, unreadable)
}

async fn record(
    tx: &mut AnyConnection,
    remote: &str,
    body: &str,
    direction: &str,
    verdict: &str,
    detail: &str,
    status: u16,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO postbacks (received_at, remote_addr, body, direction, verdict, detail, http_status)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(now_ms())
    .bind(remote)
    .bind(body)
    .bind(direction)
    .bind(verdict)
    .bind(detail)
    .bind(status as i64)
    .fetch_one(&mut *tx)
    .await
}

/// Records a postback in a transaction of its own.
async fn record_alone(
    state: &AppState,
    remote: &str,
    body: &str,
    direction: &str,
    verdict: &str,
    detail: &str,
    status: u16,
) -> Result<(), sqlx::Error> {
    let mut tx = state.db.writer().begin().await?;
    record(&mut tx, remote, body, direction, verdict, detail, status).await?;
    tx.commit().await
}

/// Records a rejected postback; the answer does not depend on it. A flood of
/// forged or malformed bodies must not monopolise the (single, on SQLite)
/// writer that credits genuine ones: at most REJECTED_POSTBACKS_PER_SECOND are
/// written, an identical body only once a minute; the rest are counted, and
/// the count goes into the next recorded row's detail and the log.
async fn record_rejected(state: &AppState, remote: &str, body: &str, verdict: &str, detail: &str, status: u16) {
    use super::limits::RejectedRecording;
    let detail = match state.limits.rejected_postback(body) {
        RejectedRecording::Skip => return,
        RejectedRecording::Record { suppressed: 0 } => detail.to_string(),
        RejectedRecording::Record { suppressed } => {
            tracing::warn!(suppressed, "rejected postbacks answered but not recorded (rate limit or identical body)");
            format!("{detail} (+{suppressed} rejected postbacks not recorded: rate limit or identical body)")
        }
    };
    if let Err(e) = record_alone(state, remote, body, "", verdict, &detail, status).await {
        tracing::error!(error = %e, verdict, "could not record a rejected postback");
    }
}

pub async fn ingest(state: &AppState, body: &[u8], remote: &str) -> Answer {
    let Ok(text) = std::str::from_utf8(body) else {
        super::metrics::postback("malformed");
        record_rejected(state, remote, &String::from_utf8_lossy(body), "malformed", "body is not UTF-8", 400).await;
        return Answer::fail(400, "body is not UTF-8 JSON");
    };
    let verified =
        match verify_postback(text, &state.config.postback_access_key, state.config.postback_private_key.expose()) {
            Ok(v) => v,
            Err(e) => {
                let (status, verdict) = refusal(&e);
                tracing::warn!(reason = %e, status, "postback refused");
                super::metrics::postback(verdict);
                record_rejected(state, remote, text, verdict, &e.to_string(), status).await;
                return Answer::fail(status, &e.to_string());
            }
        };
    let unsigned = Unsigned::from_root(verified.root());
    let (items, unreadable) = read_items(&verified);

    match credit_items(&state.postbacks, text, remote, &unsigned, &items, &unreadable).await {
        Ok(events) => {
            for e in events {
                state.events.publish(e);
            }
            Answer::ok()
        }
        Err(e) => {
            super::metrics::postback("not_committed");
            tracing::error!(error = %e, "postback not committed; the provider will resend");
            Answer::fail(503, "temporarily unable to record the postback; please retry")
        }
    }
}

/// What became of one item, for the postback's verdict.
pub fn outcome(verdict: &str, flags: &[&str]) -> String {
    if flags.is_empty() { verdict.to_string() } else { format!("{verdict} ({})", flags.join(",")) }
}

/// Where a verified item goes, decided from its signed fields only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// `credited` (to a deposit's owner), `withdrawal` (recorded for the
    /// withdrawal service) or `suspense` (for an admin).
    pub status: &'static str,
    /// Why it waits in suspense ('' otherwise).
    pub reason: String,
    pub deposit_id: Option<String>,
    pub user_id: Option<i64>,
    /// The login of the deposit's owner (credited only).
    pub owner_login: Option<String>,
    /// Unsigned fields that disagree, and `unmatched`, `amount_mismatch`.
    pub flags: Vec<&'static str>,
}

impl Placement {
    /// The item's verdict once applied (a first claim of its transaction id;
    /// a repeat is `duplicate`): withdrawal results are recorded for the
    /// withdrawal service, payments credited or kept in suspense.
    pub fn verdict(&self) -> String {
        let v = match self.status {
            "withdrawal" => "withdrawal_recorded",
            "credited" => "credited",
            _ => "suspense",
        };
        outcome(v, &self.flags)
    }
}

/// Decides where one item goes: reads the deposit its signed
/// `plugin_custom_order_id` names, writes nothing. The admin inspector calls
/// it to show the decision ingestion makes (`PostbackWork::place_all`, for a
/// whole batch with one read; both decide with `decide`).
pub async fn place_item(
    conn: &mut AnyConnection,
    unsigned: &Unsigned,
    items: &[SignedItem],
    item: &SignedItem,
) -> Result<Placement, sqlx::Error> {
    let deposits = read_deposits(conn, std::slice::from_ref(&item.order_ref)).await?;
    Ok(decide(unsigned, items, item, &deposits))
}

/// What placing a payment reads of the deposit it names: only what never
/// changes once a deposit exists.
#[derive(Debug)]
struct NamedDeposit {
    user_id: i64,
    amount_paise: i64,
    owner_login: String,
}

/// The deposits with these ids (and their owners' logins), in one query of
/// one parameter, however many ids (a JSON array: a batch may name
/// thousands).
async fn read_deposits(
    conn: &mut AnyConnection,
    ids: &[String],
) -> Result<std::collections::HashMap<String, NamedDeposit>, sqlx::Error> {
    let mut found = std::collections::HashMap::new();
    let wanted: std::collections::BTreeSet<&str> = ids.iter().map(String::as_str).filter(|id| !id.is_empty()).collect();
    if wanted.is_empty() {
        return Ok(found);
    }
    let sql = if conn.backend_name() == "PostgreSQL" {
        "SELECT d.id, d.user_id, d.amount_paise, u.login FROM deposits d JOIN users u ON u.id = d.user_id
         WHERE d.id = ANY (ARRAY(SELECT json_array_elements_text($1::json)))"
    } else {
        "SELECT d.id, d.user_id, d.amount_paise, u.login FROM deposits d JOIN users u ON u.id = d.user_id
         WHERE d.id IN (SELECT value FROM json_each($1))"
    };
    let list = serde_json::to_string(&wanted).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    for row in sqlx::query(sql).bind(list).fetch_all(&mut *conn).await? {
        found.insert(
            row.try_get::<String, _>("id")?,
            NamedDeposit {
                user_id: row.try_get("user_id")?,
                amount_paise: row.try_get("amount_paise")?,
                owner_login: row.try_get("login")?,
            },
        );
    }
    Ok(found)
}

/// Decides where one item goes, from its signed fields and the deposit its
/// signed `plugin_custom_order_id` names (if any is in `deposits`).
fn decide(
    unsigned: &Unsigned,
    items: &[SignedItem],
    item: &SignedItem,
    deposits: &std::collections::HashMap<String, NamedDeposit>,
) -> Placement {
    let mut flags = unsigned.disagreements(items, item);
    let deposit = match (&item.kind, item.order_ref.is_empty()) {
        (ItemKind::Payment, false) => deposits.get(&item.order_ref),
        _ => None,
    };
    let suspense = |reason: String, flags: Vec<&'static str>| Placement {
        status: "suspense",
        reason,
        deposit_id: None,
        user_id: None,
        owner_login: None,
        flags,
    };
    match (&item.kind, deposit) {
        (ItemKind::WithdrawalResult { .. }, _) => Placement {
            status: "withdrawal",
            reason: String::new(),
            deposit_id: None,
            user_id: None,
            owner_login: None,
            flags,
        },
        (ItemKind::Unknown(why), _) => suspense(format!("kind not told by signed fields: {why}"), flags),
        (ItemKind::Payment, _) if !item.is_inr() => {
            suspense(format!("signed currency is '{}', not INR", item.currency), flags)
        }
        (ItemKind::Payment, None) => {
            flags.push("unmatched");
            suspense("no deposit has the signed plugin_custom_order_id".to_string(), flags)
        }
        (ItemKind::Payment, Some(d)) => {
            if !unsigned.label.is_empty() && unsigned.label != d.owner_login {
                flags.push("label_mismatch");
            }
            if d.amount_paise != item.amount.paise() {
                flags.push("amount_mismatch");
            }
            Placement {
                status: "credited",
                reason: String::new(),
                deposit_id: Some(item.order_ref.clone()),
                user_id: Some(d.user_id),
                owner_login: Some(d.owner_login.clone()),
                flags,
            }
        }
    }
}

/// One verified postback, ready to be written: its raw body, its items and
/// where each goes (`placements`, one per item, decided by `place_all`
/// before it is written).
#[derive(Debug)]
pub struct PostbackWork {
    pub body: String,
    pub remote: String,
    pub unsigned: Unsigned,
    pub items: Vec<SignedItem>,
    pub unreadable: Vec<String>,
    pub placements: Vec<Placement>,
}

impl PostbackWork {
    /// The work for a verified postback; where its items go is decided when
    /// it is written (`place_all`, by the group commit, for a whole batch).
    pub fn new(body: &str, remote: &str, unsigned: &Unsigned, items: &[SignedItem], unreadable: &[String]) -> Self {
        PostbackWork {
            body: body.to_string(),
            remote: remote.to_string(),
            unsigned: unsigned.clone(),
            items: items.to_vec(),
            unreadable: unreadable.to_vec(),
            placements: Vec::new(),
        }
    }

    /// Decides where the items of these postbacks go (`place_item` for each),
    /// reading every deposit they name in one query on `conn`.
    pub async fn place_all(conn: &mut AnyConnection, works: &mut [&mut PostbackWork]) -> Result<(), sqlx::Error> {
        let named: Vec<String> = works
            .iter()
            .flat_map(|w| w.items.iter())
            .filter(|i| matches!(i.kind, ItemKind::Payment))
            .map(|i| i.order_ref.clone())
            .collect();
        let deposits = read_deposits(conn, &named).await?;
        for w in works.iter_mut() {
            let mut placements = Vec::with_capacity(w.items.len());
            for item in &w.items {
                placements.push(decide(&w.unsigned, &w.items, item, &deposits));
            }
            w.placements = placements;
        }
        Ok(())
    }
}

/// What a committed postback did.
#[derive(Debug)]
pub struct Applied {
    pub postback_id: i64,
    pub verdict: String,
    pub events: Vec<DepositEvent>,
    pub credits: u64,
    pub credited_paise: i64,
}

/// The group commit postbacks are written through (one per process and database).
pub type PostbackCommits = super::group_commit::GroupCommit<PostbackWork>;

impl super::group_commit::Work for PostbackWork {
    type Output = Applied;
    fn apply<'a>(&'a self, conn: &'a mut AnyConnection) -> super::group_commit::WorkFuture<'a, Applied> {
        Box::pin(apply_postback(conn, self))
    }
    /// Where the items of the whole batch go: one read, on a reading
    /// connection (not the writer), of every deposit they name.
    fn prepare<'a>(db: &'a super::db::Db, works: Vec<&'a mut Self>) -> super::group_commit::WorkFuture<'a, ()> {
        Box::pin(async move {
            let mut works = works;
            if works.iter().all(|w| w.items.is_empty()) {
                return Ok(());
            }
            let mut reader = db.pool().acquire().await?;
            PostbackWork::place_all(&mut reader, &mut works).await
        })
    }
    fn apply_all<'a>(
        conn: &'a mut AnyConnection,
        works: &'a [&'a Self],
    ) -> super::group_commit::WorkFuture<'a, Vec<Applied>> {
        Box::pin(apply_postbacks(conn, works))
    }
    /// The balance row it locks (the first credited item's owner), then the
    /// transaction id it claims.
    fn lock_order(&self) -> (i64, &str) {
        let user = self.placements.iter().find_map(|p| p.user_id).unwrap_or(0);
        (user, self.items.first().map(|i| i.transaction_id.as_str()).unwrap_or(""))
    }
    /// The balance rows of every user the batch credits, in id order.
    fn lock_rows<'a>(conn: &'a mut AnyConnection, works: &'a [&'a Self]) -> super::group_commit::WorkFuture<'a, ()> {
        Box::pin(async move {
            let mut users: Vec<i64> =
                works.iter().flat_map(|w| w.placements.iter().filter_map(|p| p.user_id)).collect();
            users.sort_unstable();
            users.dedup();
            if users.is_empty() {
                return Ok(());
            }
            // one JSON parameter (the Any driver binds no arrays)
            sqlx::query(
                "SELECT id FROM users WHERE id = ANY (ARRAY(SELECT json_array_elements_text($1::json)::bigint))
                 ORDER BY id FOR UPDATE",
            )
            .bind(serde_json::Value::from(users).to_string())
            .fetch_all(&mut *conn)
            .await?;
            Ok(())
        })
    }
}

/// Records the verified postback and applies its signed items, in one
/// transaction. `unreadable` lists signed items that could not be parsed: the
/// postback is then kept for review. Public for the benchmark, which measures
/// this same SQL work without HTTP.
///
/// The postback goes through the group commit (`group_commit`): postbacks
/// arriving together share a transaction and its commit; each still commits
/// whole or not at all, before it is answered. For each batch the worker
/// first decides where every item goes, with one read on a reading
/// connection of every deposit they name (only what never changes once a
/// deposit exists: its owner and amount), so the write transaction (on
/// SQLite, the one writer everyone queues for) holds no reads. A payment for
/// a known deposit is one call into the ledger (`ledger::credit_payment`);
/// on PostgreSQL a batch's payments are credited together
/// (`ledger::credit_payments`, one statement).
pub async fn credit_items(
    commits: &PostbackCommits,
    body: &str,
    remote: &str,
    unsigned: &Unsigned,
    items: &[SignedItem],
    unreadable: &[String],
) -> Result<Vec<DepositEvent>, sqlx::Error> {
    let work = PostbackWork::new(body, remote, unsigned, items, unreadable);
    let Applied { postback_id, verdict, events, credits, credited_paise } = commits.run(work).await?;
    super::metrics::postback(&verdict);
    super::metrics::credited("postback", credits, credited_paise);
    if verdict == "review" || verdict == "mixed" {
        tracing::warn!(postback_id, verdict = %verdict, "signed postback kept for review");
    } else {
        tracing::info!(postback_id, verdict = %verdict, "postback accepted");
    }
    Ok(events)
}

/// A signed payment for a known deposit: what crediting it takes, and what
/// the postback's row and the deposit's timeline say of it.
struct Payment {
    deposit_id: String,
    user_id: i64,
    flags: String,
    /// The item's verdict if credited now (a repeat is `duplicate`).
    verdict: String,
    credited_detail: String,
    duplicate_detail: String,
}

impl Payment {
    fn of(item: &SignedItem, placement: &Placement) -> Option<Payment> {
        let (ItemKind::Payment, Some(deposit_id), Some(user_id)) =
            (&item.kind, &placement.deposit_id, placement.user_id)
        else {
            return None;
        };
        Some(Payment {
            deposit_id: deposit_id.clone(),
            user_id,
            flags: placement.flags.join(","),
            verdict: placement.verdict(),
            credited_detail: format!(
                "{} credited, UPI reference {}",
                outcome(&crate::domain::Money::from_paise(item.amount.paise()).to_string(), &placement.flags),
                item.transaction_id
            ),
            duplicate_detail: format!("duplicate of UPI reference {}", item.transaction_id),
        })
    }

    fn credit<'a>(
        &'a self,
        postback_id: i64,
        item: &'a SignedItem,
        unsigned: &'a Unsigned,
    ) -> ledger::PaymentCredit<'a> {
        ledger::PaymentCredit {
            postback_id,
            transaction_id: &item.transaction_id,
            kind: item.kind.name(),
            deposit_id: &self.deposit_id,
            user_id: self.user_id,
            amount_paise: item.amount.paise(),
            currency: &item.currency,
            order_ref: &item.order_ref,
            label: &unsigned.label,
            flags: &self.flags,
            credited_detail: &self.credited_detail,
            duplicate_detail: &self.duplicate_detail,
        }
    }

    /// The item's verdict; a credit adds its live event and its sums.
    fn settle(
        &self,
        item: &SignedItem,
        credited: PaymentOutcome,
        events: &mut Vec<DepositEvent>,
        credits: &mut u64,
        credited_paise: &mut i64,
    ) -> String {
        match credited {
            PaymentOutcome::Duplicate | PaymentOutcome::AlreadyPosted => "duplicate".into(),
            PaymentOutcome::Credited { status, credited_paise: now_credited } => {
                *credits += 1;
                *credited_paise += item.amount.paise();
                let status = DepositStatus::parse(&status).unwrap_or(DepositStatus::Credited);
                events.push(DepositEvent { deposit_id: self.deposit_id.clone(), status, credited_paise: now_credited });
                self.verdict.clone()
            }
        }
    }
}

/// A postback of one signed payment for a known deposit, the usual kind.
fn single_payment(work: &PostbackWork) -> Option<Payment> {
    match (work.unreadable.is_empty(), work.items.as_slice(), work.placements.as_slice()) {
        (true, [item], [placement]) => Payment::of(item, placement),
        _ => None,
    }
}

/// The postbacks of a batch, inside the caller's transaction, each with the
/// outcome it would have had alone. On PostgreSQL the usual kind (one signed
/// payment for a known deposit) is written for the whole batch at once: one
/// statement records their raw bodies, one credits them all
/// (`ledger::credit_payments`), one corrects the verdicts of the repeats;
/// the others (withdrawal results, suspense, several items, unreadable
/// ones) follow one by one. SQLite writes them one by one.
async fn apply_postbacks(tx: &mut AnyConnection, works: &[&PostbackWork]) -> Result<Vec<Applied>, sqlx::Error> {
    let payments: Vec<(usize, Payment)> =
        works.iter().enumerate().filter_map(|(i, w)| single_payment(w).map(|p| (i, p))).collect();
    let mut applied: Vec<Option<Applied>> = works.iter().map(|_| None).collect();
    if tx.backend_name() == "PostgreSQL" && payments.len() > 1 {
        let records: Vec<serde_json::Value> = payments
            .iter()
            .map(|(i, p)| {
                serde_json::json!({
                    "ord": i,
                    "remote": works[*i].remote,
                    "body": works[*i].body,
                    "detail": p.verdict,
                })
            })
            .collect();
        let rows = sqlx::query(RECORD_PAYMENTS_POSTGRES)
            .bind(serde_json::Value::Array(records).to_string())
            .bind(now_ms())
            .fetch_all(&mut *tx)
            .await?;
        let mut ids = std::collections::HashMap::with_capacity(rows.len());
        for row in rows {
            ids.insert(row.try_get::<i64, _>("ord")?, row.try_get::<i64, _>("id")?);
        }
        let id_of = |i: usize| {
            ids.get(&(i as i64))
                .copied()
                .ok_or_else(|| sqlx::Error::Protocol("a batched postback was not recorded".into()))
        };
        let mut credits = Vec::with_capacity(payments.len());
        for (i, p) in &payments {
            let w = works[*i];
            credits.push(p.credit(id_of(*i)?, &w.items[0], &w.unsigned));
        }
        let outcomes = ledger::credit_payments(tx, &credits).await?;
        let mut repeats = Vec::new();
        for ((i, p), credited) in payments.iter().zip(outcomes) {
            let postback_id = id_of(*i)?;
            let (mut events, mut credits, mut credited_paise) = (Vec::new(), 0u64, 0i64);
            let verdict = p.settle(&works[*i].items[0], credited, &mut events, &mut credits, &mut credited_paise);
            if verdict == "duplicate" {
                repeats.push(postback_id);
            }
            applied[*i] =
                Some(Applied { postback_id, verdict: summarize(&[verdict]), events, credits, credited_paise });
        }
        if !repeats.is_empty() {
            sqlx::query(
                "UPDATE postbacks SET verdict = 'duplicate', detail = 'duplicate'
                 WHERE id = ANY (ARRAY(SELECT json_array_elements_text($1::json)::bigint))",
            )
            .bind(serde_json::Value::from(repeats).to_string())
            .execute(&mut *tx)
            .await?;
        }
    }
    let mut out = Vec::with_capacity(works.len());
    for (work, done) in works.iter().zip(applied) {
        out.push(match done {
            Some(a) => a,
            None => apply_postback(tx, work).await?,
        });
    }
    Ok(out)
}

/// Records the raw bodies of a batch of payment postbacks (`$1`, a JSON
/// array), each with the verdict of a first claim (`apply_postbacks` corrects
/// the repeats'), and tells each one's id.
const RECORD_PAYMENTS_POSTGRES: &str = "WITH input AS MATERIALIZED (
        SELECT v.*, nextval(pg_get_serial_sequence('postbacks', 'id')) AS id
        FROM json_to_recordset($1::json) AS v(ord bigint, remote text, body text, detail text)
    ), recorded AS (
        INSERT INTO postbacks (id, received_at, remote_addr, body, direction, verdict, detail, http_status)
        OVERRIDING SYSTEM VALUE
        SELECT id, $2, remote, body, 'ingoing', 'credited', detail, 200 FROM input ORDER BY ord
    )
    SELECT ord, id FROM input ORDER BY ord";

/// The writes of one postback, inside the caller's transaction.
async fn apply_postback(tx: &mut AnyConnection, work: &PostbackWork) -> Result<Applied, sqlx::Error> {
    let PostbackWork { body, remote, unsigned, items, unreadable, placements } = work;
    if placements.len() != items.len() {
        return Err(sqlx::Error::Protocol("a postback was to be written before its items were placed".into()));
    }
    let direction = match items.first().map(|i| &i.kind) {
        Some(ItemKind::Payment) => "ingoing",
        Some(ItemKind::WithdrawalResult { .. }) => "outgoing",
        _ => "unknown",
    };
    let mut verdicts: Vec<String> = unreadable.iter().map(|m| format!("review: {m}")).collect();
    // The row goes in with the verdict its items are expected to get (a
    // first claim of each); it is rewritten below only if they got another.
    // Nobody sees it before the commit, when it is final either way.
    let expected: Vec<String> = verdicts.iter().cloned().chain(placements.iter().map(Placement::verdict)).collect();
    let (expected_verdict, expected_detail) = (summarize(&expected), expected.join("; "));
    let postback_id = record(tx, remote, body, direction, &expected_verdict, &expected_detail, 200).await?;
    let mut events = Vec::new();
    let (mut credits, mut credited_paise) = (0u64, 0i64);

    for (item, placement) in items.iter().zip(placements.iter().cloned()) {
        if let Some(payment) = Payment::of(item, &placement) {
            let credited = ledger::credit_payment(tx, &payment.credit(postback_id, item, unsigned)).await?;
            let verdict = payment.settle(item, credited, &mut events, &mut credits, &mut credited_paise);
            verdicts.push(verdict);
            continue;
        }
        let verdict = placement.verdict();
        let Placement { status, reason, deposit_id, user_id, flags, .. } = placement;
        let flags_text = flags.join(",");
        let inserted = sqlx::query(
            "INSERT INTO provider_payments (transaction_id, postback_id, kind, deposit_id, user_id, amount_paise, currency, order_ref, label, status, reason, flags, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
             ON CONFLICT (transaction_id) DO NOTHING RETURNING id",
        )
        .bind(&item.transaction_id)
        .bind(postback_id)
        .bind(item.kind.name())
        .bind(deposit_id.clone())
        .bind(user_id)
        .bind(item.amount.paise())
        .bind(&item.currency)
        .bind(&item.order_ref)
        .bind(&unsigned.label)
        .bind(status)
        .bind(&reason)
        .bind(&flags_text)
        .bind(now_ms())
        .fetch_optional(&mut *tx)
        .await?;
        if let ItemKind::WithdrawalResult { withdrawal_id, status } = &item.kind {
            // A result may come more than once (pending, then paid), under one
            // transaction id: the withdrawal's own state decides, at most once.
            // A transaction id a deposit payment claimed is never a withdrawal's.
            let claimed_here = match inserted {
                Some(_) => true,
                None => {
                    let kind: Option<String> =
                        sqlx::query_scalar("SELECT kind FROM provider_payments WHERE transaction_id = $1")
                            .bind(&item.transaction_id)
                            .fetch_optional(&mut *tx)
                            .await?;
                    kind.as_deref() == Some("withdrawal")
                }
            };
            if !claimed_here {
                // Signed, yet its transaction id is a deposit payment's: never
                // applied, and never silently dropped either.
                verdicts.push(outcome(
                    &format!(
                        "review: the signed transaction_id {} of this result for withdrawal {withdrawal_id} is a deposit payment's",
                        item.transaction_id
                    ),
                    &flags,
                ));
                continue;
            }
            let v =
                super::withdrawals::apply_result(tx, withdrawal_id, *status, item.amount.paise(), postback_id).await?;
            // A repeat about a withdrawal we never made was reviewed the first time.
            let v =
                if inserted.is_none() && v.starts_with(super::withdrawals::NOT_OURS) { "duplicate".into() } else { v };
            verdicts.push(outcome(&v, &flags));
            continue;
        }
        // Suspense (for an admin), or a repeat of a claimed transaction id.
        verdicts.push(if inserted.is_none() { "duplicate".into() } else { verdict });
    }
    let verdict = summarize(&verdicts);
    let detail = verdicts.join("; ");
    if (&verdict, &detail) != (&expected_verdict, &expected_detail) {
        sqlx::query("UPDATE postbacks SET verdict = $1, detail = $2 WHERE id = $3")
            .bind(&verdict)
            .bind(&detail)
            .bind(postback_id)
            .execute(&mut *tx)
            .await?;
    }
    Ok(Applied { postback_id, verdict, events, credits, credited_paise })
}

/// The postback's verdict from its items' verdicts: theirs if they agree, else `mixed`.
pub fn summarize(verdicts: &[String]) -> String {
    let head = |v: &String| v.split([' ', ':']).next().unwrap_or("").to_string();
    let first = verdicts.first().map(head).unwrap_or_default();
    if verdicts.iter().all(|v| head(v) == first) { first } else { "mixed".to_string() }
}

#[derive(Debug, thiserror::Error)]
pub enum AssignError {
    #[error("No payment in suspense has that UPI reference (it may be assigned already).")]
    NotInSuspense,
    #[error("No user has the login '{0}'.")]
    UnknownUser(String),
    #[error("This payment was signed in {0}, not INR: it cannot be credited as rupees.")]
    NotRupees(String),
    #[error("The service is temporarily unavailable. Try again in a moment.")]
    Db(#[from] sqlx::Error),
}

/// An admin credits a payment from the suspense list to a user: the claim on
/// the suspense row, the ledger credit and the audit entry commit together, so
/// a payment is assigned at most once even if two admins click at once.
pub async fn assign_suspense(
    db: &super::db::Db,
    admin_id: i64,
    transaction_id: &str,
    login: &str,
) -> Result<i64, AssignError> {
    let mut tx = db.writer().begin().await?;
    let user_id: Option<i64> =
        sqlx::query_scalar("SELECT id FROM users WHERE login = $1").bind(login.trim()).fetch_optional(&mut *tx).await?;
    let Some(user_id) = user_id else { return Err(AssignError::UnknownUser(login.trim().to_string())) };
    let now = now_ms();
    let claimed = sqlx::query(
        "UPDATE provider_payments SET status = 'assigned', user_id = $1, resolved_at = $2, resolved_by = $3
         WHERE transaction_id = $4 AND status = 'suspense' RETURNING amount_paise, currency",
    )
    .bind(user_id)
    .bind(now)
    .bind(admin_id)
    .bind(transaction_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(claimed) = claimed else { return Err(AssignError::NotInSuspense) };
    let currency: String = claimed.try_get("currency")?;
    if currency != "INR" {
        // Dropping the transaction undoes the claim.
        return Err(AssignError::NotRupees(currency));
    }
    let amount: i64 = claimed.try_get("amount_paise")?;
    let memo = "assigned from suspense by an admin";
    ledger::credit_deposit(&mut tx, user_id, amount, &format!("payment:{transaction_id}"), memo)
        .await
        .map_err(sqlx::Error::from)?;
    let before = serde_json::json!({"status": "suspense", "amount_paise": amount}).to_string();
    let after = serde_json::json!({"status": "assigned", "login": login.trim(), "amount_paise": amount}).to_string();
    super::audit::record(
        &mut tx,
        super::audit::Action {
            admin_id,
            action: "assign_suspense",
            target: &format!("payment:{transaction_id}"),
            detail: &format!("to {} ({} paise)", login.trim(), amount),
            before: &before,
            after: &after,
        },
    )
    .await?;
    tx.commit().await?;
    super::metrics::credited("suspense", 1, amount);
    tracing::info!(transaction_id, login = login.trim(), amount, "suspense payment assigned");
    Ok(amount)
}
