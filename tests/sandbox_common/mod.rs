//! Shared helpers: a sandbox on 127.0.0.1:0 with a temp SQLite file, a
//! client for it, a tiny postback receiver.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::post;
use portal::domain::{AccountHolder, AccountNumber, Ifsc};
use portal::paykassma::client::PaykassmaClient;
use portal::paykassma::secret::Secret;
use portal::paykassma::types::{CreatePayment, WithdrawalRequest};
use portal::sandbox::{SandboxConfig, spawn};
use tokio::sync::watch;

pub const FAST: Duration = Duration::from_millis(50);

pub struct Sandbox {
    pub url: String,
    pub config: SandboxConfig,
    pub dir: Arc<tempfile::TempDir>,
    tx: watch::Sender<bool>,
    handle: tokio::task::JoinHandle<()>,
}

impl Sandbox {
    pub async fn stop(self) -> Arc<tempfile::TempDir> {
        let _ = self.tx.send(true);
        tokio::time::timeout(Duration::from_secs(10), self.handle)
            .await
            .expect("sandbox stops within 10 s")
            .expect("sandbox task");
        self.dir
    }

    pub fn client(&self) -> PaykassmaClient {
        client_for(&self.url, self.config.api_secret.expose(), self.config.withdrawal_key.expose())
    }

    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let r = reqwest::get(format!("{}{path}", self.url)).await.expect("GET");
        r.json().await.expect("JSON")
    }

    pub async fn post_json(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        let r = reqwest::Client::new().post(format!("{}{path}", self.url)).json(&body).send().await.expect("POST");
        let status = r.status().as_u16();
        (status, r.json().await.expect("JSON"))
    }

    /// A test hook on an order: `pay`, `decline` or `expire` (no body).
    pub async fn order_action(&self, order_id: &str, action: &str) -> (u16, serde_json::Value) {
        self.post_json(&format!("/sandbox/api/orders/{order_id}/{action}"), serde_json::json!({})).await
    }

    /// A test hook on a withdrawal: `paid` or `rejected`.
    pub async fn withdrawal_action(&self, id: &str, decision: &str) -> (u16, serde_json::Value) {
        self.post_json(&format!("/sandbox/api/withdrawals/{id}/{decision}"), serde_json::json!({})).await
    }

    /// All postbacks of one order/withdrawal (newest first).
    pub async fn deliveries(&self, ref_id: &str) -> Vec<serde_json::Value> {
        let v = self.get_json(&format!("/sandbox/api/deliveries?order_id={ref_id}")).await;
        v["postbacks"].as_array().cloned().unwrap_or_default()
    }

    /// Waits until `n` postbacks of `ref_id` are no longer pending.
    pub async fn wait_settled(&self, ref_id: &str, n: usize) -> Vec<serde_json::Value> {
        let start = Instant::now();
        loop {
            let list = self.deliveries(ref_id).await;
            let done = list.iter().filter(|p| p["state"] != "pending").count();
            if list.len() >= n && done >= n {
                return list;
            }
            assert!(start.elapsed() < Duration::from_secs(10), "deliveries did not settle: {list:#?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

pub fn client_for(url: &str, secret: &str, withdrawal_key: &str) -> PaykassmaClient {
    PaykassmaClient::new(
        url,
        Secret::new(secret),
        Secret::new(withdrawal_key),
        Duration::from_secs(2),
        Duration::from_secs(5),
    )
    .expect("client")
}

pub fn config(dir: &tempfile::TempDir, public_url: &str, postback_url: &str) -> SandboxConfig {
    let mut c =
        SandboxConfig::demo(public_url, postback_url, format!("sqlite:{}/sub/dir/sandbox.db", dir.path().display()));
    c.retry_schedule = vec![FAST];
    c
}

pub async fn start_in(
    dir: Arc<tempfile::TempDir>,
    postback_url: &str,
    tweak: impl FnOnce(&mut SandboxConfig),
) -> Sandbox {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let mut cfg = config(&dir, &url, postback_url);
    tweak(&mut cfg);
    let (tx, rx) = watch::channel(false);
    let handle = spawn(cfg.clone(), listener, rx).await.expect("spawn sandbox");
    Sandbox { url, config: cfg, dir, tx, handle }
}

pub async fn start(postback_url: &str, tweak: impl FnOnce(&mut SandboxConfig)) -> Sandbox {
    let dir = Arc::new(tempfile::tempdir().expect("tempdir"));
    start_in(dir, postback_url, tweak).await
}

/// A postback receiver: answers 500 to the first `fail_first` requests,
/// then `{"status":"ok"}`; keeps every body.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    pub bodies: Arc<Mutex<Vec<String>>>,
}

impl Receiver {
    pub fn bodies(&self) -> Vec<String> {
        self.bodies.lock().unwrap().clone()
    }

    pub async fn wait_for(&self, n: usize) -> Vec<String> {
        let start = Instant::now();
        loop {
            let b = self.bodies();
            if b.len() >= n {
                return b;
            }
            assert!(start.elapsed() < Duration::from_secs(10), "only {} postbacks arrived", b.len());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

pub async fn receiver(fail_first: usize) -> Receiver {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    receiver_on(listener, fail_first, None).await
}

/// With `verify = Some((access_key, private_key))`, postbacks whose signature
/// does not verify get a 400 (and are still recorded).
pub async fn receiver_on(
    listener: tokio::net::TcpListener,
    fail_first: usize,
    verify: Option<(String, String)>,
) -> Receiver {
    let url = format!("http://{}/postback", listener.local_addr().expect("addr"));
    let bodies = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = bodies.clone();
    let app = axum::Router::new().route(
        "/postback",
        post(move |body: Bytes| {
            let seen = seen.clone();
            let verify = verify.clone();
            async move {
                let text = String::from_utf8_lossy(&body).into_owned();
                let n = {
                    let mut b = seen.lock().unwrap();
                    b.push(text.clone());
                    b.len()
                };
                if let Some((ak, pk)) = verify
                    && portal::paykassma::signature::verify_postback(&text, &ak, &pk).is_err()
                {
                    return (StatusCode::BAD_REQUEST, r#"{"status":"error","message":"bad signature"}"#);
                }
                if n <= fail_first {
                    (StatusCode::INTERNAL_SERVER_ERROR, "oops")
                } else {
                    (StatusCode::OK, r#"{"status":"ok"}"#)
                }
            }
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Receiver { url, bodies }
}

/// A UPI S payment of `amount_paise` for the user "alice".
pub fn payment(amount_paise: i64, ctid: &str) -> CreatePayment {
    CreatePayment { amount_paise, label: "alice".to_owned(), custom_transaction_id: ctid.to_owned() }
}

/// An IMPS withdrawal to Sita Devi's account (a test payout).
pub fn withdrawal(id: &str, amount_paise: i64) -> WithdrawalRequest {
    WithdrawalRequest {
        withdrawal_id: id.to_owned(),
        amount_paise,
        label: "user-42".to_owned(),
        account_number: AccountNumber::parse("000123456789").expect("account number"),
        account_name: AccountHolder::parse("Sita Devi").expect("holder"),
        ifsc: Ifsc::parse("HDFC0001234").expect("ifsc"),
        is_test: true,
    }
}
