//! Server functions of the admin pages (admins only).

use crate::domain::DepositStatus;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminDeposit {
    pub id: String,
    pub login: String,
    pub amount_paise: i64,
    pub credited_paise: Option<i64>,
    pub method: String,
    pub status: DepositStatus,
    pub order_id: Option<String>,
    pub provider_txn_id: Option<String>,
    pub flags: String,
    pub failure_reason: Option<String>,
    pub created_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

pub const ADMIN_PAGE: i64 = 50;

/// Deposits filtered by status and a search over deposit id, login, order id
/// and UPI reference; newest first, keyset paginated on created_at.
#[server(endpoint = "admin/overview")]
pub async fn get_admin_overview(
    q: Option<String>,
    status: Option<String>,
    before: Option<i64>,
    verdict: Option<String>,
    postbacks_before: Option<i64>,
) -> Result<AdminOverview, ServerFnError> {
    use super::ssr::*;
    use sqlx::Row;
    let state = state()?;
    require_admin()?;
    let db = &state.db;
    let err = |e: sqlx::Error| {
        tracing::error!(error = %e, "admin query failed");
        ServerFnError::new("The service is temporarily unavailable. Try again in a moment.")
    };
    let mut counts = Vec::new();
    for r in sqlx::query("SELECT status, COUNT(*) FROM deposits GROUP BY status").fetch_all(db.pool()).await.map_err(err)? {
        if let Some(s) = DepositStatus::parse(&r.try_get::<String, _>(0).map_err(err)?) {
            counts.push((s, r.try_get::<i64, _>(1).map_err(err)?));
        }
    }
    counts.sort_by_key(|(s, _)| DepositStatus::ALL.iter().position(|x| x == s));
    let credited_total_paise: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(amount_paise), 0) AS BIGINT) FROM ledger_entries WHERE kind = 'deposit_credit'",
    )
    .fetch_one(db.pool())
    .await
    .map_err(err)?;

    let suspense = sqlx::query(
        "SELECT transaction_id, amount_paise, label, order_ref, created_at, currency, reason FROM provider_payments
         WHERE status = 'suspense' ORDER BY created_at DESC LIMIT 100",
    )
    .fetch_all(db.pool())
    .await
    .map_err(err)?
    .iter()
    .map(|r| -> Result<SuspensePayment, sqlx::Error> {
        Ok(SuspensePayment {
            transaction_id: r.try_get(0)?,
            amount_paise: r.try_get(1)?,
            label: r.try_get(2)?,
            order_ref: r.try_get(3)?,
            created_at: r.try_get(4)?,
            currency: r.try_get(5)?,
            reason: r.try_get(6)?,
        })
    })
    .collect::<Result<Vec<_>, _>>()
    .map_err(err)?;

    let search = q.unwrap_or_default().trim().to_lowercase();
    let like = format!("%{}%", search.replace(['\\', '%'], "").replace('_', "\\_"));
    let status = status.filter(|s| DepositStatus::parse(s).is_some()).unwrap_or_default();
    let rows = sqlx::query(
        "SELECT d.id, u.login, d.amount_paise, d.credited_paise, d.method, d.status, d.order_id, d.provider_txn_id,
                CASE WHEN d.flag = '' THEN d.flags WHEN d.flags = '' THEN d.flag ELSE d.flags || ',' || d.flag END,
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
    .await
    .map_err(err)?;
    let mut deposits = rows
        .iter()
        .map(|r| -> Result<AdminDeposit, sqlx::Error> {
            Ok(AdminDeposit {
                id: r.try_get(0)?,
                login: r.try_get(1)?,
                amount_paise: r.try_get(2)?,
                credited_paise: r.try_get(3)?,
                method: r.try_get(4)?,
                status: DepositStatus::parse(&r.try_get::<String, _>(5)?).unwrap_or(DepositStatus::Unknown),
                order_id: r.try_get(6)?,
                provider_txn_id: r.try_get(7)?,
                flags: r.try_get(8)?,
                failure_reason: r.try_get(9)?,
                created_at: r.try_get(10)?,
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(err)?;
    let next_before = if deposits.len() as i64 > ADMIN_PAGE {
        deposits.truncate(ADMIN_PAGE as usize);
        deposits.last().map(|d| d.created_at)
    } else {
        None
    };

    let verdict = verdict.unwrap_or_default();
    let rows = sqlx::query(
        "SELECT id, received_at, remote_addr, direction, verdict, detail, http_status, body FROM postbacks
         WHERE ($1 = '' OR verdict = $1) AND id < $2 ORDER BY id DESC LIMIT $3",
    )
    .bind(&verdict)
    .bind(postbacks_before.unwrap_or(i64::MAX))
    .bind(ADMIN_PAGE + 1)
    .fetch_all(db.pool())
    .await
    .map_err(err)?;
    let mut postbacks = rows
        .iter()
        .map(|r| -> Result<AdminPostback, sqlx::Error> {
            Ok(AdminPostback {
                id: r.try_get(0)?,
                received_at: r.try_get(1)?,
                remote_addr: r.try_get(2)?,
                direction: r.try_get(3)?,
                verdict: r.try_get(4)?,
                detail: r.try_get(5)?,
                http_status: r.try_get(6)?,
                // A signed body is a replayable credential: never shown whole.
                body: crate::paykassma::signature::redact_signature(&r.try_get::<String, _>(7)?),
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(err)?;
    let postbacks_next_before = if postbacks.len() as i64 > ADMIN_PAGE {
        postbacks.truncate(ADMIN_PAGE as usize);
        postbacks.last().map(|p| p.id)
    } else {
        None
    };
    Ok(AdminOverview { counts, credited_total_paise, suspense, deposits, next_before, postbacks, postbacks_next_before })
}

/// The suspense list's "Assign" form (works without JavaScript).
#[server(endpoint = "admin/assign-suspense")]
pub async fn assign_suspense(transaction_id: String, login: String) -> Result<(), ServerFnError> {
    use super::ssr::*;
    use crate::server::postback;
    let state = state()?;
    let admin = require_admin()?;
    match postback::assign_suspense(&state.db, admin.id, transaction_id.trim(), &login).await {
        Ok(_) => redirect_with_notice("/admin", Message::PaymentAssigned),
        Err(e) => {
            if matches!(e, postback::AssignError::Db(_)) {
                tracing::error!(error = %e, "assigning a suspense payment failed");
            }
            #[allow(unreachable_patterns)] // the service may grow refusals; they show as "unavailable"
            let message = match e {
                postback::AssignError::NotInSuspense => Message::NotInSuspense,
                postback::AssignError::UnknownUser(_) => Message::UnknownUser,
                postback::AssignError::NotRupees(_) => Message::NotRupees,
                postback::AssignError::Db(_) => Message::Unavailable,
                _ => Message::Unavailable,
            };
            redirect_with_error("/admin", message, &[]);
        }
    }
    Ok(())
}
