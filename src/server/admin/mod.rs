//! What the admin pages read: deposit counts and totals, the suspense list,
//! deposits and postbacks (searchable, keyset paginated, newest first).

pub mod audit;
pub mod dashboard;
pub mod detail;
pub mod inspector;
pub mod postbacks;
pub mod transactions;
pub mod users;

use super::db::Db;
use crate::domain::DepositStatus;
use crate::views::{AdminDeposit, AdminOverview, AdminPostback, SuspensePayment};

/// Rows per page of each admin list.
pub const ADMIN_PAGE: i64 = 50;

/// What the admin overview is asked for (all optional, from the URL).
#[derive(Debug, Clone, Default)]
pub struct OverviewQuery {
    /// Matches a deposit id, login, order id or UPI reference (substring).
    pub q: Option<String>,
    pub status: Option<String>,
    /// Deposits created before this time (the deposits' keyset cursor).
    pub before: Option<i64>,
    pub verdict: Option<String>,
    /// Postbacks with an id below this (the postbacks' keyset cursor).
    pub postbacks_before: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct StatusCount {
    #[sqlx(try_from = "String")]
    status: DepositStatus,
    n: i64,
}

pub async fn overview(db: &Db, query: OverviewQuery) -> Result<AdminOverview, sqlx::Error> {
    let OverviewQuery { q, status, before, verdict, postbacks_before } = query;
    let mut counts: Vec<(DepositStatus, i64)> =
        sqlx::query_as::<_, StatusCount>("SELECT status, COUNT(*) AS n FROM deposits GROUP BY status")
            .fetch_all(db.pool())
            .await?
            .into_iter()
            .map(|c| (c.status, c.n))
            .collect();
    counts.sort_by_key(|(s, _)| DepositStatus::ALL.iter().position(|x| x == s));
    let credited_total_paise: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(amount_paise), 0) AS BIGINT) FROM ledger_entries WHERE kind = 'deposit_credit'",
    )
    .fetch_one(db.pool())
    .await?;

    let suspense: Vec<SuspensePayment> = sqlx::query_as(
        "SELECT transaction_id, amount_paise, label, order_ref, created_at, currency, reason FROM provider_payments
         WHERE status = 'suspense' ORDER BY created_at DESC LIMIT 100",
    )
    .fetch_all(db.pool())
    .await?;

    let search = q.unwrap_or_default().trim().to_lowercase();
    let like = format!("%{}%", search.replace(['\\', '%'], "").replace('_', "\\_"));
    let status = status.filter(|s| DepositStatus::parse(s).is_some()).unwrap_or_default();
    let mut deposits: Vec<AdminDeposit> = sqlx::query_as(
        "SELECT d.id, u.login, d.amount_paise, d.credited_paise, d.method, d.status, d.order_id, d.provider_txn_id,
                CASE WHEN d.flag = '' THEN d.flags WHEN d.flags = '' THEN d.flag ELSE d.flags || ',' || d.flag END AS flags,
                d.failure_reason, d.created_at
         FROM deposits d JOIN users u ON u.id = d.user_id
         WHERE ($1 = '' OR d.status = $1)
           AND ($2 = '' OR LOWER(d.id) LIKE $3 ESCAPE '\\' OR u.login LIKE $3 ESCAPE '\\'
                OR LOWER(COALESCE(d.order_id, '')) LIKE $3 ESCAPE '\\' OR COALESCE(d.provider_txn_id, '') LIKE $3 ESCAPE '\\')
           AND d.created_at < $4
         ORDER BY d.created_at DESC LIMIT $5",
    )
    .bind(&status)
    .bind(&search)
    .bind(&like)
    .bind(before.unwrap_or(i64::MAX))
    .bind(ADMIN_PAGE + 1)
    .fetch_all(db.pool())
    .await?;
    let next_before = if deposits.len() as i64 > ADMIN_PAGE {
        deposits.truncate(ADMIN_PAGE as usize);
        deposits.last().map(|d| d.created_at)
    } else {
        None
    };

    let verdict = verdict.unwrap_or_default();
    let mut postbacks: Vec<AdminPostback> = sqlx::query_as(
        "SELECT id, received_at, remote_addr, direction, verdict, detail, http_status, body FROM postbacks
         WHERE ($1 = '' OR verdict = $1) AND id < $2 ORDER BY id DESC LIMIT $3",
    )
    .bind(&verdict)
    .bind(postbacks_before.unwrap_or(i64::MAX))
    .bind(ADMIN_PAGE + 1)
    .fetch_all(db.pool())
    .await?;
    // A signed body is a replayable credential: never shown whole.
    for p in &mut postbacks {
        p.body = crate::paykassma::signature::redact_signature(&p.body);
    }
    let postbacks_next_before = if postbacks.len() as i64 > ADMIN_PAGE {
        postbacks.truncate(ADMIN_PAGE as usize);
        postbacks.last().map(|p| p.id)
    } else {
        None
    };
    Ok(AdminOverview {
        counts,
        credited_total_paise,
        suspense,
        deposits,
        next_before,
        postbacks,
        postbacks_next_before,
    })
}
