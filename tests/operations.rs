//! Operations (admin console issue): the reconciler with several processes on
//! one database, `portal reconcile --once` as a process, and `GET /metrics`;
//! on SQLite and on PostgreSQL.

mod common;
use common::TestApp;
use portal::server::db::now_ms;
use std::process::Command;

const KEY: &str = portal::server::config::DEMO_PRIVATE_KEY;
const TOKEN: &str = "metrics-token-for-tests-0123456789";

async fn sandbox_post(app: &TestApp, path: &str, body: serde_json::Value) -> serde_json::Value {
    let r = app.http.post(format!("{}{path}", app.sandbox)).json(&body).send().await.unwrap();
    assert!(r.status().is_success(), "{path}: {}", r.status());
    r.json().await.unwrap()
}

/// A provider order at the sandbox for `custom_transaction_id`; its order id.
async fn sandbox_order(app: &TestApp, custom_transaction_id: &str, rupees: i64) -> String {
    let created = sandbox_post(
        app,
        "/api/v1/payment/create/upi_s?secret=sandbox-api-secret",
        serde_json::json!({"mode":"upi_collect_qr","amount":rupees,"currency":"INR","label":"alice",
            "wallet_type":"upi_s","custom_transaction_id":custom_transaction_id}),
    )
    .await;
    created["data"]["order_id"].as_str().expect("order id").to_string()
}

/// An open QR deposit with a provider order, due for its check since `due_at`.
async fn due_deposit(app: &TestApp, user: i64, id: &str, order_id: &str, due_at: i64) {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO deposits (id, user_id, amount_paise, method, status, order_id, created_at, updated_at, expires_at, next_check_at)
         VALUES ($1, $2, 10000, 'qr', 'pending', $3, $4, $4, $5, $6)",
    )
    .bind(id)
    .bind(user)
    .bind(order_id)
    .bind(now - 60_000)
    .bind(now + 600_000)
    .bind(due_at)
    .execute(app.db().writer())
    .await
    .unwrap();
}

async fn events_of(app: &TestApp, deposit: &str, kind: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT detail FROM deposit_events WHERE deposit_id = $1 AND kind = $2 ORDER BY id")
        .bind(deposit)
        .bind(kind)
        .fetch_all(app.db().pool())
        .await
        .unwrap()
}

async fn user_id(app: &TestApp, login: &str) -> i64 {
    portal::server::auth::create_user(app.db(), &portal::domain::Login::parse(login).unwrap(), "pw-123456", false)
        .await
        .unwrap()
}

// ------------------------------------------------------------ reconciler

/// Two reconcile passes at once, each with its own connections to the one
/// database (as two processes have): every due deposit is checked exactly
/// once, by one of them, and a deposit another check holds is left alone
/// until its lease ends.
async fn two_passes_at_once_check_each_due_deposit_once(app: TestApp) {
    let alice = user_id(&app, "alice").await;
    let now = now_ms();
    let mut ids = Vec::new();
    for i in 0..40 {
        let id = format!("dep_twopasses{i:04}");
        let order = sandbox_order(&app, &id, 100).await;
        if i % 4 == 0 {
            app.order_action(&order, "decline").await;
        }
        due_deposit(&app, alice, &id, &order, now - 1_000 - i).await;
        ids.push(id);
    }
    // Held by a check in a process that died a moment ago: its lease runs 60 s more.
    let held_order = sandbox_order(&app, "dep_heldbyother0001", 100).await;
    due_deposit(&app, alice, "dep_heldbyother0001", &held_order, now - 5_000).await;
    sqlx::query("UPDATE deposits SET lease_until = $1, lease_token = 'gone' WHERE id = 'dep_heldbyother0001'")
        .bind(now + 60_000)
        .execute(app.db().writer())
        .await
        .unwrap();

    // The second "process": its own pool on the same database.
    let running = app.running.as_ref().unwrap();
    let other_db = portal::server::db::Db::connect(&app.database_url).await.unwrap();
    let other =
        portal::server::http::app_state(running.config.clone(), other_db.clone(), running.state.shutdown.clone())
            .unwrap();
    let (a, b) = tokio::join!(
        portal::server::deposits::reconcile_once(&running.state),
        portal::server::deposits::reconcile_once(&other)
    );
    let (a, b) = (a.expect("pass a"), b.expect("pass b"));
    eprintln!("pass a: {a}\npass b: {b}");
    assert_eq!(a.checked + b.checked, 40, "each due deposit checked once: {a} / {b}");
    assert_eq!(a.failed + b.failed, 10, "the declined ones failed once: {a} / {b}");
    assert_eq!(a.unchanged + b.unchanged, 30);
    for (i, id) in ids.iter().enumerate() {
        let checks = events_of(&app, id, "status_check").await;
        let expected = if i % 4 == 0 { "failed" } else { "processing" };
        assert_eq!(checks, vec![expected.to_string()], "{id}: one check, the provider's answer");
        let failed = events_of(&app, id, "failed").await;
        assert_eq!(failed.len(), usize::from(i % 4 == 0), "{id}: failed once, beside the change");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM deposits WHERE lease_token IS NOT NULL AND id <> 'dep_heldbyother0001'").await,
        0,
        "every lease given back"
    );
    assert!(events_of(&app, "dep_heldbyother0001", "status_check").await.is_empty(), "held: left alone");
    // "Check now" does not run beside the other check either.
    let held = portal::server::deposits::find(&running.state, "dep_heldbyother0001").await.unwrap().unwrap();
    assert!(matches!(
        portal::server::deposits::check_status(&running.state, &held).await,
        Err(portal::server::deposits::DepositError::CheckTooSoon)
    ));
    // Once the dead holder's lease has run out, a pass takes the deposit.
    sqlx::query("UPDATE deposits SET lease_until = $1 WHERE id = 'dep_heldbyother0001'")
        .bind(now_ms() - 1)
        .execute(app.db().writer())
        .await
        .unwrap();
    let c = portal::server::deposits::reconcile_once(&other).await.unwrap();
    assert_eq!((c.checked, c.unchanged), (1, 1), "{c}");
    assert_eq!(events_of(&app, "dep_heldbyother0001", "status_check").await, vec!["processing".to_string()]);
    other_db.close().await;
    app.stop().await;
}
on_both_backends_with!(
    two_passes_at_once_check_each_due_deposit_once,
    &[("RECONCILE_INTERVAL_SECONDS", "3600"), ("STATUS_CHECK_INTERVAL_SECONDS", "1")]
);

/// `portal reconcile --once` run as its own process beside the app.
fn reconcile_cli(app: &TestApp, json: bool) -> (i32, String, String) {
    let mut args = vec!["reconcile", "--once"];
    if json {
        args.push("--json");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_portal"))
        .args(&args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", &app.database_url)
        .env("SANDBOX", "off")
        .env("PAYKASSMA_API_URL", &app.sandbox)
        .env("PAID_NO_POSTBACK_MINUTES", "1")
        .env("STATUS_CHECK_INTERVAL_SECONDS", "1")
        .env("RUST_LOG", "warn")
        .output()
        .expect("portal runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

async fn make_due(app: &TestApp, dep: &str) {
    sqlx::query("UPDATE deposits SET next_check_at = 0 WHERE id = $1")
        .bind(dep)
        .execute(app.db().writer())
        .await
        .unwrap();
}

/// The sandbox withholds the postback of a paid order: the provider's status
/// says paid, nothing credits it, and `portal reconcile --once` (a process of
/// its own) flags it for admins once PAID_NO_POSTBACK_MINUTES have passed.
async fn reconcile_once_cli_flags_a_paid_deposit_without_postback(app: TestApp) {
    let alice = app.sign_up("alice", "pw-123456").await;
    sandbox_post(&app, "/sandbox/api/chaos", serde_json::json!({"delay_ms": 600_000})).await;
    let dep = app.start_deposit(&alice, "400", "qr").await.unwrap();
    let order = app.order_of(&dep).await;
    let paid = app.order_action(&order, "pay").await;
    let txn = paid["transaction_id"].as_str().expect("transaction id").to_string();
    make_due(&app, &dep).await;

    let (code, out, err) = reconcile_cli(&app, true);
    assert_eq!(code, 0, "{out}{err}");
    let first: serde_json::Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(
        first,
        serde_json::json!({"checked":1,"expired":0,"failed":0,"flagged":0,"other":0,"unchanged":1,"skipped":0})
    );
    // A minute later, still no postback.
    sqlx::query("UPDATE deposits SET provider_paid_at = provider_paid_at - 61000 WHERE id = $1")
        .bind(&dep)
        .execute(app.db().writer())
        .await
        .unwrap();
    make_due(&app, &dep).await;
    let (code, out, err) = reconcile_cli(&app, false);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        out.trim(),
        "reconcile: checked 1, expired 0, failed 0, flagged 1, unchanged 0, other 0, skipped 0 (another process had them)"
    );
    let flag: String = sqlx::query_scalar("SELECT flag FROM deposits WHERE id = $1")
        .bind(&dep)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert_eq!(flag, "paid_no_postback");
    assert_eq!(events_of(&app, &dep, "status_check").await, vec!["success", "success"]);
    assert_eq!(events_of(&app, &dep, "flagged").await, vec!["paid_no_postback"]);
    let (status, credited, _) = app.deposit_status(&dep).await;
    assert_eq!((status.as_str(), credited), ("pending", None), "never credited by a status check");
    // Nothing due: the next run checks nothing.
    let (_, out, _) = reconcile_cli(&app, true);
    assert!(out.contains(r#""checked":0"#), "{out}");
    // The signed postback, when it comes, credits it once.
    let body = common::signed_postback("alice", "400", &[(txn.as_str(), "400", dep.as_str())], KEY);
    assert_eq!(app.post_postback(&body).await.0, 200);
    assert_eq!(app.balance("alice").await.0, 40_000);
    app.stop().await;
}
on_both_backends_with!(
    reconcile_once_cli_flags_a_paid_deposit_without_postback,
    &[("RECONCILE_INTERVAL_SECONDS", "3600"), ("PAID_NO_POSTBACK_MINUTES", "1")]
);

// ------------------------------------------------------------ metrics

async fn scrape(app: &TestApp, authorization: Option<&str>, cookie: Option<&str>) -> (u16, String) {
    let mut req = app.http.get(app.url("/metrics"));
    if let Some(a) = authorization {
        req = req.header("authorization", a);
    }
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    let resp = req.send().await.expect("GET /metrics");
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap_or_default())
}

/// The value of one series (`name{labels}` exactly as rendered), 0 if absent.
fn series(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

async fn metrics_need_an_admin_or_the_token_and_count_credits(app: TestApp) {
    let bearer = format!("Bearer {TOKEN}");
    assert_eq!(scrape(&app, None, None).await.0, 401, "anonymous");
    assert_eq!(scrape(&app, Some("Bearer not-the-metrics-token-0000"), None).await.0, 401, "wrong token");
    assert_eq!(scrape(&app, Some(TOKEN), None).await.0, 401, "the token without its scheme");
    let alice = app.sign_up("alice", "pw-123456").await;
    let (status, body) = scrape(&app, None, Some(&alice)).await;
    assert_eq!(status, 401, "a user who is no admin");
    assert!(!body.contains("portal_"), "{body}");

    let (status, before) = scrape(&app, Some(&bearer), None).await;
    assert_eq!(status, 200);
    for name in [
        "portal_deposits{status=\"credited\"}",
        "portal_deposits{status=\"pending\"}",
        "portal_reconcile_lag_seconds",
        "portal_live_streams_open",
        "portal_credits_total{source=\"postback\"}",
        "portal_credited_paise_total{source=\"postback\"}",
    ] {
        assert!(before.lines().any(|l| l.starts_with(name)), "{name} missing:\n{before}");
    }
    // A QR deposit calls the provider; a window deposit credited by its postback.
    let _qr = app.start_deposit(&alice, "150", "qr").await.unwrap();
    let dep = app.start_deposit(&alice, "250", "window").await.unwrap();
    let body = common::signed_postback("alice", "250", &[("612345678901", "250", dep.as_str())], KEY);
    assert_eq!(app.post_postback(&body).await.0, 200);
    let admin = app.admin_cookie("admin1").await;
    let (status, after) = scrape(&app, None, Some(&admin)).await;
    assert_eq!(status, 200, "a signed-in admin");
    let credits = "portal_credits_total{source=\"postback\"}";
    let paise = "portal_credited_paise_total{source=\"postback\"}";
    let credited = "portal_postbacks_total{verdict=\"credited\"}";
    // The recorder is per process and other tests run beside this one: at least ours.
    assert!(series(&after, credits) >= series(&before, credits) + 1.0, "{after}");
    assert!(series(&after, paise) >= series(&before, paise) + 25_000.0, "{after}");
    assert!(series(&after, credited) >= series(&before, credited) + 1.0, "{after}");
    assert!(series(&after, "portal_deposits{status=\"credited\"}") >= 1.0, "{after}");
    assert!(series(&after, "portal_deposits{status=\"pending\"}") >= 1.0, "the QR deposit: {after}");
    assert!(
        after.lines().any(|l| l.starts_with("portal_provider_call_seconds_bucket{call=\"create\"")),
        "the create call's latency: {after}"
    );
    assert!(after.contains("# TYPE portal_provider_call_seconds histogram"), "{after}");
    // A forged postback counts under its verdict.
    let forged = common::signed_postback("alice", "250", &[("612345678902", "250", dep.as_str())], "not-the-key");
    assert_eq!(app.post_postback(&forged).await.0, 403);
    let (_, last) = scrape(&app, Some(&bearer), None).await;
    let rejected = "portal_postbacks_total{verdict=\"rejected\"}";
    assert!(series(&last, rejected) >= series(&after, rejected) + 1.0, "{last}");
    app.stop().await;
}
on_both_backends_with!(metrics_need_an_admin_or_the_token_and_count_credits, &[("METRICS_TOKEN", crate::TOKEN)]);

/// Without METRICS_TOKEN no bearer token opens /metrics, not even an empty one.
async fn without_a_token_only_admins_read_metrics(app: TestApp) {
    assert_eq!(scrape(&app, Some("Bearer "), None).await.0, 401);
    assert_eq!(scrape(&app, Some(&format!("Bearer {TOKEN}")), None).await.0, 401);
    let admin = app.admin_cookie("admin1").await;
    assert_eq!(scrape(&app, None, Some(&admin)).await.0, 200);
    app.stop().await;
}
on_both_backends_with!(without_a_token_only_admins_read_metrics, &[]);
