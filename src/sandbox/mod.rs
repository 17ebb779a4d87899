//! A behavioural sandbox of the provider (Paykassma): the same HTTP API
//! (create a UPI S payment, status, IMPS withdrawal), a payment window, a
//! simulated "UPI app" per order, signed postbacks delivered with retries
//! and a delivery log, withdrawals decided on an admin page, and chaos
//! controls. It keeps its own SQLite file so pending deliveries survive a
//! restart.
//!
//! Uses only `crate::paykassma` and external crates: it never imports the
//! portal's server code.
//!
//! Routes:
//! - provider API: `POST /api/v1/payment/create/upi_s?secret=`,
//!   `POST /api/v1/payment/upi_s/status?secret=`, `POST /v2/withdrawal/create`
//! - pages: `GET /` (index, or the payment window when it has a query),
//!   `GET /plugin`, `GET /pay/{order_id}` and its forms
//!   `POST /pay/{order_id}/{pay,decline,expire}`, `GET /admin`,
//!   `POST /admin/chaos`, `POST /admin/balance`,
//!   `POST /admin/withdrawals/{id}/{paid,rejected}`, `GET /deliveries`
//! - JSON test hooks under `/sandbox/api/`: `GET|POST chaos`,
//!   `GET deliveries?order_id=`, `GET orders/{id}`,
//!   `POST orders/{id}/{pay,decline,expire}`, `GET withdrawals/{id}`,
//!   `GET withdrawals` (newest first), `POST withdrawals/{id}/{paid,rejected}`, `GET|POST merchant`

mod delivery;
mod hooks;
mod html;
mod ops;
mod pages;
pub mod postback;
mod provider_api;
mod store;
mod time;

use crate::paykassma::secret::{Secret, demo};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use sqlx::SqlitePool;
use tokio::sync::{Notify, watch};

/// Chaos controls: how the sandbox misbehaves on purpose. `Default` = off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Chaos {
    /// Send each postback this many extra times (identical copies).
    pub duplicate_postbacks: u32,
    /// Deliver the postbacks (and copies) that are due together in parallel.
    pub concurrent: bool,
    /// Deliver due postbacks newest first, and add a random 0-300 ms jitter
    /// to each new one so later events may overtake earlier ones.
    pub out_of_order: bool,
    /// Wait this long before the first delivery attempt of a new postback.
    pub delay: Duration,
    /// The next N status calls answer an error instead of the status:
    /// alternately a 200 with single-quoted pseudo-JSON and a 500 HTML page.
    pub status_errors_for: u32,
    /// For the next N postbacks, first send one forged copy (wrong
    /// signature, one attempt, never retried), then the genuine one.
    pub bad_signature_next: u32,
    /// The next N withdrawal requests are accepted (recorded, to be decided
    /// as usual) but their answer is lost: a 504 gateway page, as when a
    /// proxy gives up. The merchant cannot know whether it arrived.
    pub withdrawal_answer_lost_next: u32,
}

/// Everything the sandbox needs to know.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// `?secret=` of the payment API.
    pub api_secret: Secret,
    /// The merchant's public postback key (top-level `access_key`).
    pub access_key: String,
    /// The merchant's private key for postback signatures.
    pub private_key: Secret,
    /// The key withdrawal requests are signed with.
    pub withdrawal_key: Secret,
    /// Where the merchant wants postbacks.
    pub postback_url: String,
    /// `sqlite:path/to/file.db` (the directory and file are created).
    pub database_url: String,
    /// The sandbox's own base URL, for links (e.g. `http://127.0.0.1:3100`).
    pub public_url: String,
    /// Smallest and largest amount accepted (deposits and withdrawals).
    pub min_paise: i64,
    pub max_paise: i64,
    /// Delays between delivery attempts; the last one repeats.
    pub retry_schedule: Vec<Duration>,
    /// How long an unpaid order stays payable.
    pub order_ttl: Duration,
    /// The merchant balance withdrawals draw on, used when the database is
    /// created (afterwards the stored balance counts; change it on /admin).
    pub merchant_balance_paise: i64,
    /// Decide pending withdrawals as paid automatically after this long.
    pub auto_withdrawal_after: Option<Duration>,
    /// Initial chaos settings (changeable at run time on /admin).
    pub chaos: Chaos,
}

/// The default delivery retry schedule
/// ([`crate::paykassma::POSTBACK_RETRY_SECONDS`]).
pub fn default_retry_schedule() -> Vec<Duration> {
    crate::paykassma::POSTBACK_RETRY_SECONDS.into_iter().map(Duration::from_secs).collect()
}

impl SandboxConfig {
    /// Demo settings: demo keys, ₹100 to ₹1,00,000, the default retry
    /// schedule, 15-minute orders, ₹10,00,000 merchant balance, withdrawals
    /// decided by hand, no chaos.
    pub fn demo(
        public_url: impl Into<String>,
        postback_url: impl Into<String>,
        database_url: impl Into<String>,
    ) -> Self {
        Self {
            api_secret: Secret::new(demo::API_SECRET),
            access_key: demo::ACCESS_KEY.to_owned(),
            private_key: Secret::new(demo::PRIVATE_KEY),
            withdrawal_key: Secret::new(demo::WITHDRAWAL_KEY),
            postback_url: postback_url.into(),
            database_url: database_url.into(),
            public_url: public_url.into(),
            min_paise: 10_000,
            max_paise: 10_000_000,
            retry_schedule: default_retry_schedule(),
            order_ttl: Duration::from_secs(15 * 60),
            merchant_balance_paise: 100_000_000,
            auto_withdrawal_after: None,
            chaos: Chaos::default(),
        }
    }

    fn check(&self) -> Result<(), SandboxError> {
        let bad = |m: &str| Err(SandboxError::Config(m.to_owned()));
        if self.api_secret.expose().is_empty() {
            return bad("api_secret must not be empty");
        }
        if self.access_key.is_empty() || self.private_key.expose().is_empty() {
            return bad("access_key and private_key must not be empty");
        }
        if self.min_paise <= 0 || self.max_paise < self.min_paise {
            return bad("min_paise must be positive and not above max_paise");
        }
        if self.max_paise > crate::domain::money::MAX_WIRE_PAISE {
            return bad("max_paise is too large");
        }
        if self.order_ttl.is_zero() {
            return bad("order_ttl must be positive");
        }
        if self.retry_schedule.iter().any(|d| d.is_zero()) {
            return bad("retry_schedule delays must be positive");
        }
        url::Url::parse(&self.postback_url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .map(|_| ())
            .ok_or_else(|| SandboxError::Config("postback_url must be an http(s) URL".to_owned()))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("sandbox configuration: {0}")]
    Config(String),
    #[error("sandbox database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("sandbox database file: {0}")]
    Io(#[from] std::io::Error),
}

/// What a [`SandboxState`] holds.
pub struct SandboxInner {
    pub config: SandboxConfig,
    pub(crate) db: SqlitePool,
    pub(crate) chaos: Mutex<Chaos>,
    /// Wakes the delivery worker (new postback or withdrawal).
    pub(crate) wake: Notify,
    /// Postback delivery client.
    pub(crate) http: reqwest::Client,
}

/// Shared state of the sandbox's routes and worker. Cheap to clone.
#[derive(Clone)]
pub struct SandboxState(Arc<SandboxInner>);

impl std::ops::Deref for SandboxState {
    type Target = SandboxInner;
    fn deref(&self) -> &SandboxInner {
        &self.0
    }
}

impl SandboxState {
    /// Opens (creating if needed) and migrates the sandbox database. Does
    /// not start the delivery worker: see [`spawn`] or [`SandboxState::run_worker`].
    pub async fn open(config: SandboxConfig) -> Result<Self, SandboxError> {
        config.check()?;
        let db = store::open(&config.database_url).await?;
        store::migrate(&db, config.merchant_balance_paise).await?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("Paykassma-Sandbox/1.0")
            .build()
            .map_err(|e| SandboxError::Config(format!("HTTP client: {e}")))?;
        let chaos = Mutex::new(config.chaos.clone());
        Ok(Self(Arc::new(SandboxInner { config, db, chaos, wake: Notify::new(), http })))
    }

    /// A copy of the current chaos settings.
    pub fn chaos(&self) -> Chaos {
        self.chaos.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// Replaces the chaos settings.
    pub fn set_chaos(&self, chaos: Chaos) {
        if let Ok(mut c) = self.chaos.lock() {
            *c = chaos;
        }
        self.wake.notify_one();
    }

    /// Runs the postback delivery worker until `shutdown` turns true (or its
    /// sender is dropped).
    pub async fn run_worker(&self, shutdown: watch::Receiver<bool>) {
        delivery::run(self.clone(), shutdown).await;
    }

    /// Closes the database.
    pub async fn close(&self) {
        self.db.close().await;
    }
}

/// The sandbox's routes.
pub fn router(state: SandboxState) -> Router {
    Router::new()
        // The provider API.
        .route("/api/v1/payment/create/upi_s", post(provider_api::create_payment))
        .route("/api/v1/payment/upi_s/status", post(provider_api::payment_status))
        .route("/v2/withdrawal/create", post(provider_api::create_withdrawal))
        // Pages.
        .route("/", get(pages::index))
        .route("/plugin", get(pages::plugin))
        .route("/pay/{order_id}", get(pages::pay_page))
        .route("/pay/{order_id}/{action}", post(pages::pay_action))
        .route("/admin", get(pages::admin))
        .route("/admin/chaos", post(pages::admin_chaos))
        .route("/admin/balance", post(pages::admin_balance))
        .route("/admin/withdrawals/{id}/{decision}", post(pages::admin_withdrawal))
        .route("/deliveries", get(pages::deliveries))
        // JSON test hooks.
        .route("/sandbox/api/chaos", get(hooks::get_chaos).post(hooks::set_chaos))
        .route("/sandbox/api/deliveries", get(hooks::deliveries))
        .route("/sandbox/api/orders/{order_id}", get(hooks::get_order))
        .route("/sandbox/api/orders/{order_id}/{action}", post(hooks::order_action))
        .route("/sandbox/api/withdrawals", get(hooks::list_withdrawals))
        .route("/sandbox/api/withdrawals/{id}", get(hooks::get_withdrawal))
        .route("/sandbox/api/withdrawals/{id}/{decision}", post(hooks::withdrawal_action))
        .route("/sandbox/api/merchant", get(hooks::get_merchant).post(hooks::set_merchant))
        .with_state(state)
}

async fn shutdown_signal(mut rx: watch::Receiver<bool>) {
    loop {
        if *rx.borrow_and_update() {
            return;
        }
        if rx.changed().await.is_err() {
            return;
        }
    }
}

/// Opens and migrates the sandbox's SQLite, starts the postback delivery
/// worker and serves the sandbox on `listener` (TCP_NODELAY on every
/// connection) until `shutdown` turns true or its sender is dropped; then
/// stops gracefully (the worker finishes its current attempt) and closes the
/// database. The returned handle finishes when all that is done.
pub async fn spawn(
    config: SandboxConfig,
    listener: tokio::net::TcpListener,
    shutdown: watch::Receiver<bool>,
) -> Result<tokio::task::JoinHandle<()>, SandboxError> {
    use axum::serve::ListenerExt;

    let state = SandboxState::open(config).await?;
    let app = router(state.clone());
    let worker_state = state.clone();
    let worker_shutdown = shutdown.clone();
    let worker = tokio::spawn(async move { worker_state.run_worker(worker_shutdown).await });
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    Ok(tokio::spawn(async move {
        let served = axum::serve(listener, app).with_graceful_shutdown(shutdown_signal(shutdown)).await;
        if let Err(e) = served {
            tracing::error!(error = %e, "sandbox server stopped with an error");
        }
        let _ = worker.await;
        state.close().await;
    }))
}
