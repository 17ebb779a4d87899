//! Faults, on both backends:
//! - the portal process is killed with SIGKILL (twice) while the sandbox, a
//!   process of its own, delivers postbacks with duplicates in parallel; after
//!   restarts every payment is credited exactly once;
//! - the database goes away for 20 s while payments arrive: nothing is
//!   answered ok without a commit, `/readyz` answers 503 meanwhile
//!   (PostgreSQL), and everything is credited once afterwards.
//!
//! The shared PostgreSQL server is never stopped: the portal reaches it
//! through this test's own TCP proxy, which the test cuts. SQLite is a file
//! on the portal's own disk; its outage is a writer lock held by another
//! process-like connection for 20 s (the file is there, nothing can commit).

mod common;
use common::TestApp;
use portal::server::db::{Backend, Db};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const PORTAL: &str = env!("CARGO_BIN_EXE_portal");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// A child process whose output goes to a log file; killed on drop.
struct Proc {
    child: Child,
    log: std::path::PathBuf,
}

impl Proc {
    fn spawn(args: &[&str], env: &[(&str, &str)], log: std::path::PathBuf) -> Proc {
        let out = std::fs::OpenOptions::new().create(true).append(true).open(&log).expect("log file");
        let err = out.try_clone().expect("log file");
        let mut cmd = Command::new(PORTAL);
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err));
        for (k, v) in env {
            cmd.env(k, v);
        }
        Proc { child: cmd.spawn().expect("portal binary runs"), log }
    }

    /// SIGKILL: no shutdown hook, no flush, no goodbye.
    fn kill9(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn wait_ready(http: &reqwest::Client, url: &str, proc: &mut Proc) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(r) = http.get(url).send().await
            && r.status().is_success()
        {
            return;
        }
        if let Ok(Some(status)) = proc.child.try_wait() {
            panic!("{url}: the process exited with {status}:\n{}", proc.log());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{url} never became ready:\n{}", proc.log());
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

async fn sign_up(http: &reqwest::Client, base: &str, login: &str) -> String {
    let r = common::post_sign_up(http, base, login, "pw-123456").await;
    assert_eq!(r.status(), 302);
    common::session_cookie(&r).expect("session cookie")
}

async fn order_of(pool: &sqlx::AnyPool, deposit: &str) -> String {
    let (order,): (Option<String>,) = sqlx::query_as("SELECT order_id FROM deposits WHERE id = $1")
        .bind(deposit)
        .fetch_one(pool)
        .await
        .expect("deposit");
    order.expect("a QR deposit has an order id")
}

/// (status, credited paise) of a deposit; entries the ledger holds for it.
async fn credit_state(pool: &sqlx::AnyPool, deposit: &str) -> (String, Option<i64>, i64) {
    let (status, credited): (String, Option<i64>) =
        sqlx::query_as("SELECT status, credited_paise FROM deposits WHERE id = $1")
            .bind(deposit)
            .fetch_one(pool)
            .await
            .expect("deposit row");
    let entries: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM ledger_entries e JOIN provider_payments p ON e.reference = 'payment:' || p.transaction_id \
         WHERE p.deposit_id = $1",
    )
    .bind(deposit)
    .fetch_one(pool)
    .await
    .expect("ledger entries");
    (status, credited, entries)
}

/// Waits until every deposit is credited, then checks each was credited
/// exactly once with its own amount, and that the ledger balances.
async fn assert_each_credited_once(pool: &sqlx::AnyPool, deposits: &[(String, i64)], within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let mut pending = Vec::new();
        for (id, _) in deposits {
            let (status, _, _) = credit_state(pool, id).await;
            if status != "credited" {
                pending.push((id.clone(), status));
            }
        }
        if pending.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "not credited in {within:?}: {pending:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    for (id, paise) in deposits {
        assert_eq!(credit_state(pool, id).await, ("credited".to_string(), Some(*paise), 1), "deposit {id}");
    }
    let payments: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM provider_payments").fetch_one(pool).await.expect("count");
    assert_eq!(payments, deposits.len() as i64, "one claimed payment per deposit");
    let credits: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'deposit_credit'")
        .fetch_one(pool)
        .await
        .expect("count");
    assert_eq!(credits, deposits.len() as i64, "one ledger credit per payment");
    let total: i64 =
        sqlx::query_scalar("SELECT CAST(COALESCE(SUM(available_paise + held_paise), 0) AS BIGINT) FROM users")
            .fetch_one(pool)
            .await
            .expect("sum");
    assert_eq!(total, deposits.iter().map(|(_, p)| p).sum::<i64>(), "balances add up to the payments");
}

async fn drop_pg_database(admin: &str, name: &str) {
    use sqlx::Connection;
    if let Ok(mut c) = sqlx::postgres::PgConnection::connect(admin).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).execute(&mut c).await;
        let _ = c.close().await;
    }
}

// --- SIGKILL while the sandbox delivers -----------------------------------

async fn killed_portal_credits_every_payment_once(backend: Backend) {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some((db_url, pg)) = common::fresh_database(backend, dir.path()).await else { return };
    let (pport, sport) = (free_port(), free_port());
    let base = format!("http://127.0.0.1:{pport}");
    let sandbox_url = format!("http://127.0.0.1:{sport}");
    let sandbox_addr = format!("127.0.0.1:{sport}");
    let sandbox_db = format!("sqlite://{}/sandbox.db", dir.path().display());
    let mut sandbox = Proc::spawn(
        &["sandbox"],
        &[
            ("SANDBOX_ADDR", &sandbox_addr),
            ("SANDBOX_DATABASE_URL", &sandbox_db),
            ("PORTAL_PUBLIC_URL", &base),
            ("SANDBOX_RETRY_SCHEDULE", "1s"),
        ],
        dir.path().join("sandbox.log"),
    );
    let portal_addr = format!("127.0.0.1:{pport}");
    let portal_env: Vec<(&str, &str)> = vec![
        ("LEPTOS_SITE_ADDR", &portal_addr),
        ("DATABASE_URL", &db_url),
        ("PAYKASSMA_API_URL", &sandbox_url),
        // Only postbacks credit here: no background status checks.
        ("RECONCILE_INTERVAL_SECONDS", "3600"),
    ];
    let log = dir.path().join("portal.log");
    let mut portal = Proc::spawn(&["serve"], &portal_env, log.clone());
    let http = client();
    wait_ready(&http, &format!("{sandbox_url}/"), &mut sandbox).await;
    wait_ready(&http, &format!("{base}/readyz"), &mut portal).await;

    let db = Db::connect(&db_url).await.expect("test's own connection");
    let pool = db.pool().clone();
    let mut deposits: Vec<(String, i64)> = Vec::new();
    let mut orders = Vec::new();
    for u in 0..4 {
        let cookie = sign_up(&http, &base, &format!("payer{u}")).await;
        for d in 0..5 {
            let rupees = 100 + u * 10 + d;
            let id =
                common::post_create_deposit(&http, &base, &cookie, &rupees.to_string(), "qr").await.expect("deposit");
            orders.push(order_of(&pool, &id).await);
            deposits.push((id, rupees * 100));
        }
    }
    // Every postback twice more, copies in parallel.
    let chaos = http
        .post(format!("{sandbox_url}/sandbox/api/chaos"))
        .json(&serde_json::json!({"duplicate_postbacks": 2, "concurrent": true}))
        .send()
        .await
        .expect("chaos");
    assert!(chaos.status().is_success());

    // Pay half, kill the portal while those deliveries run, pay the rest
    // while it is down, restart, kill again mid-delivery, restart.
    let pay = |order: String| {
        let http = http.clone();
        let url = format!("{sandbox_url}/sandbox/api/orders/{order}/pay");
        async move {
            let r = http.post(url).json(&serde_json::json!({})).send().await.expect("pay");
            assert!(r.status().is_success(), "pay: {:?}", r.text().await);
        }
    };
    let (first, second) = orders.split_at(10);
    for o in first {
        pay(o.clone()).await;
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    portal.kill9();
    for o in second {
        pay(o.clone()).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut portal = Proc::spawn(&["serve"], &portal_env, log.clone());
    wait_ready(&http, &format!("{base}/readyz"), &mut portal).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    portal.kill9();
    let credited_before_last_restart: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM deposits WHERE status = 'credited'")
            .fetch_one(&pool)
            .await
            .expect("count");
    let mut portal = Proc::spawn(&["serve"], &portal_env, log.clone());
    wait_ready(&http, &format!("{base}/readyz"), &mut portal).await;

    assert_each_credited_once(&pool, &deposits, Duration::from_secs(90)).await;
    eprintln!("{backend:?}: {credited_before_last_restart}/20 credited before the last restart; all 20 once after");
    assert!(!portal.log().contains("panicked"), "{}", portal.log());

    // The sandbox saw every postback answered ok in the end.
    let deliveries: serde_json::Value = http
        .get(format!("{sandbox_url}/sandbox/api/deliveries"))
        .send()
        .await
        .expect("deliveries")
        .json()
        .await
        .expect("json");
    let postbacks = deliveries["postbacks"].as_array().expect("postbacks");
    assert_eq!(postbacks.len(), 60, "20 payments, each sent three times");
    let attempts: usize = postbacks.iter().map(|p| p["attempt_log"].as_array().map_or(0, Vec::len)).sum();
    assert!(attempts > 60, "some deliveries failed while the portal was dead and were retried ({attempts} attempts)");
    // `portal ledger check`, as an operator would run it.
    let out = Command::new(PORTAL)
        .args(["ledger", "check"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", &db_url)
        .output()
        .expect("ledger check");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));

    drop(portal);
    drop(sandbox);
    db.close().await;
    if let Some((admin, name)) = pg {
        drop_pg_database(&admin, &name).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_delivery_sqlite() {
    killed_portal_credits_every_payment_once(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_delivery_postgres() {
    killed_portal_credits_every_payment_once(Backend::Postgres).await;
}

// --- the database gone for 20 seconds --------------------------------------

/// A TCP proxy between the portal and PostgreSQL that the test can cut:
/// cutting closes every open connection and refuses new ones.
struct Proxy {
    addr: SocketAddr,
    up: Arc<AtomicBool>,
    cut: tokio::sync::watch::Sender<u64>,
}

impl Proxy {
    async fn start(target: String) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let up = Arc::new(AtomicBool::new(true));
        let (cut, _) = tokio::sync::watch::channel(0u64);
        let (up2, cut2) = (up.clone(), cut.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else { continue };
                if !up2.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let mut cut_rx = cut2.subscribe();
                let target = target.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await else { return };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut_rx.changed() => {}
                    }
                });
            }
        });
        Proxy { addr, up, cut }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cut.send_modify(|n| *n += 1);
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

enum Outage {
    Proxy(Proxy),
    /// A connection holding SQLite's write lock.
    SqliteLock(Option<sqlx::SqliteConnection>, String),
}

impl Outage {
    async fn begin(&mut self) {
        match self {
            Outage::Proxy(p) => p.cut(),
            Outage::SqliteLock(conn, url) => {
                use sqlx::Connection;
                let mut c = sqlx::SqliteConnection::connect(url).await.expect("sqlite");
                sqlx::query("BEGIN IMMEDIATE").execute(&mut c).await.expect("write lock");
                *conn = Some(c);
            }
        }
    }

    async fn end(&mut self) {
        match self {
            Outage::Proxy(p) => p.restore(),
            Outage::SqliteLock(conn, _) => {
                if let Some(mut c) = conn.take() {
                    sqlx::query("ROLLBACK").execute(&mut c).await.expect("unlock");
                }
            }
        }
    }
}

/// Transaction ids the sandbox was answered ok for so far.
async fn acknowledged(app: &TestApp) -> (Vec<String>, usize) {
    let v: serde_json::Value = app
        .http
        .get(format!("{}/sandbox/api/deliveries", app.sandbox))
        .send()
        .await
        .expect("deliveries")
        .json()
        .await
        .expect("json");
    let (mut ok, mut failed) = (Vec::new(), 0);
    for p in v["postbacks"].as_array().expect("postbacks") {
        let body = portal::paykassma::json::parse(p["body"].as_str().unwrap_or("")).expect("the sandbox sends JSON");
        let txn = body
            .get("additional_data")
            .and_then(|d| d.as_array())
            .and_then(|d| d.first())
            .and_then(|i| i.get("transaction_id"))
            .and_then(|t| t.as_str().map(str::to_string).or_else(|| t.as_number_lexeme().map(str::to_string)))
            .expect("transaction_id");
        for a in p["attempt_log"].as_array().expect("attempts") {
            if a["ok"].as_bool() == Some(true) {
                ok.push(txn.clone());
            } else {
                failed += 1;
            }
        }
    }
    (ok, failed)
}

async fn database_outage_loses_nothing(backend: Backend) {
    let mut real_url = String::new();
    let proxy = match backend {
        Backend::Postgres => Some(Proxy::start("127.0.0.1:5432".into()).await),
        Backend::Sqlite => None,
    };
    let proxy_addr = proxy.as_ref().map(|p| p.addr);
    let overrides = [("SANDBOX_RETRY_SCHEDULE", "1s"), ("RECONCILE_INTERVAL_SECONDS", "3600")];
    let Some(app) = common::spawn_app_via(
        backend,
        |url| {
            real_url = url.to_string();
            match proxy_addr {
                Some(addr) => {
                    let mut u = url::Url::parse(url).expect("url");
                    u.set_host(Some(&addr.ip().to_string())).expect("host");
                    u.set_port(Some(addr.port())).expect("port");
                    u.to_string()
                }
                None => url.to_string(),
            }
        },
        &overrides,
    )
    .await
    else {
        return;
    };
    let pg_url = url::Url::parse(&real_url).expect("url");
    assert!(proxy.is_none() || pg_url.port() == Some(5432), "the test proxies the shared server on 5432: {real_url}");
    // The test's own view of the database, around the proxy.
    let check = Db::connect(&real_url).await.expect("direct connection");
    let pool = check.pool().clone();

    let mut deposits = Vec::new();
    let mut orders = Vec::new();
    for u in 0..2 {
        let cookie = app.sign_up(&format!("payer{u}"), "pw-123456").await;
        for d in 0..3 {
            let rupees = 200 + u * 10 + d;
            let id = app.start_deposit(&cookie, &rupees.to_string(), "qr").await.expect("deposit");
            orders.push(order_of(&pool, &id).await);
            deposits.push((id, rupees * 100));
        }
    }

    let mut o = match proxy {
        Some(p) => Outage::Proxy(p),
        None => Outage::SqliteLock(None, real_url.clone()),
    };
    o.begin().await;
    let started = Instant::now();
    for order in &orders {
        let r = app
            .http
            .post(format!("{}/sandbox/api/orders/{order}/pay", app.sandbox))
            .json(&serde_json::json!({}))
            .send()
            .await
            .expect("pay");
        assert!(r.status().is_success());
    }
    let (mut ready_503, mut ready_checks) = (0, 0);
    while started.elapsed() < Duration::from_secs(20) {
        // Whatever was answered ok is committed: the test reads around the outage.
        let (ok, _) = acknowledged(&app).await;
        for txn in ok {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM provider_payments WHERE transaction_id = $1")
                .bind(&txn)
                .fetch_one(&pool)
                .await
                .expect("direct read");
            assert_eq!(n, 1, "payment {txn} was answered ok during the outage but is not committed");
        }
        if backend == Backend::Postgres {
            let r = app.http.get(app.url("/readyz")).send().await.expect("readyz");
            ready_checks += 1;
            if r.status() == 503 {
                ready_503 += 1;
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let (ok_during, failed_during) = acknowledged(&app).await;
    o.end().await;
    eprintln!(
        "{backend:?}: during the 20 s outage {} deliveries acknowledged, {failed_during} refused; /readyz 503 {ready_503}/{ready_checks}",
        ok_during.len()
    );
    assert!(ok_during.is_empty(), "nothing can commit during the outage, yet the portal acknowledged {ok_during:?}");
    // The sandbox delivers one at a time; on SQLite each attempt waits out the
    // busy timeout before it is refused, so fewer attempts fit in 20 s.
    assert!(failed_during >= 1, "the outage refused deliveries ({failed_during} refusals)");
    if backend == Backend::Postgres {
        assert!(
            ready_503 * 10 >= ready_checks * 8,
            "/readyz answered 503 during the outage ({ready_503}/{ready_checks})"
        );
    }

    assert_each_credited_once(&pool, &deposits, Duration::from_secs(60)).await;
    let r = app.http.get(app.url("/readyz")).send().await.expect("readyz");
    assert_eq!(r.status(), 200, "ready again");
    assert!(portal::server::ledger::check(&check).await.expect("ledger check").is_empty());
    check.close().await;
    drop(o);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_gone_for_twenty_seconds_sqlite() {
    database_outage_loses_nothing(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_gone_for_twenty_seconds_postgres() {
    database_outage_loses_nothing(Backend::Postgres).await;
}
