//! A deposit's timeline: `deposit_events` rows written beside the state
//! change they describe (created, the provider's answer, each postback that
//! names it, status checks, expiry), read back for the admin detail page.

use super::db::now_ms;
use sqlx::AnyConnection;

/// What kind of thing happened to a deposit.
pub mod kind {
    pub const CREATED: &str = "created";
    pub const PROVIDER_ANSWER: &str = "provider_answer";
    pub const STATUS_CHECK: &str = "status_check";
    pub const POSTBACK: &str = "postback";
    pub const FAILED: &str = "failed";
    pub const EXPIRED: &str = "expired";
    pub const FLAGGED: &str = "flagged";
}

/// Appends one event inside the caller's transaction (or on its own
/// connection when the change it describes was a single statement).
pub async fn record(
    conn: &mut AnyConnection,
    deposit_id: &str,
    kind: &str,
    detail: &str,
    postback_id: Option<i64>,
) -> Result<(), sqlx::Error> {
    insert(conn, Of::Deposit(deposit_id), kind, detail, postback_id).await
}

/// Whose timeline: a deposit's (`deposit_events`) or a withdrawal's
/// (`withdrawal_events`); both tables have the same shape.
#[derive(Clone, Copy, Debug)]
pub enum Of<'a> {
    Deposit(&'a str),
    Withdrawal(&'a str),
}

impl<'a> Of<'a> {
    fn table_and_column(self) -> (&'static str, &'static str, &'a str) {
        match self {
            Of::Deposit(id) => ("deposit_events", "deposit_id", id),
            Of::Withdrawal(id) => ("withdrawal_events", "withdrawal_id", id),
        }
    }
}

/// Appends one event to `of`'s timeline inside the caller's transaction.
pub async fn insert(
    conn: &mut AnyConnection,
    of: Of<'_>,
    kind: &str,
    detail: &str,
    postback_id: Option<i64>,
) -> Result<(), sqlx::Error> {
    let (table, column, id) = of.table_and_column();
    sqlx::query(&format!("INSERT INTO {table} ({column}, at, kind, detail, postback_id) VALUES ($1, $2, $3, $4, $5)"))
        .bind(id)
        .bind(now_ms())
        .bind(kind)
        .bind(detail)
        .bind(postback_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The same, on a pooled connection of its own.
pub async fn record_alone(db: &super::db::Db, deposit_id: &str, kind: &str, detail: &str) -> Result<(), sqlx::Error> {
    let mut conn = db.writer().acquire().await?;
    record(&mut conn, deposit_id, kind, detail, None).await
}

#[derive(sqlx::FromRow)]
pub struct EventRow {
    pub at: i64,
    pub kind: String,
    pub detail: String,
    pub postback_id: Option<i64>,
}

pub async fn for_deposit(pool: &sqlx::AnyPool, deposit_id: &str) -> Result<Vec<EventRow>, sqlx::Error> {
    read(pool, Of::Deposit(deposit_id)).await
}

/// `of`'s timeline, oldest first.
pub async fn read(pool: &sqlx::AnyPool, of: Of<'_>) -> Result<Vec<EventRow>, sqlx::Error> {
    let (table, column, id) = of.table_and_column();
    sqlx::query_as(&format!("SELECT at, kind, detail, postback_id FROM {table} WHERE {column} = $1 ORDER BY id"))
        .bind(id)
        .fetch_all(pool)
        .await
}
