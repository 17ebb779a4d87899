//! Postback load generator, in three phases on one database: the minimal
//! ledger write (one idempotent entry insert and one balance update per
//! payment, one transaction each: the database's own rate for the ledger's
//! essential work), N signed postbacks (a share of them duplicates) from C
//! concurrent senders against a running portal, then the portal's own
//! crediting transaction called directly, without HTTP.
//!
//!   loadgen --portal http://127.0.0.1:3700 --database-url sqlite://... \
//!           --requests 4000 --concurrency 64 --duplicates 0.2
//!
//! With `--push-to URL --deposits N` it measures cross-process push instead:
//! for each of N deposits, a live-status stream open on `--portal` (process B)
//! and the postback sent to `--push-to` (process A); the time from the
//! postback's 200 to the "credited" event on B's stream.
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
    push_to: String,
    deposits: usize,
}

fn args() -> Args {
    let mut a = Args {
        portal: String::new(),
        database_url: String::new(),
        requests: 4000,
        concurrency: 64,
        duplicates: 0.2,
        users: 100,
        push_to: String::new(),
        deposits: 20,
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
            "--push-to" => a.push_to = v,
            "--deposits" => a.deposits = v.parse().expect("--deposits N"),
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

/// The ledger's essential work and nothing else: per payment, in one
/// transaction, an idempotent entry insert and (if it was new) the balance
/// update. Same users, same schedule of duplicates, same concurrency and
/// pools (on SQLite the one writer) as the portal.
async fn minimal_ledger_write(
    db: &Db,
    users: &[(i64, String)],
    run: &str,
    order: Arc<Vec<usize>>,
    concurrency: usize,
    amount_paise: i64,
) -> (f64, usize) {
    let users: Arc<Vec<i64>> = Arc::new(users.iter().map(|(id, _)| *id).collect());
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (db, users, order, next, run) = (db.clone(), users.clone(), order.clone(), next.clone(), run.to_string());
        workers.push(tokio::spawn(async move {
            let mut errors = 0usize;
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(&i) = order.get(k) else { break };
                let user = users[i % users.len()];
                let result: Result<(), sqlx::Error> = async {
                    let mut tx = db.writer().begin().await?;
                    let new = sqlx::query(
                        "INSERT INTO ledger_entries (user_id, bucket, amount_paise, kind, reference, memo, created_at)
                         VALUES ($1, 'available', $2, 'deposit_credit', $3, '', $4)
                         ON CONFLICT (kind, bucket, reference) DO NOTHING RETURNING id",
                    )
                    .bind(user)
                    .bind(amount_paise)
                    .bind(format!("payment:m{run}{i:08}"))
                    .bind(now_ms())
                    .fetch_optional(&mut *tx)
                    .await?;
                    if new.is_some() {
                        sqlx::query("UPDATE users SET available_paise = available_paise + $1 WHERE id = $2")
                            .bind(amount_paise)
                            .bind(user)
                            .execute(&mut *tx)
                            .await?;
                    }
                    tx.commit().await
                }
                .await;
                if result.is_err() {
                    errors += 1;
                }
            }
            errors
        }));
    }
    let mut errors = 0;
    for w in workers {
        errors += w.await.expect("worker");
    }
    (order.len() as f64 / started.elapsed().as_secs_f64(), errors)
}

/// Cross-process push: streams on `a.portal` (B), postbacks to `a.push_to` (A).
async fn push_latency(a: &Args, db: &Db, run: &str) {
    let login = format!("push-{run}");
    let user =
        auth::create_user(db, &Login::parse(&login).expect("login"), "bench-password", false).await.expect("user");
    let token = auth::start_session(db, user).await.expect("session");
    let cookie = auth::session_cookie(&token, false).split(';').next().unwrap_or_default().to_string();
    let amount_paise = 25_000;
    let deposits = make_deposits(db, &[(user, login.clone())], &format!("px{run}"), a.deposits, amount_paise).await;
    let http = reqwest::Client::new();
    let portal_b = a.portal.trim_end_matches('/');
    let postback_a = format!("{}/api/paykassma/postback", a.push_to.trim_end_matches('/'));
    let mut latencies = Vec::new();
    let mut missed = 0usize;
    for (i, (deposit, login)) in deposits.iter().enumerate() {
        let mut stream = http
            .get(format!("{portal_b}/api/deposits/{deposit}/events"))
            .header("cookie", &cookie)
            .header("accept", "text/event-stream")
            .send()
            .await
            .expect("stream on B");
        assert_eq!(stream.status(), 200, "stream on B");
        let mut seen = String::new();
        // The first event is the current state (pending).
        while !seen.contains("\"status\":\"pending\"") {
            let chunk = stream.chunk().await.expect("stream").expect("the stream's first event");
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
        let b = body(login, &format!("p{run}{i:08}"), amount_paise, deposit);
        let r =
            http.post(&postback_a).header("content-type", "application/json").body(b).send().await.expect("postback");
        assert_eq!(r.status(), 200, "postback on A");
        let answered = Instant::now();
        let deadline = answered + Duration::from_secs(10);
        let mut credited = false;
        while !credited {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, stream.chunk()).await {
                Ok(Ok(Some(chunk))) => {
                    seen.push_str(&String::from_utf8_lossy(&chunk));
                    credited = seen.contains("\"status\":\"credited\"");
                }
                _ => break,
            }
        }
        if credited {
            latencies.push(answered.elapsed());
        } else {
            missed += 1;
        }
    }
    latencies.sort();
    println!(
        "{}",
        serde_json::json!({
            "deposits": deposits.len(),
            "missed": missed,
            "p50_ms": percentile(&latencies, 0.50),
            "p95_ms": percentile(&latencies, 0.95),
            "max_ms": percentile(&latencies, 1.0),
        })
    );
}

#[tokio::main]
async fn main() {
    let a = args();
    let db = Db::connect(&a.database_url).await.expect("database");
    db.migrate().await.expect("migrations");
    let run = format!("{:x}", rand::thread_rng().r#gen::<u32>());
    if !a.push_to.is_empty() {
        push_latency(&a, &db, &run).await;
        db.close().await;
        return;
    }
    let mut users = Vec::with_capacity(a.users);
    for u in 0..a.users.max(1) {
        let login = format!("bench-{run}-{u}");
        let id =
            auth::create_user(&db, &Login::parse(&login).expect("login"), "bench-password", false).await.expect("user");
        users.push((id, login));
    }
    let unique = ((a.requests as f64) * (1.0 - a.duplicates)).round() as usize;
    let amount_paise = 25_000;

    // Phase 0: the minimal ledger write, the yardstick.
    let (minimal_rate, minimal_errors) =
        minimal_ledger_write(&db, &users, &run, Arc::new(schedule(unique, a.requests)), a.concurrency, amount_paise)
            .await;
    let minimal_once = total_balance(&db, &users).await == unique as i64 * amount_paise;

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
    let credited_once = total_balance(&db, &users).await == 2 * unique as i64 * amount_paise;

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
    let commits = portal::server::postback::PostbackCommits::start(db.clone());
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..a.concurrency {
        let (commits, items, order, next) = (commits.clone(), items.clone(), order2.clone(), next2.clone());
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
                if credit_items(&commits, b, "bench", &unsigned, std::slice::from_ref(item), &[]).await.is_err() {
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
    let (direct_transactions, direct_works) = commits.stats().committed();
    let direct_once = total_balance(&db, &users).await == 3 * unique as i64 * amount_paise;
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
                "transactions": direct_transactions,
                "postbacks_per_transaction": direct_works as f64 / direct_transactions.max(1) as f64,
            },
            "minimal_ledger_write": {
                "postbacks_per_sec": minimal_rate,
                "errors": minimal_errors,
                "exactly_once": minimal_once,
            },
            "http_over_direct": http_rate / direct_rate,
            "http_over_minimal": http_rate / minimal_rate,
            "direct_over_minimal": direct_rate / minimal_rate,
            "ledger_check_clean": ledger_ok,
        })
    );
    db.close().await;
}
