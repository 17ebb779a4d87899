//! The admin dashboard's figures: today's and this week's deposits, what is
//! open, in suspense or flagged, the oldest open deposit, deposits per hour
//! for the last 48 hours, and bursts of refused postbacks.

use super::super::db::{Db, now_ms};
use crate::domain::time::IST_OFFSET_MS;
use crate::views::{Dashboard, DepositWindow, TransactionQuery};

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;

#[derive(sqlx::FromRow)]
struct Window {
    n: i64,
    credited_n: i64,
    credited_paise: i64,
}

async fn window(db: &Db, since: i64) -> Result<DepositWindow, sqlx::Error> {
    let w: Window = sqlx::query_as(
        "SELECT COUNT(*) AS n,
                CAST(COALESCE(SUM(CASE WHEN status = 'credited' THEN 1 ELSE 0 END), 0) AS BIGINT) AS credited_n,
                CAST(COALESCE(SUM(CASE WHEN status = 'credited' THEN COALESCE(credited_paise, amount_paise) ELSE 0 END), 0) AS BIGINT) AS credited_paise
         FROM deposits WHERE created_at >= $1",
    )
    .bind(since)
    .fetch_one(db.pool())
    .await?;
    Ok(DepositWindow { count: w.n, credited_count: w.credited_n, credited_paise: w.credited_paise })
}

#[derive(sqlx::FromRow)]
struct Hour {
    h: i64,
    n: i64,
}

async fn count(db: &Db, sql: &str, since: Option<i64>) -> Result<i64, sqlx::Error> {
    let q = sqlx::query_scalar::<_, i64>(sql);
    match since {
        Some(t) => q.bind(t).fetch_one(db.pool()).await,
        None => q.fetch_one(db.pool()).await,
    }
}

pub async fn dashboard(db: &Db) -> Result<Dashboard, sqlx::Error> {
    let now = now_ms();
    let today_start = (now + IST_OFFSET_MS).div_euclid(DAY_MS) * DAY_MS - IST_OFFSET_MS;
    let week_start = today_start - 6 * DAY_MS;
    let today = window(db, today_start).await?;
    let week = window(db, week_start).await?;
    let pending =
        count(db, "SELECT COUNT(*) FROM deposits WHERE status IN ('created', 'pending', 'unknown')", None).await?;
    let suspense = count(db, "SELECT COUNT(*) FROM provider_payments WHERE status = 'suspense'", None).await?;
    let flagged = count(db, "SELECT COUNT(*) FROM deposits WHERE flag <> ''", None).await?;
    let oldest: Option<String> = sqlx::query_scalar(
        "SELECT id FROM deposits WHERE status IN ('created', 'pending', 'unknown') ORDER BY created_at LIMIT 1",
    )
    .fetch_optional(db.pool())
    .await?;
    let oldest_pending = match oldest {
        Some(id) => {
            let q = TransactionQuery { kind: "deposit".into(), q: id.clone(), ..Default::default() };
            super::transactions::page(db, &q).await?.rows.into_iter().find(|r| r.id == id)
        }
        None => None,
    };
    let hours_from = (now.div_euclid(HOUR_MS) - 47) * HOUR_MS;
    let hours: Vec<Hour> = sqlx::query_as(
        "SELECT (created_at - $1) / 3600000 AS h, COUNT(*) AS n FROM deposits WHERE created_at >= $1 GROUP BY (created_at - $1) / 3600000",
    )
    .bind(hours_from)
    .fetch_all(db.pool())
    .await?;
    let mut per_hour = vec![0i64; 48];
    for h in hours {
        if let Some(slot) = usize::try_from(h.h).ok().and_then(|i| per_hour.get_mut(i)) {
            *slot = h.n;
        }
    }
    let refused =
        "SELECT COUNT(*) FROM postbacks WHERE received_at >= $1 AND verdict IN ('rejected', 'malformed', 'error')";
    let refused_last_hour = count(db, refused, Some(now - HOUR_MS)).await?;
    let refused_last_day = count(db, refused, Some(now - DAY_MS)).await?;
    let suspense_list = sqlx::query_as(
        "SELECT transaction_id, amount_paise, label, order_ref, created_at, currency, reason FROM provider_payments
         WHERE status = 'suspense' ORDER BY created_at LIMIT 10",
    )
    .fetch_all(db.pool())
    .await?;
    Ok(Dashboard {
        suspense_list,
        today,
        week,
        pending,
        suspense,
        flagged,
        oldest_pending,
        per_hour,
        hours_from,
        refused_last_hour,
        refused_last_day,
        server_now: now,
    })
}
