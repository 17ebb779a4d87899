//! Live deposit updates. Inside one process every change is published on a
//! broadcast channel that the live-status streams (`http::deposit_events`)
//! read. On PostgreSQL every committed status change of a deposit or
//! withdrawal is also announced with NOTIFY by a trigger, inside the
//! transaction that makes it (migration 0010), and each portal process
//! LISTENs on one connection of its own and republishes what it hears here,
//! so a page served by any process hears of a credit made by any other.

use crate::domain::DepositStatus;
use tokio::sync::broadcast;

/// The PostgreSQL channel the status triggers notify on.
pub const CHANNEL: &str = "portal_status";

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DepositEvent {
    pub deposit_id: String,
    pub status: DepositStatus,
    pub credited_paise: Option<i64>,
}

/// What a live-status stream hears.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Deposit(DepositEvent),
    /// A withdrawal's status changed (announced for completeness; no page
    /// streams withdrawals yet).
    Withdrawal {
        withdrawal_id: String,
    },
    /// Notifications may have been missed (the listener reconnected):
    /// every stream re-reads its deposit.
    Resync,
}

#[derive(Clone, Debug)]
pub struct Events {
    tx: broadcast::Sender<Change>,
}

impl Default for Events {
    fn default() -> Self {
        Events { tx: broadcast::channel(1024).0 }
    }
}

impl Events {
    pub fn publish(&self, event: DepositEvent) {
        self.send(Change::Deposit(event));
    }

    pub fn resync(&self) {
        self.send(Change::Resync);
    }

    fn send(&self, change: Change) {
        // No subscriber is fine: nobody is watching.
        let _ = self.tx.send(change);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.tx.subscribe()
    }
}

/// A notification's payload, as the trigger writes it:
/// `{"kind":"deposit","id":"...","status":"credited","credited_paise":25000}`.
pub fn parse_notification(payload: &str) -> Option<Change> {
    #[derive(serde::Deserialize)]
    struct Payload {
        kind: String,
        id: String,
        status: String,
        credited_paise: Option<i64>,
    }
    let p: Payload = serde_json::from_str(payload).ok()?;
    match p.kind.as_str() {
        "deposit" => Some(Change::Deposit(DepositEvent {
            deposit_id: p.id,
            status: DepositStatus::parse(&p.status)?,
            credited_paise: p.credited_paise,
        })),
        "withdrawal" => Some(Change::Withdrawal { withdrawal_id: p.id }),
        _ => None,
    }
}

/// LISTENs on [`CHANNEL`] on a connection of its own.
pub async fn listen(url: &str) -> Result<sqlx::postgres::PgListener, sqlx::Error> {
    let mut listener = sqlx::postgres::PgListener::connect(url).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Republishes every notification into `events` until shutdown. A lost
/// connection is replaced (after a database restart, say) and every stream
/// is told to re-read, since notifications sent meanwhile are gone; the
/// streams' own periodic re-read covers the time without a listener.
pub async fn run_listener(
    url: String,
    mut listener: Option<sqlx::postgres::PgListener>,
    events: Events,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    use std::time::Duration;
    let mut backoff = Duration::from_millis(100);
    loop {
        let Some(current) = listener.as_mut() else {
            let stop = tokio::select! {
                _ = tokio::time::sleep(backoff) => false,
                _ = shutdown.wait_for(|stop| *stop) => true,
            };
            if stop {
                return;
            }
            // A connect into a database that does not answer must not hold up shutdown.
            let attempt = tokio::select! {
                r = tokio::time::timeout(Duration::from_secs(10), listen(&url)) => r,
                _ = shutdown.wait_for(|stop| *stop) => return,
            };
            match attempt.unwrap_or_else(|_| Err(sqlx::Error::PoolTimedOut)) {
                Ok(l) => {
                    tracing::info!("status notifications: listening again");
                    listener = Some(l);
                    backoff = Duration::from_millis(100);
                    events.resync();
                }
                Err(e) => {
                    tracing::warn!(error = %e, "status notifications: cannot listen; streams re-read periodically");
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
            continue;
        };
        let received = tokio::select! {
            r = current.try_recv() => r,
            _ = shutdown.wait_for(|stop| *stop) => return,
        };
        match received {
            Ok(Some(n)) => match parse_notification(n.payload()) {
                Some(change) => events.send(change),
                None => tracing::warn!(payload = n.payload(), "status notifications: unreadable payload"),
            },
            Ok(None) | Err(_) => {
                // Start over on a fresh connection rather than trust one
                // that failed; whatever was sent meanwhile is re-read.
                tracing::warn!("status notifications: connection lost; reconnecting");
                listener = None;
                events.resync();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_triggers_payloads_and_nothing_else() {
        let d = parse_notification(r#"{"kind":"deposit","id":"dep_1","status":"credited","credited_paise":25000}"#);
        assert_eq!(
            d,
            Some(Change::Deposit(DepositEvent {
                deposit_id: "dep_1".into(),
                status: DepositStatus::Credited,
                credited_paise: Some(25000)
            }))
        );
        let w = parse_notification(r#"{"kind":"withdrawal","id":"wd_1","status":"paid","credited_paise":null}"#);
        assert_eq!(w, Some(Change::Withdrawal { withdrawal_id: "wd_1".into() }));
        assert_eq!(
            parse_notification(r#"{"kind":"deposit","id":"d","status":"nonsense","credited_paise":null}"#),
            None
        );
        assert_eq!(parse_notification("not json"), None);
    }
}
