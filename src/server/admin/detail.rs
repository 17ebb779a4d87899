//! One deposit as an admin sees it: the row, its timeline (events, postbacks
//! with their verdicts, audit entries), the ledger entries it caused, and
//! suspense payments that may be its money.

use super::super::db::Db;
use super::super::{audit, timeline};
use crate::views::{AdminPostback, DepositDetail, EntryView, SuspensePayment, TimelineEntry};

#[derive(sqlx::FromRow)]
struct Extra {
    failure_reason: Option<String>,
    expires_at: i64,
}

pub async fn deposit(db: &Db, id: &str) -> Result<Option<DepositDetail>, sqlx::Error> {
    let query = crate::views::TransactionQuery { kind: "deposit".into(), q: id.to_string(), ..Default::default() };
    let page = super::transactions::page(db, &query).await?;
    let Some(row) = page.rows.into_iter().find(|r| r.id == id) else { return Ok(None) };
    let extra: Extra = sqlx::query_as("SELECT failure_reason, expires_at FROM deposits WHERE id = $1")
        .bind(id)
        .fetch_one(db.pool())
        .await?;

    let mut timeline: Vec<TimelineEntry> = Vec::new();
    for e in timeline::for_deposit(db.pool(), id).await? {
        let postback = match e.postback_id {
            Some(pid) => postback(db, pid).await?,
            None => None,
        };
        timeline.push(TimelineEntry { at: e.at, kind: e.kind, detail: e.detail, postback });
    }
    // Deposits from before the timeline existed still show their start.
    if !timeline.iter().any(|t| t.kind == timeline::kind::CREATED) {
        timeline.insert(
            0,
            TimelineEntry {
                at: row.created_at,
                kind: timeline::kind::CREATED.into(),
                detail: crate::domain::Money::from_paise(row.amount_paise).to_string(),
                postback: None,
            },
        );
    }
    let target = format!("deposit:{id}");
    let audit = audit::for_target(db.pool(), &target).await?;
    for a in &audit {
        let kind = if a.action == "note" { "note" } else { "audit" };
        let detail = if a.action == "note" {
            format!("{}: {}", a.admin_login, a.detail)
        } else {
            format!("{} by {}: {}", a.action, a.admin_login, a.detail)
        };
        timeline.push(TimelineEntry { at: a.created_at, kind: kind.into(), detail, postback: None });
    }
    timeline.sort_by_key(|t| t.at);

    let entries: Vec<EntryView> = sqlx::query_as(
        "SELECT e.id, e.kind, e.bucket, e.amount_paise, e.reference, e.memo, e.created_at
         FROM ledger_entries e JOIN provider_payments p ON e.reference = 'payment:' || p.transaction_id
         WHERE p.deposit_id = $1 ORDER BY e.id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;

    // Money that may be this deposit's: in suspense, same amount or the
    // unsigned label naming the owner, since the deposit was created.
    let candidates: Vec<SuspensePayment> = if row.status == "credited" {
        Vec::new()
    } else {
        sqlx::query_as(
            "SELECT transaction_id, amount_paise, label, order_ref, created_at, currency, reason FROM provider_payments
             WHERE status = 'suspense' AND created_at >= $1 AND (amount_paise = $2 OR label = $3 OR order_ref = $4)
             ORDER BY created_at LIMIT 20",
        )
        .bind(row.created_at)
        .bind(row.amount_paise)
        .bind(&row.login)
        .bind(id)
        .fetch_all(db.pool())
        .await?
    };
    Ok(Some(DepositDetail {
        deposit: row,
        failure_reason: extra.failure_reason,
        expires_at: extra.expires_at,
        timeline,
        entries,
        audit,
        candidates,
    }))
}

async fn postback(db: &Db, id: i64) -> Result<Option<AdminPostback>, sqlx::Error> {
    let found: Option<AdminPostback> = sqlx::query_as(
        "SELECT id, received_at, remote_addr, direction, verdict, detail, http_status, body FROM postbacks WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    // A signed body is a replayable credential: never shown whole.
    Ok(found.map(|mut p| {
        p.body = crate::paykassma::signature::redact_signature(&p.body);
        p
    }))
}

/// The fields of a deposit an admin action changes, as JSON, for the audit trail.
pub async fn state_json(db: &Db, id: &str) -> Result<String, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct S {
        status: String,
        credited_paise: Option<i64>,
        flag: String,
    }
    let s: Option<S> = sqlx::query_as("SELECT status, credited_paise, flag FROM deposits WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    Ok(s.map(|s| {
        serde_json::json!({"status": s.status, "credited_paise": s.credited_paise, "flag": s.flag}).to_string()
    })
    .unwrap_or_default())
}

/// An admin's note on a deposit: an audit entry on its own.
pub async fn add_note(db: &Db, admin_id: i64, id: &str, note: &str) -> Result<bool, sqlx::Error> {
    let mut tx = db.writer().begin().await?;
    let exists: Option<String> =
        sqlx::query_scalar("SELECT id FROM deposits WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
    if exists.is_none() {
        return Ok(false);
    }
    audit::record(
        &mut tx,
        audit::Action {
            admin_id,
            action: "note",
            target: &format!("deposit:{id}"),
            detail: note,
            before: "",
            after: "",
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Re-check at the provider, done: the audit entry with the state before and after.
pub async fn record_recheck(db: &Db, admin_id: i64, id: &str, before: &str, outcome: &str) -> Result<(), sqlx::Error> {
    let after = state_json(db, id).await?;
    let mut conn = db.writer().acquire().await?;
    audit::record(
        &mut conn,
        audit::Action {
            admin_id,
            action: "recheck",
            target: &format!("deposit:{id}"),
            detail: outcome,
            before,
            after: &after,
        },
    )
    .await?;
    Ok(())
}

/// One withdrawal as an admin sees it: the row, its bank details (the
/// account number masked), its timeline with the postbacks that named it and
/// the admin actions on it, and the ledger entries of its hold.
pub async fn withdrawal(db: &Db, id: &str) -> Result<Option<crate::views::WithdrawalDetail>, sqlx::Error> {
    use crate::server::withdrawals;
    let query = crate::views::TransactionQuery { kind: "withdrawal".into(), q: id.to_string(), ..Default::default() };
    let page = super::transactions::page(db, &query).await?;
    let Some(row) = page.rows.into_iter().find(|r| r.id == id) else { return Ok(None) };
    let Some(w) = withdrawals::find(db.pool(), id).await? else { return Ok(None) };
    let mut timeline: Vec<TimelineEntry> = Vec::new();
    for e in timeline::read(db.pool(), timeline::Of::Withdrawal(id)).await? {
        let postback = match e.postback_id {
            Some(pid) => postback(db, pid).await?,
            None => None,
        };
        timeline.push(TimelineEntry { at: e.at, kind: e.kind, detail: e.detail, postback });
    }
    for a in audit::for_target(db.pool(), &format!("withdrawal:{id}")).await? {
        let detail = format!("{} by {}: {}", a.action, a.admin_login, a.detail);
        timeline.push(TimelineEntry { at: a.created_at, kind: "audit".into(), detail, postback: None });
    }
    timeline.sort_by_key(|t| t.at);
    let entries: Vec<EntryView> = sqlx::query_as(
        "SELECT id, kind, bucket, amount_paise, reference, memo, created_at FROM ledger_entries
         WHERE reference = $1 ORDER BY id",
    )
    .bind(format!("withdrawal:{id}"))
    .fetch_all(db.pool())
    .await?;
    Ok(Some(crate::views::WithdrawalDetail {
        withdrawal: row,
        account_masked: crate::domain::AccountNumber::parse(&w.account_number).map(|a| a.masked()).unwrap_or_default(),
        account_name: w.account_name,
        ifsc: w.ifsc,
        provider_status: w.provider_status,
        failure_reason: w.failure_reason,
        open: withdrawals::OPEN.contains(&w.status.as_str()),
        timeline,
        entries,
    }))
}
