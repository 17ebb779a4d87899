//! Live deposit updates inside one process. Other processes' changes reach a
//! watcher through its periodic database read (see `http::deposit_events`).

use crate::domain::DepositStatus;
use tokio::sync::broadcast;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DepositEvent {
    pub deposit_id: String,
    pub status: DepositStatus,
    pub credited_paise: Option<i64>,
}

#[derive(Clone, Debug)]
pub struct Events {
    tx: broadcast::Sender<DepositEvent>,
}

impl Default for Events {
    fn default() -> Self {
        Events { tx: broadcast::channel(1024).0 }
    }
}

impl Events {
    pub fn publish(&self, event: DepositEvent) {
        // No subscriber is fine: nobody is watching that deposit.
        let _ = self.tx.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<DepositEvent> {
        self.tx.subscribe()
    }
}
