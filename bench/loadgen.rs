//! Postback load generator: N signed postbacks (a share of them duplicates)
//! from C concurrent senders against a running portal, then the same SQL work
//! done directly against the same database, for the ratio.
//!
//!   loadgen --portal http://127.0.0.1:3700 --database-url sqlite://... \
//!           --requests 4000 --concurrency 64 --duplicates 0.2
//! Prints one JSON object.

use portal::domain::{Login, Money};
use portal::paykassma::item::{SignedItem, Unsigned};
use portal::paykassma::json::JsonValue;
use portal::sandbox::postback::{DepositItem, Keys, deposit_item, envelope};
use portal::server::config::{DEMO_ACCESS_KEY, DEMO_PRIVATE_KEY};
use portal::server::db::{Db, now_ms};
use portal::server::postback::credit_items;
use portal::server::{auth, ledger};
use rand::Rng;
use rand::seq::SliceRandom;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

struct Args {
    portal: String,
    database_url: String,
    requests: usize,
    concurrency: usize,
    duplicates: f64,
    users: usize,
}

fn args() -> Args {
    let mut a = Args {
        portal: String::new(),
        database_url: String::new(),
        requests: 4000,
        concurrency: 64,
        duplicates: 0.2,
        users: 100,
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i + 1 < argv.len() {
        let v = argv[i + 1].clone();
        match argv[i].as_str() {
            "--portal" => a.portal = v,
            "--database-url" => a.database_url = v,
            "--requests" => a.requests = v.parse().expect("--requests N"),
            "--concurrency" => a.concurrency = v.parse().expect("--concurrency N"),
            "--duplicates" => a.duplicates = v.parse().expect("--duplicates 0.2"),
            "--users" => a.users = v.parse().expect("--users N"),
            other => panic!("unknown argument {other}"),
        }
        i += 2;
    }
    assert!(!a.portal.is_empty() && !a.database_url.is_empty(), "--portal and --database-url are required");
    a
}

fn body(label: &str, txn: &str, amount_paise: i64, order: &str) -> String {
    let item = deposit_item(&DepositItem {
        transaction_id: txn,
        amount_paise,
        order_ref: order,
        payer_vpa: "payer@okaxis",
        stockpiling_id: 900_001,
        activated_ms: now_ms(),
    });
    let keys = Keys { access_key: DEMO_ACCESS_KEY, private_key: DEMO_PRIVATE_KEY, forged: false };
    envelope(&keys, "upi_s", amount_paise, label, "ingoing", now_ms(), JsonValue::Array(vec![item]))
}

/// Deposits written straight into the database (setup, not measured).
/// Deposits spread round-robin over `users` (a realistic spread; one user
/// would make every credit wait for the same row lock).
async fn make_deposits(
    db: &Db,
    users: &[(i64, String)],
    prefix: &str,
    n: usize,
    amount_paise: i64,
) -> Vec<(String, String)> {
    let now = now_ms();
    let mut ids = Vec::with_capacity(n);
    let mut tx = db.writer().begin().await.expect("begin");
    for i in 0..n {
        let id = format!("{prefix}_{i:06}");
        let (user_id, login) = &users[i % users.len()];
        sqlx::query(
            "INSERT INTO deposits (id, user_id, amount_paise, method, status, created_at, updated_at, expires_at)
             VALUES ($1, $2, $3, 'window', 'pending', $4, $4, $5)",
        )
        .bind(&id)
        .bind(user_id)
        .bind(amount_paise)
        .bind(now)
        .bind(now + 3_600_000)
        .execute(&mut *tx)
        .await
        .expect("insert deposit");
        ids.push((id, login.clone()));
    }
    tx.commit().await.expect("commit");
    ids
}

/// The order of work: every unique payment once, plus duplicates of random ones, shuffled.
fn schedule(unique: usize, total: usize) -> Vec<usize> {
    let mut rng = rand::thread_rng();
    let mut order: Vec<usize> = (0..unique).collect();
    while order.len() < total {
        order.push(rng.gen_range(0..unique));
    }
    order.shuffle(&mut rng);
    order
}

async fn total_balance(db: &Db, users: &[(i64, String)]) -> i64 {
    let mut total = 0;
    for (_, login) in users {
        total += ledger::balance(db, login).await.expect("balance").expect("user").balance_paise;
    }
    total
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let a = args();
    let db = Db::connect(&a.database_url).await.expect("database");
    db.migrate().await.expect("migrations");
    let run = format!("{:x}", rand::thread_rng().r#gen::<u32>());
    let mut users = Vec::with_capacity(a.users);
    for u in 0..a.users.max(1) {
        let login = format!("bench-{run}-{u}");
        let id =
            auth::create_user(&db, &Login::parse(&login).expect("login"), "bench-password", false).await.expect("user");
        users.push((id, login));
    }
    let unique = ((a.requests as f64) * (1.0 - a.duplicates)).round() as usize;
    let amount_paise = 25_000;

    // Phase 1: HTTP, signature verification on, against the running portal.
    let deposits = make_deposits(&db, &users, &format!("bh{run}"), unique, amount_paise).await;
    let bodies: Arc<Vec<String>> = Arc::new(
        deposits
            .iter()
            .enumerate()
            .map(|(i, (d, login))| body(login, &format!("h{run}{i:08}"), amount_paise, d))
            .collect(),
    );
    let order = Arc::new(schedule(unique, a.requests));
    let next = Arc::new(AtomicUsize::new(0));
    let http = reqwest::Client::builder().pool_max_idle_per_host(a.concurrency).build().expect("client");
    let url = format!("{}/api/paykassma/postback", a.portal.trim_end_matches('/'));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..a.concurrency {
        let (http, url, bodies, order, next) = (http.clone(), url.clone(), bodies.clone(), order.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut failures = 0usize;
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(&i) = order.get(k) else { break };
                let t = Instant::now();
                let r = http.post(&url).header("content-type", "application/json").body(bodies[i].clone()).send().await;
                let ok = match r {
                    Ok(resp) => resp.status() == 200 && resp.text().await.is_ok_and(|b| b == r#"{"status":"ok"}"#),
                    Err(_) => false,
                };
                lat.push(t.elapsed());
                if !ok {
                    failures += 1;
                }
            }
            (lat, failures)
        }));
    }
    let mut latencies = Vec::with_capacity(a.requests);
    let mut failures = 0;
    for w in workers {
        let (l, f) = w.await.expect("worker");
        latencies.extend(l);
        failures += f;
    }
    let http_secs = started.elapsed().as_secs_f64();
    latencies.sort();
    let credited_once = total_balance(&db, &users).await == unique as i64 * amount_paise;

    // Phase 2: the same SQL work (record + idempotent credit, one transaction each), no HTTP, no JSON, no signature.
    let deposits2 = make_deposits(&db, &users, &format!("bd{run}"), unique, amount_paise).await;
    let items: Arc<Vec<(String, String, SignedItem)>> = Arc::new(
        deposits2
            .iter()
            .enumerate()
            .map(|(i, (d, login))| {
                let txn = format!("d{run}{i:08}");
                let b = body(login, &txn, amount_paise, d);
                (login.clone(), b, SignedItem::payment(&txn, Money::from_paise(amount_paise), d))
            })
            .collect(),
    );
    let order2 = Arc::new(schedule(unique, a.requests));
    let next2 = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..a.concurrency {
        let (db, items, order, next) = (db.clone(), items.clone(), order2.clone(), next2.clone());
        workers.push(tokio::spawn(async move {
            let mut errors = 0usize;
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(&i) = order.get(k) else { break };
                let (login, b, item) = &items[i];
                let unsigned = Unsigned {
                    label: login.clone(),
                    amount: Some(item.amount),
                    direction: "ingoing".into(),
                    currency: "INR".into(),
                    wallet_type: "upi_s".into(),
                };
                if credit_items(&db, b, "bench", &unsigned, std::slice::from_ref(item), &[]).await.is_err() {
                    errors += 1;
                }
            }
            errors
        }));
    }
    let mut direct_errors = 0;
    for w in workers {
        direct_errors += w.await.expect("worker");
    }
    let direct_secs = started.elapsed().as_secs_f64();
    let direct_once = total_balance(&db, &users).await == 2 * unique as i64 * amount_paise;
    let ledger_ok = ledger::check(&db).await.expect("ledger check").is_empty();

    let http_rate = a.requests as f64 / http_secs;
    let direct_rate = a.requests as f64 / direct_secs;
    println!(
        "{}",
        serde_json::json!({
            "backend": db.backend.name(),
            "requests": a.requests,
            "unique_payments": unique,
            "concurrency": a.concurrency,
            "users": users.len(),
            "http": {
                "seconds": http_secs,
                "postbacks_per_sec": http_rate,
                "p50_ms": percentile(&latencies, 0.50),
                "p99_ms": percentile(&latencies, 0.99),
                "max_ms": percentile(&latencies, 1.0),
                "failures": failures,
                "credited_exactly_once": credited_once,
            },
            "direct_sql": {
                "seconds": direct_secs,
                "postbacks_per_sec": direct_rate,
                "errors": direct_errors,
                "credited_exactly_once": direct_once,
            },
            "http_over_direct": http_rate / direct_rate,
            "ledger_check_clean": ledger_ok,
        })
    );
    db.close().await;
}
