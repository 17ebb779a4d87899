//! Server functions of the balance page.

use crate::domain::DepositStatus;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

pub const PAGE_SIZE: i64 = 20;

#[server(endpoint = "balance")]
pub async fn get_balance(before: Option<i64>) -> Result<BalanceView, ServerFnError> {
    use super::ssr::*;
    use crate::server::deposits;
    use sqlx::Row;
    let state = state()?;
    let user = require_user()?;
    let err = |e: sqlx::Error| {
        tracing::error!(error = %e, "balance page query failed");
        ServerFnError::new("The service is temporarily unavailable. Try again in a moment.")
    };
    let row = sqlx::query("SELECT available_paise, held_paise FROM users WHERE id = $1")
        .bind(user.id)
        .fetch_one(state.db.pool())
        .await
        .map_err(err)?;
    let available: i64 = row.try_get(0).map_err(err)?;
    let held: i64 = row.try_get(1).map_err(err)?;
    let rows = sqlx::query(
        "SELECT id, kind, bucket, amount_paise, reference, memo, created_at FROM ledger_entries
         WHERE user_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
    )
    .bind(user.id)
    .bind(before.unwrap_or(i64::MAX))
    .bind(PAGE_SIZE + 1)
    .fetch_all(state.db.pool())
    .await
    .map_err(err)?;
    let mut entries = Vec::with_capacity(rows.len());
    for r in &rows {
        entries.push(EntryView {
            id: r.try_get(0).map_err(err)?,
            kind: r.try_get(1).map_err(err)?,
            bucket: r.try_get(2).map_err(err)?,
            amount_paise: r.try_get(3).map_err(err)?,
            reference: r.try_get(4).map_err(err)?,
            memo: r.try_get(5).map_err(err)?,
            created_at: r.try_get(6).map_err(err)?,
        });
    }
    let next_before = if entries.len() as i64 > PAGE_SIZE {
        entries.truncate(PAGE_SIZE as usize);
        entries.last().map(|e| e.id)
    } else {
        None
    };
    let open_deposits = deposits::list_open_for_user(&state, user.id)
        .await
        .map_err(err)?
        .into_iter()
        .map(|d| OpenDeposit { id: d.id, amount_paise: d.amount_paise, status: d.status, created_at: d.created_at })
        .collect();
    Ok(BalanceView {
        login: user.login,
        balance_paise: available + held,
        available_paise: available,
        held_paise: held,
        open_deposits,
        entries,
        next_before,
    })
}
