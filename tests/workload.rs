//! A randomized money workload, in the spirit of the concurrent-ledger tests
//! of TigerBeetle and Formance: many users and thousands of concurrent
//! operations (deposits whose signed postbacks arrive duplicated and out of
//! order, withdrawals, paid and rejected results, lost answers, admin
//! cancels and adjustments), over two portal processes on one PostgreSQL
//! database and over one process on SQLite. Seeded and reproducible:
//! WORKLOAD_SEED=n replays a run, WORKLOAD_OPS sets its size (default 2000).
//!
//! Afterwards: `portal ledger check` exits 0, no bucket is negative, every
//! withdrawal resolved at most once (and exactly once, since every one got a
//! result), and money is conserved: credits + adjustments - payouts = the
//! sum of balances; the credits are exactly the deposits paid, the payouts
//! exactly the withdrawals paid.

mod common;
use common::{TestApp, location, post_form, session_cookie, spawn_second_instance};
use portal::server::config::DEMO_PRIVATE_KEY;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::Row;
use std::sync::Arc;

const USERS: usize = 12;
const CONCURRENCY: usize = 16;

#[derive(Clone)]
struct World {
    http: reqwest::Client,
    /// Every portal process (two on PostgreSQL).
    bases: Vec<String>,
    sandbox: String,
    cookies: Vec<String>,
    logins: Vec<String>,
    admin: String,
    pool: sqlx::AnyPool,
    db: portal::server::db::Db,
}

fn seed() -> u64 {
    std::env::var("WORKLOAD_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(20_261_201)
}

fn ops() -> usize {
    std::env::var("WORKLOAD_OPS").ok().and_then(|s| s.parse().ok()).unwrap_or(2000)
}

fn deposit_body(txn: &str, paise: i64, deposit_id: &str, login: &str) -> String {
    let rupees = format!("{}.{:02}", paise / 100, paise % 100);
    common::signed_postback(login, &rupees, &[(txn, &rupees, deposit_id)], DEMO_PRIVATE_KEY)
}

impl World {
    fn base(&self, rng: &mut StdRng) -> &str {
        &self.bases[rng.gen_range(0..self.bases.len())]
    }

    async fn postback(&self, base: &str, body: &str) -> u16 {
        let r = self
            .http
            .post(format!("{base}/api/paykassma/postback"))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("postback");
        r.status().as_u16()
    }

    /// Delivers one signed body 1 to 3 times to random processes, at once:
    /// each copy must be answered 200.
    async fn deliver(&self, rng: &mut StdRng, body: String) {
        let copies = rng.gen_range(1..=3);
        let targets: Vec<String> = (0..copies).map(|_| self.base(rng).to_string()).collect();
        let mut tasks = Vec::new();
        for base in targets {
            let (w, body) = (self.clone(), body.clone());
            tasks.push(tokio::spawn(async move { w.postback(&base, &body).await }));
        }
        for t in tasks {
            assert_eq!(t.await.expect("delivery task"), 200, "a signed postback is always answered ok");
        }
    }

    async fn deposit(&self, rng: &mut StdRng, op: usize) {
        let u = rng.gen_range(0..USERS);
        let rupees = rng.gen_range(100..=3000);
        let base = self.base(rng).to_string();
        let Ok(id) = common::post_create_deposit(&self.http, &base, &self.cookies[u], &rupees.to_string(), "qr").await
        else {
            return; // too many open deposits for this user: refused, nothing changes
        };
        // Most are paid; the payment's postback arrives later, duplicated, anywhere.
        if rng.gen_bool(0.85) {
            let body = deposit_body(&format!("UPIW{op}"), rupees * 100, &id, &self.logins[u]);
            if rng.gen_bool(0.3) {
                tokio::time::sleep(std::time::Duration::from_millis(rng.gen_range(0..30))).await;
            }
            self.deliver(rng, body).await;
        }
    }

    async fn withdraw(&self, rng: &mut StdRng) {
        let u = rng.gen_range(0..USERS);
        let rupees = rng.gen_range(100..=1500).to_string();
        let base = self.base(rng).to_string();
        let fields = [
            ("amount", rupees.as_str()),
            ("account_number", "000123456789"),
            ("account_name", "Work Load"),
            ("ifsc", "HDFC0001234"),
        ];
        let page = post_form(&self.http, &base, "/withdraw", Some(&self.cookies[u]), &fields).await;
        let html = page.text().await.unwrap_or_default();
        let Some(key) = html.split("name=\"request_key\" value=\"").nth(1).and_then(|r| r.split('"').next()) else {
            return; // more than is available: refused at the form, nothing held
        };
        let mut confirm = fields.to_vec();
        confirm.push(("request_key", key));
        // Sometimes sent twice at once (a double tap): still one withdrawal.
        let twice = rng.gen_bool(0.2);
        let other = self.base(rng).to_string();
        let (a, b) =
            tokio::join!(post_form(&self.http, &base, "/api/withdraw", Some(&self.cookies[u]), &confirm), async {
                if twice {
                    Some(post_form(&self.http, &other, "/api/withdraw", Some(&self.cookies[u]), &confirm).await)
                } else {
                    None
                }
            });
        let loc = location(&a);
        assert!(loc.starts_with("/balance") || loc.starts_with("/withdraw?error="), "{loc}");
        if let Some(b) = b {
            let loc = location(&b);
            assert!(loc.starts_with("/balance") || loc.starts_with("/withdraw?error="), "{loc}");
        }
    }

    async fn open_withdrawal(&self, rng: &mut StdRng) -> Option<(String, i64)> {
        let open: Vec<(String, i64)> = sqlx::query(
            "SELECT id, amount_paise FROM withdrawals WHERE status IN ('requested', 'submitted', 'unknown') ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await
        .expect("open withdrawals")
        .into_iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
        (!open.is_empty()).then(|| open[rng.gen_range(0..open.len())].clone())
    }

    /// A result for an open withdrawal: through the sandbox (its worker
    /// delivers, with the chaos set), or signed here and delivered several
    /// times, sometimes raced by the contrary result.
    async fn result(&self, rng: &mut StdRng, op: usize) {
        let Some((id, paise)) = self.open_withdrawal(rng).await else { return };
        let paid = rng.gen_bool(0.7);
        if rng.gen_bool(0.5) {
            let decision = if paid { "paid" } else { "rejected" };
            // 409 when the sandbox decided it already: fine.
            let _ = self.http.post(format!("{}/sandbox/api/withdrawals/{id}/{decision}", self.sandbox)).send().await;
            return;
        }
        let txn = format!("IMPS{op}");
        let body = common::signed_withdrawal_result(&id, &txn, paise, if paid { 1 } else { 5 });
        if rng.gen_bool(0.2) {
            let contrary = common::signed_withdrawal_result(&id, &txn, paise, if paid { 5 } else { 1 });
            let (w1, w2) = (self.clone(), self.clone());
            let (b1, b2) = (self.base(rng).to_string(), self.base(rng).to_string());
            let (a, b) = tokio::join!(w1.postback(&b1, &body), w2.postback(&b2, &contrary));
            assert_eq!((a, b), (200, 200));
        } else {
            self.deliver(rng, body).await;
        }
    }

    async fn cancel(&self, rng: &mut StdRng) {
        let Some((id, _)) = self.open_withdrawal(rng).await else { return };
        let base = self.base(rng).to_string();
        let r = post_form(
            &self.http,
            &base,
            "/api/admin/withdrawal-cancel",
            Some(&self.admin),
            &[("id", &id), ("reason", "workload")],
        )
        .await;
        let loc = location(&r);
        assert!(loc.contains("withdrawal_cancelled") || loc.contains("withdrawal_not_cancellable"), "{loc}");
    }

    async fn adjust(&self, rng: &mut StdRng, op: usize) {
        use portal::server::ledger::{self, Adjustment, LedgerError};
        let u = rng.gen_range(0..USERS);
        let user_id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE login = $1")
            .bind(&self.logins[u])
            .fetch_one(&self.pool)
            .await
            .unwrap();
        let direction = if rng.gen_bool(0.5) { Adjustment::Credit } else { Adjustment::Debit };
        let amount = rng.gen_range(1..=500) * 100;
        let mut tx = self.db.writer().begin().await.expect("tx");
        match ledger::adjust(&mut tx, user_id, direction, amount, &format!("adj:workload:{op}"), "workload").await {
            Ok(_) => tx.commit().await.expect("commit"),
            Err(LedgerError::InsufficientFunds) => {} // a debit over what is available changes nothing
            Err(e) => panic!("adjustment: {e}"),
        }
    }

    async fn lose_next_answer(&self) {
        let r = self
            .http
            .post(format!("{}/sandbox/api/chaos", self.sandbox))
            .json(&serde_json::json!({"withdrawal_answer_lost_next": 1}))
            .send()
            .await
            .expect("chaos");
        assert!(r.status().is_success());
    }
}

async fn run_workload(first: TestApp, second: Option<TestApp>) {
    let seed = seed();
    let total = ops();
    eprintln!("workload: seed {seed}, {total} operations, {} process(es)", if second.is_some() { 2 } else { 1 });
    // The sandbox misbehaves as a provider may: copies, concurrent, out of order.
    let r = first
        .http
        .post(format!("{}/sandbox/api/chaos", first.sandbox))
        .json(&serde_json::json!({"duplicate_postbacks": 1, "concurrent": true, "out_of_order": true}))
        .send()
        .await
        .expect("chaos");
    assert!(r.status().is_success());
    let mut bases = vec![first.base.clone()];
    if let Some(s) = &second {
        bases.push(s.base.clone());
    }
    let mut cookies = Vec::new();
    let mut logins = Vec::new();
    for i in 0..USERS {
        let login = format!("user{i:02}");
        let resp = common::post_sign_up(&first.http, &bases[i % bases.len()], &login, "pw-workload-1").await;
        cookies.push(session_cookie(&resp).expect("session"));
        logins.push(login);
    }
    let admin = first.admin_cookie("auditor").await;
    let world = Arc::new(World {
        http: first.http.clone(),
        bases,
        sandbox: first.sandbox.clone(),
        cookies,
        logins,
        admin,
        pool: first.db().pool().clone(),
        db: first.db().clone(),
    });

    let started = std::time::Instant::now();
    let per_worker = total.div_ceil(CONCURRENCY);
    let mut workers = Vec::new();
    for w in 0..CONCURRENCY {
        let world = world.clone();
        workers.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(seed.wrapping_add(w as u64));
            for i in 0..per_worker {
                let op = w * per_worker + i;
                match rng.gen_range(0..100) {
                    0..=39 => world.deposit(&mut rng, op).await,
                    40..=64 => world.withdraw(&mut rng).await,
                    65..=66 => {
                        world.lose_next_answer().await;
                        world.withdraw(&mut rng).await
                    }
                    67..=89 => world.result(&mut rng, op).await,
                    90..=94 => world.cancel(&mut rng).await,
                    _ => world.adjust(&mut rng, op).await,
                }
            }
        }));
    }
    for w in workers {
        w.await.expect("a worker panicked");
    }
    // Every withdrawal still open gets its result, so each must end resolved once.
    loop {
        let open: Vec<(String, i64)> = sqlx::query(
            "SELECT id, amount_paise FROM withdrawals WHERE status IN ('requested', 'submitted', 'unknown')",
        )
        .fetch_all(&world.pool)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
        if open.is_empty() {
            break;
        }
        for (id, paise) in open {
            assert_eq!(
                world
                    .postback(&world.bases[0], &common::signed_withdrawal_result(&id, &format!("FINAL-{id}"), paise, 5))
                    .await,
                200
            );
        }
    }
    // Let the sandbox's queued copies land (they must change nothing now).
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    eprintln!("workload: {total} operations in {:.1} s", started.elapsed().as_secs_f64());

    let pool = &world.pool;
    let scalar = |sql: &'static str| async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await.expect(sql) };
    assert!(portal::server::ledger::check(&world.db).await.unwrap().is_empty(), "balances equal their entries");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_portal"))
        .args(["ledger", "check"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", &first.database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("portal ledger check runs");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && stdout.contains("ledger ok"), "portal ledger check: {stdout} {stderr}");
    assert_eq!(scalar("SELECT COUNT(*) FROM users WHERE available_paise < 0 OR held_paise < 0").await, 0);
    assert_eq!(
        scalar("SELECT CAST(COALESCE(SUM(held_paise), 0) AS BIGINT) FROM users").await,
        0,
        "nothing held at the end"
    );
    // Each withdrawal resolved exactly once: one release or one payout, never both.
    assert_eq!(
        scalar(
            "SELECT COUNT(*) FROM withdrawals w WHERE (SELECT COUNT(*) FROM ledger_entries e
               WHERE e.reference = 'withdrawal:' || w.id AND e.bucket = 'held' AND e.kind IN ('hold_release', 'withdrawal_payout')) <> 1"
        )
        .await,
        0
    );
    assert_eq!(scalar("SELECT COUNT(*) FROM holds WHERE status = 'active'").await, 0);
    assert_eq!(
        scalar("SELECT COUNT(*) FROM withdrawals w JOIN holds h ON h.withdrawal_id = w.id WHERE (w.status = 'paid') <> (h.status = 'captured')").await,
        0,
        "paid withdrawals are exactly the captured holds"
    );
    // Conservation.
    let credits = scalar(
        "SELECT CAST(COALESCE(SUM(amount_paise), 0) AS BIGINT) FROM ledger_entries WHERE kind = 'deposit_credit'",
    )
    .await;
    let adjustments =
        scalar("SELECT CAST(COALESCE(SUM(amount_paise), 0) AS BIGINT) FROM ledger_entries WHERE kind = 'adjustment'")
            .await;
    let payouts = scalar(
        "SELECT CAST(COALESCE(SUM(-amount_paise), 0) AS BIGINT) FROM ledger_entries WHERE kind = 'withdrawal_payout'",
    )
    .await;
    let balances = scalar("SELECT CAST(COALESCE(SUM(available_paise + held_paise), 0) AS BIGINT) FROM users").await;
    assert_eq!(credits + adjustments - payouts, balances, "money is conserved");
    let paid_deposits = scalar("SELECT CAST(COALESCE(SUM(credited_paise), 0) AS BIGINT) FROM deposits").await;
    let distinct_payments = scalar("SELECT CAST(COALESCE(SUM(amount_paise), 0) AS BIGINT) FROM provider_payments WHERE kind = 'payment' AND status = 'credited'").await;
    assert_eq!(credits, paid_deposits, "each paid deposit credited once, whatever arrived twice");
    assert_eq!(credits, distinct_payments);
    let paid_withdrawals =
        scalar("SELECT CAST(COALESCE(SUM(amount_paise), 0) AS BIGINT) FROM withdrawals WHERE status = 'paid'").await;
    assert_eq!(payouts, paid_withdrawals, "each paid withdrawal paid out once");
    let counts = sqlx::query("SELECT status, COUNT(*) FROM withdrawals GROUP BY status ORDER BY status")
        .fetch_all(pool)
        .await
        .unwrap()
        .into_iter()
        .map(|r| format!("{} {}", r.get::<String, _>(0), r.get::<i64, _>(1)))
        .collect::<Vec<_>>();
    eprintln!("workload: credits {credits}, adjustments {adjustments}, payouts {payouts}; withdrawals {counts:?}");
    assert!(credits > 0 && payouts > 0, "the workload moved money both ways");

    if let Some(s) = second {
        s.stop().await;
    }
    first.stop().await;
}

const SETTINGS: &[(&str, &str)] = &[("SANDBOX_RETRY_SCHEDULE", "1s")];

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn money_is_conserved_under_a_random_workload_on_sqlite() {
    let app = common::spawn_app_with(portal::server::db::Backend::Sqlite, SETTINGS).await.expect("sqlite app");
    run_workload(app, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn money_is_conserved_under_a_random_workload_on_two_postgres_processes() {
    let Some(app) = common::spawn_app_with(portal::server::db::Backend::Postgres, SETTINGS).await else { return };
    let second = spawn_second_instance(&app).await;
    run_workload(app, Some(second)).await;
}
