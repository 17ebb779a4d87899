//! Resource limits and stuck money surfaces (issue 7, parts 4 and 5), tried
//! over real HTTP against the whole app (portal + sandbox), on SQLite and on
//! PostgreSQL.

mod common;
use common::TestApp;
use portal::server::db::now_ms;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const KEY: &str = portal::server::config::DEMO_PRIVATE_KEY;

async fn open_stream(app: &TestApp, cookie: &str, deposit: &str) -> reqwest::Response {
    app.http
        .get(app.url(&format!("/api/deposits/{deposit}/events")))
        .header("cookie", cookie)
        .header("accept", "text/event-stream")
        .send()
        .await
        .expect("events request")
}

/// A payment-window deposit (no provider call): pending at once.
async fn window_deposit(app: &TestApp, cookie: &str) -> String {
    app.start_deposit(cookie, "200", "window").await.expect("deposit created")
}

async fn wait_until<F, Fut>(what: &str, timeout: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while start.elapsed() < timeout {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what}: not within {timeout:?}");
}

// ------------------------------------------------------------ live status

async fn sse_streams_are_capped_per_user_and_overall(app: TestApp) {
    let alice = app.sign_up("alice", "pw-123456").await;
    let bob = app.sign_up("bob", "pw-123456").await;
    let a = window_deposit(&app, &alice).await;
    let b = window_deposit(&app, &bob).await;
    let a1 = open_stream(&app, &alice, &a).await;
    let a2 = open_stream(&app, &alice, &a).await;
    assert_eq!((a1.status().as_u16(), a2.status().as_u16()), (200, 200));
    let a3 = open_stream(&app, &alice, &a).await;
    assert_eq!(a3.status(), 429, "a third stream of one user");
    assert!(a3.text().await.unwrap().contains("Too many live status pages open (2 per account)"));
    let b1 = open_stream(&app, &bob, &b).await;
    assert_eq!(b1.status(), 200);
    let b2 = open_stream(&app, &bob, &b).await;
    assert_eq!(b2.status(), 429, "over the overall cap of 3");
    assert!(b2.text().await.unwrap().contains("live status is busy"));
    // Closing a stream gives its slot back.
    drop(a1);
    let state = app.running.as_ref().unwrap().state.clone();
    wait_until("a closed stream frees its slot", Duration::from_secs(5), || {
        let n = state.limits.open_streams();
        async move { n == 2 }
    })
    .await;
    let b3 = open_stream(&app, &bob, &b).await;
    assert_eq!(b3.status(), 200);
    // Shutdown ends open streams instead of waiting for them.
    tokio::time::timeout(Duration::from_secs(5), app.stop()).await.expect("shutdown with live streams open");
    drop((a2, b1, b3));
}
on_both_backends_with!(
    sse_streams_are_capped_per_user_and_overall,
    &[("LIVE_STREAMS_PER_USER", "2"), ("LIVE_STREAMS_MAX", "3")]
);

/// A signed-in user without the sign-up request (password hashing in a debug
/// build can take longer than the short request timeout these tests set).
async fn signed_in(app: &TestApp, login: &str) -> String {
    use portal::server::auth;
    let id =
        auth::create_user(app.db(), &portal::domain::Login::parse(login).unwrap(), "pw-123456", false).await.unwrap();
    let token = auth::start_session(app.db(), id).await.unwrap();
    auth::session_cookie(&token, false).split(';').next().unwrap().to_string()
}

async fn sse_stream_has_a_maximum_lifetime(app: TestApp) {
    let alice = signed_in(&app, "alice").await;
    let dep = window_deposit(&app, &alice).await;
    let started = Instant::now();
    let resp = open_stream(&app, &alice, &dep).await;
    assert_eq!(resp.status(), 200);
    let body = resp.text().await.expect("the stream ends by itself");
    let lived = started.elapsed();
    assert!(body.contains("event: status"), "{body}");
    // Not cut by the 1 s request timeout, ended by its own 3 s lifetime.
    assert!(lived >= Duration::from_millis(2_800) && lived < Duration::from_secs(10), "lived {lived:?}");
    // An ordinary request is still bound by the request timeout (nothing slow here: it answers).
    assert_eq!(app.get_html("/healthz", None).await.0, 200);
    app.stop().await;
}
on_both_backends_with!(
    sse_stream_has_a_maximum_lifetime,
    // The quiet stream also outlives the 1 s idle-connection limit.
    &[
        ("LIVE_STREAM_MAX_SECONDS", "3"),
        ("HTTP_REQUEST_TIMEOUT_SECONDS", "1"),
        ("HTTP_HEADER_READ_TIMEOUT_SECONDS", "1")
    ]
);

/// Live status watchers at the cap hold at most LIVE_STATUS_DB_CONNECTIONS
/// connections: a genuine postback is still credited promptly.
async fn live_status_at_the_cap_never_starves_crediting(app: TestApp) {
    let alice = app.sign_up("alice", "pw-123456").await;
    let watched = window_deposit(&app, &alice).await;
    let paid = window_deposit(&app, &alice).await;
    let mut streams = Vec::new();
    for _ in 0..40 {
        let s = open_stream(&app, &alice, &watched).await;
        assert_eq!(s.status(), 200);
        streams.push(s);
    }
    assert_eq!(open_stream(&app, &alice, &watched).await.status(), 429);
    let started = Instant::now();
    let body = common::signed_postback("alice", "200", &[("510000000001", "200", paid.as_str())], KEY);
    assert_eq!(app.post_postback(&body).await, (200, r#"{"status":"ok"}"#.to_string()));
    let took = started.elapsed();
    assert_eq!(app.deposit_status(&paid).await.0, "credited");
    assert!(took < Duration::from_secs(2), "crediting took {took:?} with 40 live streams open");
    drop(streams);
    app.stop().await;
}
on_both_backends_with!(
    live_status_at_the_cap_never_starves_crediting,
    &[("LIVE_STREAMS_PER_USER", "40"), ("LIVE_STREAMS_MAX", "40"), ("LIVE_STATUS_DB_CONNECTIONS", "2")]
);

// ------------------------------------------------------------ connections

async fn slow_headers_are_cut_off(app: TestApp) {
    let addr = app.running.as_ref().unwrap().addr;
    // Headers that never finish: the connection is closed after ~1 s.
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    let read = tokio::time::timeout(Duration::from_secs(5), slow.read(&mut buf)).await.expect("closed within 5 s");
    let n = read.unwrap_or(0);
    let answer = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(n == 0 || answer.starts_with("HTTP/1.1 408"), "no page for half a request: {answer}");
    assert!(started.elapsed() >= Duration::from_millis(800), "not before the timeout");
    // A connection that sends nothing at all is closed too (it would hold a connection slot).
    let mut idle = tokio::net::TcpStream::connect(addr).await.unwrap();
    let read = tokio::time::timeout(Duration::from_secs(5), idle.read(&mut buf))
        .await
        .expect("idle connection closed within 5 s");
    assert_eq!(read.unwrap_or(0), 0);
    // A body that trickles in: the whole-request timeout answers 408.
    let mut trickle = tokio::net::TcpStream::connect(addr).await.unwrap();
    trickle
        .write_all(b"POST /api/paykassma/postback HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(6), trickle.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer).to_string();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    // Everyone else is served meanwhile and after.
    assert_eq!(app.get_html("/healthz", None).await.0, 200);
    app.stop().await;
}
on_both_backends_with!(
    slow_headers_are_cut_off,
    &[("HTTP_HEADER_READ_TIMEOUT_SECONDS", "1"), ("HTTP_REQUEST_TIMEOUT_SECONDS", "2")]
);

async fn connections_over_the_cap_are_closed(app: TestApp) {
    let addr = app.running.as_ref().unwrap().addr;
    let idle1 = tokio::net::TcpStream::connect(addr).await.unwrap();
    let idle2 = tokio::net::TcpStream::connect(addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut third = tokio::net::TcpStream::connect(addr).await.unwrap();
    let _ = third.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(3), third.read_to_end(&mut buf))
        .await
        .expect("closed, not left hanging");
    assert!(buf.is_empty(), "over the cap: closed without an answer: {}", String::from_utf8_lossy(&buf));
    drop((idle1, idle2));
    wait_until("served again once connections close", Duration::from_secs(5), || {
        let client = reqwest::Client::new();
        let url = app.url("/healthz");
        async move { client.get(url).send().await.is_ok_and(|r| r.status() == 200) }
    })
    .await;
    app.stop().await;
}
on_both_backends_with!(connections_over_the_cap_are_closed, &[("HTTP_MAX_CONNECTIONS", "2")]);

// ------------------------------------------------------------ postbacks

async fn forged_postback_flood_is_coalesced(app: TestApp) {
    let alice = app.sign_up("alice", "pw-123456").await;
    let dep = window_deposit(&app, &alice).await;
    let forged_same = common::signed_postback("alice", "200", &[("520000000000", "200", dep.as_str())], "not-the-key");
    let started = Instant::now();
    let mut workers = Vec::new();
    for w in 0..16 {
        let http = app.http.clone();
        let url = app.url("/api/paykassma/postback");
        let same = forged_same.clone();
        let dep = dep.clone();
        workers.push(tokio::spawn(async move {
            let mut statuses = Vec::new();
            for i in 0..125 {
                // Half resend one forgery, half are all different.
                let body = if i % 2 == 0 {
                    same.clone()
                } else {
                    let txn = format!("53{w:02}{i:08}");
                    common::signed_postback("alice", "200", &[(txn.as_str(), "200", dep.as_str())], "not-the-key")
                };
                let r = http.post(&url).header("content-type", "application/json").body(body).send().await.unwrap();
                statuses.push(r.status().as_u16());
            }
            statuses
        }));
    }
    // A genuine postback in the middle of the flood.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let genuine = common::signed_postback("alice", "200", &[("520000000001", "200", dep.as_str())], KEY);
    let before = Instant::now();
    assert_eq!(app.post_postback(&genuine).await, (200, r#"{"status":"ok"}"#.to_string()));
    let genuine_took = before.elapsed();
    let mut answered = 0;
    for w in workers {
        let statuses = w.await.unwrap();
        assert!(statuses.iter().all(|s| *s == 403), "the answer is unchanged: 403 for a forgery");
        answered += statuses.len();
    }
    let elapsed = started.elapsed().as_secs_f64();
    assert_eq!(answered, 2000);
    assert_eq!(app.deposit_status(&dep).await.0, "credited");
    assert_eq!(app.balance("alice").await.0, 20_000);
    assert!(genuine_took < Duration::from_secs(5), "genuine postback took {genuine_took:?}");
    let rows = app.count("SELECT COUNT(*) FROM postbacks WHERE verdict = 'rejected'").await;
    let bound = 10 + (10.0 * elapsed).ceil() as i64;
    assert!(rows >= 1 && rows <= bound, "{rows} rejected rows for 2000 forgeries in {elapsed:.1} s (at most {bound})");
    // The next recorded rejection says how many were left out.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let one_more = common::signed_postback("alice", "200", &[("539999999999", "200", dep.as_str())], "not-the-key");
    assert_eq!(app.post_postback(&one_more).await.0, 403);
    let details: Vec<String> =
        sqlx::query_scalar("SELECT detail FROM postbacks WHERE verdict = 'rejected' ORDER BY id")
            .fetch_all(app.db().pool())
            .await
            .unwrap();
    let left_out: i64 = details
        .iter()
        .filter_map(|d| d.split("(+").nth(1).and_then(|s| s.split(' ').next()).and_then(|n| n.parse::<i64>().ok()))
        .sum();
    assert!(details.last().is_some_and(|d| d.contains("rejected postbacks not recorded")), "{details:?}");
    assert_eq!(left_out + details.len() as i64, 2001, "every forgery is either recorded or counted");
    app.stop().await;
}
on_both_backends_with!(forged_postback_flood_is_coalesced, &[("REJECTED_POSTBACKS_PER_SECOND", "10")]);

// ------------------------------------------------------------ deposits

async fn open_deposit_cap_is_race_free(app: TestApp) {
    let alice = app.sign_up("alice", "pw-123456").await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (http, base, cookie) = (app.http.clone(), app.base.clone(), alice.clone());
        tasks.push(tokio::spawn(async move {
            match common::post_create_deposit(&http, &base, &cookie, "150", "window").await {
                Ok(id) => format!("/deposits/{id}"),
                Err(location) => location,
            }
        }));
    }
    let mut created = 0;
    let mut refused = 0;
    for t in tasks {
        let loc = t.await.unwrap();
        if loc.starts_with("/deposits/") {
            created += 1;
        } else {
            assert!(loc.contains("error=too_many_open"), "{loc}");
            refused += 1;
        }
    }
    let cap = portal::server::deposits::MAX_OPEN_DEPOSITS;
    assert_eq!((created, refused), (cap, 8 - cap));
    assert_eq!(app.count("SELECT COUNT(*) FROM deposits WHERE status IN ('created', 'pending', 'unknown')").await, cap);
    app.stop().await;
}
on_both_backends_with!(open_deposit_cap_is_race_free, &[]);

async fn check_now(app: &TestApp, cookie: &str, dep: &str) -> String {
    let r = app
        .http
        .post(app.url("/api/deposit-check"))
        .header("cookie", cookie)
        .header("accept", "application/json")
        .form(&[("id", dep)])
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = r.json().await.expect("LiveStatus JSON");
    v["message"].as_str().unwrap_or("").to_string()
}

async fn check_now_floor_is_one_second(app: TestApp) {
    let env = |v: &str| common::env_config(&[("STATUS_CHECK_INTERVAL_SECONDS", v)]);
    let refused = portal::server::config::Config::from_map(&env("0")).unwrap_err();
    assert_eq!(refused.variable, "STATUS_CHECK_INTERVAL_SECONDS");
    let alice = app.sign_up("alice", "pw-123456").await;
    let dep = app.start_deposit(&alice, "250", "qr").await.unwrap();
    assert_eq!(check_now(&app, &alice, &dep).await, "Still waiting for your payment.");
    assert_eq!(check_now(&app, &alice, &dep).await, "Please wait a few seconds before checking again.");
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert_eq!(check_now(&app, &alice, &dep).await, "Still waiting for your payment.");
    app.stop().await;
}
on_both_backends_with!(check_now_floor_is_one_second, &[("STATUS_CHECK_INTERVAL_SECONDS", "1")]);

// ------------------------------------------------------------ reconciler

async fn sandbox_post(app: &TestApp, path: &str, body: serde_json::Value) -> serde_json::Value {
    let r = app.http.post(format!("{}{path}", app.sandbox)).json(&body).send().await.unwrap();
    assert!(r.status().is_success(), "{path}: {}", r.status());
    r.json().await.unwrap()
}

async fn make_due(app: &TestApp, dep: &str) {
    sqlx::query("UPDATE deposits SET next_check_at = 0 WHERE id = $1")
        .bind(dep)
        .execute(app.db().writer())
        .await
        .unwrap();
}

async fn reconcile(app: &TestApp) {
    portal::server::deposits::reconcile_once(&app.running.as_ref().unwrap().state).await.expect("reconcile pass");
}

async fn user_id(app: &TestApp, login: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM users WHERE login = $1").bind(login).fetch_one(app.db().pool()).await.unwrap()
}

/// A deposit row as `create` writes it before calling the provider, then
/// nothing more (the portal died, or the answer was lost).
async fn stuck_row(
    app: &TestApp,
    user: i64,
    id: &str,
    status: &str,
    order_id: Option<&str>,
    amount_paise: i64,
    next_check_at: i64,
) {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO deposits (id, user_id, amount_paise, method, status, order_id, created_at, updated_at, expires_at, next_check_at)
         VALUES ($1, $2, $3, 'qr', $4, $5, $6, $6, $7, $8)",
    )
    .bind(id)
    .bind(user)
    .bind(amount_paise)
    .bind(status)
    .bind(order_id)
    .bind(now - 60_000)
    .bind(now + 600_000)
    .bind(next_check_at)
    .execute(app.db().writer())
    .await
    .unwrap();
}

async fn reconciler_checks_in_order_of_next_check(app: TestApp) {
    let alice = app.sign_up("alice", "pw-123456").await;
    portal::server::auth::create_user(app.db(), &portal::domain::Login::parse("stuck").unwrap(), "pw-123456", false)
        .await
        .unwrap();
    let stuck = user_id(&app, "stuck").await;
    // 150 deposits whose status check fails every time (the provider knows no such order).
    let now = now_ms();
    for i in 0..150 {
        stuck_row(
            &app,
            stuck,
            &format!("dep_stuck{i:03}"),
            "pending",
            Some(&format!("missing-{i}")),
            10_000,
            now - 100_000 + i,
        )
        .await;
    }
    reconcile(&app).await;
    let backed_off =
        app.count(&format!("SELECT COUNT(*) FROM deposits WHERE check_count = 1 AND next_check_at > {now}")).await;
    assert_eq!(backed_off, 100, "one pass checks 100 and backs each off");
    // A fresh deposit, declined in the UPI app, becomes due: the next pass
    // checks it although 150 older rows are still stuck.
    let fresh = app.start_deposit(&alice, "300", "qr").await.unwrap();
    let order = app.order_of(&fresh).await;
    app.order_action(&order, "decline").await;
    sqlx::query("UPDATE deposits SET next_check_at = $1 WHERE id = $2")
        .bind(now_ms())
        .bind(&fresh)
        .execute(app.db().writer())
        .await
        .unwrap();
    reconcile(&app).await;
    assert_eq!(app.deposit_status(&fresh).await.0, "failed", "the fresh deposit was checked");
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM deposits WHERE user_id = {stuck} AND check_count >= 1")).await,
        150,
        "and the other 50 stuck ones too"
    );
    app.stop().await;
}
on_both_backends_with!(
    reconciler_checks_in_order_of_next_check,
    &[("RECONCILE_INTERVAL_SECONDS", "3600"), ("STATUS_CHECK_INTERVAL_SECONDS", "1")]
);

async fn stuck_created_after_provider_success_is_found(app: TestApp) {
    let _alice = app.sign_up("alice", "pw-123456").await;
    let admin = app.admin_cookie("admin1").await;
    let alice_id = user_id(&app, "alice").await;
    sandbox_post(&app, "/sandbox/api/chaos", serde_json::json!({"delay_ms": 600_000})).await;

    // A: the create call reached the provider, its answer never reached us; the user paid.
    stuck_row(&app, alice_id, "dep_lostanswer000000001", "created", None, 25_000, 0).await;
    let created = sandbox_post(
        &app,
        "/api/v1/payment/create/upi_s?secret=sandbox-api-secret",
        serde_json::json!({"mode":"upi_collect_qr","amount":250,"currency":"INR","label":"alice","wallet_type":"upi_s","custom_transaction_id":"dep_lostanswer000000001"}),
    )
    .await;
    let order = created["data"]["order_id"].as_str().unwrap().to_string();
    let paid = app.order_action(&order, "pay").await;
    let txn = paid["transaction_id"].as_str().expect("transaction id").to_string();

    // B: the create call never reached the provider.
    stuck_row(&app, alice_id, "dep_nevercreated0000001", "created", None, 30_000, 0).await;

    reconcile(&app).await;
    let (status_a, credited_a, _) = app.deposit_status("dep_lostanswer000000001").await;
    assert_eq!((status_a.as_str(), credited_a), ("unknown", None), "found, waiting for the signed postback");
    let flag: String = sqlx::query_scalar("SELECT flag FROM deposits WHERE id = 'dep_lostanswer000000001'")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert_eq!(flag, "order_unseen");
    let (status_b, _, _) = app.deposit_status("dep_nevercreated0000001").await;
    assert_eq!(status_b, "pending", "the provider order is created now, under the same custom_transaction_id");
    let order_b = app.order_of("dep_nevercreated0000001").await;
    // B is paid; the status check sees it (and still credits nothing).
    app.order_action(&order_b, "pay").await;
    make_due(&app, "dep_nevercreated0000001").await;
    reconcile(&app).await;
    let paid_seen: Option<i64> =
        sqlx::query_scalar("SELECT provider_paid_at FROM deposits WHERE id = 'dep_nevercreated0000001'")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    assert!(paid_seen.is_some(), "the provider's success is seen");
    assert_eq!(app.balance("alice").await.0, 0, "only a signed postback moves money");

    // Admins see the flag.
    let (_, html) = app.get_html("/admin/transactions?flag=order_unseen", Some(&admin)).await;
    assert!(html.contains("dep_lostanswer000000001"), "the admin list finds the flag");
    assert!(!html.contains("dep_nevercreated0000001"), "and only the flagged deposit");

    // The signed postback credits A exactly once, although it was `created`.
    let body = common::signed_postback("alice", "250", &[(txn.as_str(), "250", "dep_lostanswer000000001")], KEY);
    assert_eq!(app.post_postback(&body).await.0, 200);
    assert_eq!(app.post_postback(&body).await.0, 200);
    assert_eq!(app.deposit_status("dep_lostanswer000000001").await.1, Some(25_000));
    assert_eq!(app.balance("alice").await.0, 25_000);
    assert!(portal::server::ledger::check(app.db()).await.unwrap().is_empty());
    app.stop().await;
}
on_both_backends_with!(stuck_created_after_provider_success_is_found, &[("RECONCILE_INTERVAL_SECONDS", "3600")]);

async fn paid_without_postback_is_flagged(app: TestApp) {
    let alice = app.sign_up("alice", "pw-123456").await;
    let admin = app.admin_cookie("admin1").await;
    sandbox_post(&app, "/sandbox/api/chaos", serde_json::json!({"delay_ms": 600_000})).await;
    let dep = app.start_deposit(&alice, "400", "qr").await.unwrap();
    let order = app.order_of(&dep).await;
    let paid = app.order_action(&order, "pay").await;
    let txn = paid["transaction_id"].as_str().expect("transaction id").to_string();
    make_due(&app, &dep).await;
    reconcile(&app).await;
    let flag = |app: &TestApp| {
        let pool = app.db().pool().clone();
        let dep = dep.clone();
        async move {
            sqlx::query_scalar::<_, String>("SELECT flag FROM deposits WHERE id = $1")
                .bind(dep)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(flag(&app).await, "", "paid a moment ago: not flagged yet");
    // PAID_NO_POSTBACK_MINUTES (1) later, still no postback.
    sqlx::query("UPDATE deposits SET provider_paid_at = provider_paid_at - 61000 WHERE id = $1")
        .bind(&dep)
        .execute(app.db().writer())
        .await
        .unwrap();
    make_due(&app, &dep).await;
    reconcile(&app).await;
    assert_eq!(flag(&app).await, "paid_no_postback");
    let (status, credited, _) = app.deposit_status(&dep).await;
    assert_eq!((status.as_str(), credited), ("pending", None), "never credited by the status check");
    assert_eq!(app.balance("alice").await.0, 0);
    let (_, html) = app.get_html("/admin/transactions?flag=paid_no_postback", Some(&admin)).await;
    assert!(html.contains(&dep) && html.contains("paid no postback"), "the admin list shows the flag");
    let (_, html) = app.get_html("/admin", Some(&admin)).await;
    let flagged = html
        .split(r#"data-testid="flagged-count""#)
        .nth(1)
        .and_then(|r| r.split_once('>'))
        .and_then(|(_, text)| text.split('<').next());
    assert_eq!(flagged, Some("1"), "the dashboard counts it");
    // The signed postback, when it comes, credits it once.
    let body = common::signed_postback("alice", "400", &[(txn.as_str(), "400", dep.as_str())], KEY);
    assert_eq!(app.post_postback(&body).await.0, 200);
    assert_eq!(app.balance("alice").await.0, 40_000);
    app.stop().await;
}
on_both_backends_with!(
    paid_without_postback_is_flagged,
    &[("RECONCILE_INTERVAL_SECONDS", "3600"), ("PAID_NO_POSTBACK_MINUTES", "1")]
);
