//! Spawns the whole app (portal + sandbox) on port 0 against a fresh database:
//! a temporary SQLite file, or a fresh PostgreSQL database per test when
//! POSTGRES_URL is set. Every integration test runs on both backends through
//! the `on_both_backends!` macro.
#![allow(dead_code)]

use portal::server::config::Config;
use portal::server::db::Backend;
use portal::server::http::{Running, start};
use std::collections::HashMap;

pub struct TestApp {
    pub base: String,
    pub sandbox: String,
    pub backend: Backend,
    pub http: reqwest::Client,
    pub running: Option<Running>,
    pub database_url: String,
    _dir: tempfile::TempDir,
    pg_admin_url: Option<String>,
    pg_db: Option<String>,
}

pub fn env_config(overrides: &[(&str, &str)]) -> HashMap<String, String> {
    let mut vars: HashMap<String, String> = HashMap::new();
    vars.insert("LEPTOS_SITE_ADDR".into(), "127.0.0.1:0".into());
    vars.insert("SANDBOX_ADDR".into(), "127.0.0.1:0".into());
    vars.insert("STATUS_CHECK_INTERVAL_SECONDS".into(), "1".into());
    for (k, v) in overrides {
        vars.insert(k.to_string(), v.to_string());
    }
    vars
}

/// The PostgreSQL server for tests, or None (printed loudly) when it is not
/// configured; with REQUIRE_POSTGRES=1 a missing server fails the test.
pub async fn postgres_base() -> Option<String> {
    let required = std::env::var("REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
    let Ok(url) = std::env::var("POSTGRES_URL") else {
        assert!(!required, "REQUIRE_POSTGRES=1 but POSTGRES_URL is not set");
        eprintln!("SKIPPED on postgres: POSTGRES_URL is not set");
        return None;
    };
    use sqlx::Connection;
    match sqlx::postgres::PgConnection::connect(&url).await {
        Ok(c) => {
            let _ = c.close().await;
            Some(url)
        }
        Err(e) => {
            assert!(!required, "REQUIRE_POSTGRES=1 but PostgreSQL at POSTGRES_URL is unreachable: {e}");
            eprintln!("SKIPPED on postgres: {e}");
            None
        }
    }
}

pub fn unique_name(prefix: &str) -> String {
    use rand::Rng;
    let n: u64 = rand::thread_rng().r#gen();
    format!("{prefix}_{n:016x}")
}

/// A database URL on the given backend; for PostgreSQL a new, empty database.
pub async fn fresh_database(backend: Backend, dir: &std::path::Path) -> Option<(String, Option<(String, String)>)> {
    match backend {
        Backend::Sqlite => Some((format!("sqlite://{}/portal.db", dir.display()), None)),
        Backend::Postgres => {
            let base = postgres_base().await?;
            let name = unique_name("portal_test");
            let mut url = url::Url::parse(&base).expect("POSTGRES_URL is a URL");
            url.set_path(&format!("/{name}"));
            Some((url.to_string(), Some((base, name))))
        }
    }
}

pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, &[]).await
}

pub async fn spawn_app_with(backend: Backend, overrides: &[(&str, &str)]) -> Option<TestApp> {
    spawn_app_via(backend, |url| url.to_string(), overrides).await
}

/// As `spawn_app_with`, with the app's database URL rewritten by `via` (to
/// reach the database through a test's own TCP proxy, say).
pub async fn spawn_app_via(
    backend: Backend,
    via: impl FnOnce(&str) -> String,
    overrides: &[(&str, &str)],
) -> Option<TestApp> {
    let dir = tempfile::tempdir().expect("temp dir");
    let (database_url, pg) = fresh_database(backend, dir.path()).await?;
    let database_url = via(&database_url);
    let sandbox_db = format!("sqlite://{}/sandbox.db", dir.path().display());
    let mut pairs: Vec<(&str, &str)> =
        vec![("DATABASE_URL", database_url.as_str()), ("SANDBOX_DATABASE_URL", sandbox_db.as_str())];
    pairs.extend_from_slice(overrides);
    let config = Config::from_map(&env_config(&pairs)).expect("test config is valid");
    let running = start(config).await.expect("app starts");
    let base = format!("http://{}", running.addr);
    let sandbox = running.sandbox_addr.map(|a| format!("http://{a}")).unwrap_or_default();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        // Longer than the server's own request timeout (30 s): a stalled
        // request then fails with the server's 408, not a client timeout.
        // (A clean-clone CI run once saw one GET stall 20 s on PostgreSQL
        // right after the cold build, while the disk was flushing the build.)
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .expect("client");
    let (pg_admin_url, pg_db) = match pg {
        Some((a, d)) => (Some(a), Some(d)),
        None => (None, None),
    };
    Some(TestApp { base, sandbox, backend, http, running: Some(running), database_url, _dir: dir, pg_admin_url, pg_db })
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn db(&self) -> &portal::server::db::Db {
        &self.running.as_ref().expect("running").db
    }

    /// Signs up through the real form endpoint; returns the session cookie.
    pub async fn sign_up(&self, login: &str, password: &str) -> String {
        let resp = post_sign_up(&self.http, &self.base, login, password).await;
        assert_eq!(resp.status(), 302, "sign-up redirects");
        session_cookie(&resp)
            .unwrap_or_else(|| panic!("sign-up for {login} set no session cookie: {:?}", resp.headers()))
    }

    /// The provider order behind a deposit (set once the create call answered).
    pub async fn order_of(&self, deposit_id: &str) -> String {
        let o: Option<String> = sqlx::query_scalar("SELECT order_id FROM deposits WHERE id = $1")
            .bind(deposit_id)
            .fetch_one(self.db().pool())
            .await
            .expect("deposit row");
        o.expect("the deposit has a provider order")
    }

    /// Plays the payer at the sandbox: `pay`, `decline` or `expire` an order
    /// (the hook `POST /sandbox/api/orders/{order}/{action}`); panics unless it succeeded.
    pub async fn order_action(&self, order: &str, action: &str) -> serde_json::Value {
        let r = self
            .http
            .post(format!("{}/sandbox/api/orders/{order}/{action}", self.sandbox))
            .json(&serde_json::json!({}))
            .send()
            .await
            .expect("sandbox hook");
        assert!(r.status().is_success(), "{action} {order}: {}", r.status());
        r.json().await.expect("hook answer")
    }

    /// A browser's form post to this portal (see [`post_form`]).
    pub async fn post_form(&self, path: &str, cookie: Option<&str>, fields: &[(&str, &str)]) -> reqwest::Response {
        post_form(&self.http, &self.base, path, cookie, fields).await
    }

    pub async fn get_html(&self, path: &str, cookie: Option<&str>) -> (u16, String) {
        let mut req = self.http.get(self.url(path));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        let resp = req.send().await.expect("GET");
        let status = resp.status().as_u16();
        (status, resp.text().await.unwrap_or_default())
    }

    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await;
        }
        if let (Some(admin), Some(db)) = (self.pg_admin_url.take(), self.pg_db.take()) {
            use sqlx::Connection;
            if let Ok(mut c) = sqlx::postgres::PgConnection::connect(&admin).await {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)")).execute(&mut c).await;
                let _ = c.close().await;
            }
        }
    }
}

/// Posts a form to `path` of the portal at `base` (any process) as a
/// browser does without JavaScript (`Accept: text/html`, the session cookie
/// if any); the answer as it came (redirects are not followed).
pub async fn post_form(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    cookie: Option<&str>,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = http.post(format!("{base}{path}")).header("accept", "text/html").form(fields);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.unwrap_or_else(|e| panic!("POST {path}: {e}"))
}

/// Where a form post's answer sends the browser ("" if nowhere).
pub fn location(resp: &reqwest::Response) -> String {
    resp.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or("").to_string()
}

/// Posts the sign-up form to the portal at `base` (any process); the answer as it came.
pub async fn post_sign_up(http: &reqwest::Client, base: &str, login: &str, password: &str) -> reqwest::Response {
    post_form(
        http,
        base,
        "/api/sign-up",
        None,
        &[("login", login), ("password", password), ("password_confirm", password)],
    )
    .await
}

/// Starts a deposit through the form endpoint of the portal at `base`: the
/// deposit's id, or the redirect it got instead.
pub async fn post_create_deposit(
    http: &reqwest::Client,
    base: &str,
    cookie: &str,
    amount: &str,
    method: &str,
) -> Result<String, String> {
    let resp =
        post_form(http, base, "/api/create-deposit", Some(cookie), &[("amount", amount), ("method", method)]).await;
    let loc = location(&resp);
    match loc.strip_prefix("/deposits/") {
        Some(id) => Ok(id.to_string()),
        None => Err(loc),
    }
}

pub fn session_cookie(resp: &reqwest::Response) -> Option<String> {
    resp.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find_map(|v| {
        let first = v.split(';').next()?.trim();
        (first.starts_with("portal_session=") && first.len() > "portal_session=".len()).then(|| first.to_string())
    })
}

/// Generates `name::sqlite` and `name::postgres` tests from `async fn name(app: TestApp)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::common::spawn_app(portal::server::db::Backend::Sqlite).await.expect("sqlite app");
                super::$name(app).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = $crate::common::spawn_app(portal::server::db::Backend::Postgres).await {
                    super::$name(app).await;
                }
            }
        }
    )*};
}

/// As `on_both_backends!`, with settings for each test: `name => &[("NAME", "value")], ...`
/// (or `name, settings` for one).
#[macro_export]
macro_rules! on_both_backends_with {
    ($name:ident, $settings:expr) => {
        $crate::on_both_backends_with!($name => $settings);
    };
    ($($name:ident => $settings:expr),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::common::spawn_app_with(portal::server::db::Backend::Sqlite, $settings)
                    .await
                    .expect("sqlite app");
                super::$name(app).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = $crate::common::spawn_app_with(portal::server::db::Backend::Postgres, $settings).await
                {
                    super::$name(app).await;
                }
            }
        }
    )*};
}

/// Another portal process (same code, own port, sandbox off) on the same database.
pub async fn spawn_second_instance(first: &TestApp) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let api = first.running.as_ref().expect("running").config.api_url.clone();
    let plugin = first.running.as_ref().expect("running").config.plugin_url.clone();
    let vars = env_config(&[
        ("DATABASE_URL", first.database_url.as_str()),
        ("SANDBOX", "off"),
        ("PAYKASSMA_API_URL", api.as_str()),
        ("PAYKASSMA_PLUGIN_URL", plugin.as_str()),
        ("PAYKASSMA_API_SECRET", portal::server::config::DEMO_API_SECRET),
        ("PAYKASSMA_POSTBACK_ACCESS_KEY", portal::server::config::DEMO_ACCESS_KEY),
        ("PAYKASSMA_POSTBACK_PRIVATE_KEY", portal::server::config::DEMO_PRIVATE_KEY),
        ("PAYKASSMA_WITHDRAWAL_KEY", portal::server::config::DEMO_WITHDRAWAL_KEY),
    ]);
    let config = Config::from_map(&vars).expect("config");
    let running = start(config).await.expect("second instance starts");
    let base = format!("http://{}", running.addr);
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    TestApp {
        base,
        sandbox: first.sandbox.clone(),
        backend: first.backend,
        http,
        running: Some(running),
        database_url: first.database_url.clone(),
        _dir: dir,
        pg_admin_url: None,
        pg_db: None,
    }
}

/// A deposit postback exactly as the provider sends it (the sandbox's own
/// builder), signed with the demo access key and the given private key, for
/// the given items: (transaction_id, rupees, order_ref).
pub fn signed_postback(label: &str, top_amount: &str, items: &[(&str, &str, &str)], private_key: &str) -> String {
    use portal::domain::Money;
    use portal::paykassma::json::JsonValue;
    use portal::sandbox::postback::{DepositItem, Keys, deposit_item, envelope};
    let paise = |r: &str| Money::from_user_input(r).map(|m| m.paise()).unwrap_or(0);
    let data = JsonValue::Array(
        items
            .iter()
            .map(|(txn, amount, order)| {
                deposit_item(&DepositItem {
                    transaction_id: txn,
                    amount_paise: paise(amount),
                    order_ref: order,
                    payer_vpa: "payer@okaxis",
                    stockpiling_id: 900_001,
                    activated_ms: 1_795_500_000_000,
                })
            })
            .collect(),
    );
    let keys = Keys { access_key: portal::server::config::DEMO_ACCESS_KEY, private_key, forged: false };
    envelope(&keys, "upi_s", paise(top_amount), label, "ingoing", 1_795_500_005_000, data)
}

/// A withdrawal result as the provider signs it (direction `outgoing`, the
/// demo keys): withdrawal `withdrawal_id`, `paise`, wire status 1 paid / 5 rejected.
pub fn signed_withdrawal_result(withdrawal_id: &str, txn: &str, paise: i64, status: i64) -> String {
    use portal::paykassma::json::JsonValue;
    use portal::sandbox::postback::{Keys, envelope};
    let s = |v: &str| JsonValue::String(v.into());
    let n = |v: i64| JsonValue::Number(v.to_string());
    let item = JsonValue::Object(vec![
        ("amount".into(), s(&portal::domain::Money::from_paise(paise).to_wire_rupees())),
        ("currency_code".into(), s("INR")),
        ("wallet_type".into(), s("imps_ib")),
        ("transaction_id".into(), s(txn)),
        ("transaction_type".into(), n(portal::paykassma::item::WITHDRAWAL_TRANSACTION_TYPE)),
        ("plugin_custom_order_id".into(), JsonValue::Null),
        ("withdrawal_id".into(), s(withdrawal_id)),
        ("withdrawal_status".into(), n(status)),
    ]);
    let keys = Keys {
        access_key: portal::server::config::DEMO_ACCESS_KEY,
        private_key: portal::server::config::DEMO_PRIVATE_KEY,
        forged: false,
    };
    envelope(&keys, "imps_ib", paise, "", "outgoing", 1_795_500_005_000, JsonValue::Array(vec![item]))
}

impl TestApp {
    pub async fn post_postback(&self, body: &str) -> (u16, String) {
        let resp = self
            .http
            .post(self.url("/api/paykassma/postback"))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("postback request");
        let status = resp.status().as_u16();
        (status, resp.text().await.unwrap_or_default())
    }

    /// Starts a deposit through the real form endpoint; returns its id.
    pub async fn start_deposit(&self, cookie: &str, amount: &str, method: &str) -> Result<String, String> {
        post_create_deposit(&self.http, &self.base, cookie, amount, method).await
    }

    pub async fn balance(&self, login: &str) -> (i64, i64) {
        let b = portal::server::ledger::balance(self.db(), login).await.expect("balance query").expect("user exists");
        (b.balance_paise, b.available_paise)
    }

    pub async fn deposit_status(&self, id: &str) -> (String, Option<i64>, String) {
        use sqlx::Row;
        let r = sqlx::query("SELECT status, credited_paise, flags FROM deposits WHERE id = $1")
            .bind(id)
            .fetch_one(self.db().pool())
            .await
            .expect("deposit row");
        (r.get(0), r.get(1), r.get(2))
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(self.db().pool()).await.expect("count query")
    }
}

impl TestApp {
    /// Creates an admin directly (as `portal user add --admin` does) and signs in.
    pub async fn admin_cookie(&self, login: &str) -> String {
        use portal::domain::Login;
        portal::server::auth::create_user(self.db(), &Login::parse(login).expect("login"), "pw-admin-123", true)
            .await
            .expect("admin user");
        let resp = self
            .http
            .post(self.url("/api/sign-in"))
            .header("accept", "text/html")
            .form(&[("login", login), ("password", "pw-admin-123")])
            .send()
            .await
            .expect("sign-in");
        session_cookie(&resp).expect("admin session")
    }
}
