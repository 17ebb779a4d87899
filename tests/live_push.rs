//! Live status across portal processes (issue 12): on PostgreSQL a credit
//! committed by one process reaches the live-status stream served by another
//! within a second (NOTIFY from the crediting transaction, LISTEN in every
//! process), also after the listening connection was cut; nothing is
//! announced for a change that rolled back. On SQLite (one process) the
//! in-process broadcast does the same.

mod common;
use common::{TestApp, spawn_second_instance};
use portal::server::db::Backend;
use std::time::{Duration, Instant};

const KEY: &str = portal::server::config::DEMO_PRIVATE_KEY;

/// A signed-in user (session written directly: sessions live in the
/// database, so the cookie works on every process).
async fn signed_in(app: &TestApp, login: &str) -> String {
    use portal::server::auth;
    let id =
        auth::create_user(app.db(), &portal::domain::Login::parse(login).unwrap(), "pw-123456", false).await.unwrap();
    let token = auth::start_session(app.db(), id).await.unwrap();
    auth::session_cookie(&token, false).split(';').next().unwrap().to_string()
}

/// A live-status stream as the deposit page's EventSource reads it.
struct Stream {
    resp: reqwest::Response,
    seen: String,
}

impl Stream {
    async fn open(app: &TestApp, cookie: &str, deposit: &str) -> Stream {
        let resp = app
            .http
            .get(app.url(&format!("/api/deposits/{deposit}/events")))
            .header("cookie", cookie)
            .header("accept", "text/event-stream")
            .send()
            .await
            .expect("events request");
        assert_eq!(resp.status(), 200, "the stream opens for the deposit's owner");
        Stream { resp, seen: String::new() }
    }

    /// Reads until an event carries `"status":"<want>"`; false at `deadline`
    /// or if the stream ends first.
    async fn wait_for(&mut self, want: &str, deadline: Instant) -> bool {
        let needle = format!("\"status\":\"{want}\"");
        loop {
            if self.seen.contains(&needle) {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.resp.chunk()).await {
                Ok(Ok(Some(bytes))) => self.seen.push_str(&String::from_utf8_lossy(&bytes)),
                _ => return false,
            }
        }
    }
}

fn payment(login: &str, txn: &str, deposit: &str) -> String {
    common::signed_postback(login, "200", &[(txn, "200", deposit)], KEY)
}

/// Streams on `watcher` see credits whose postbacks land on `payee`: the
/// time from each postback's 200 to the "credited" event, for `n` deposits.
async fn push_latencies(payee: &TestApp, watcher: &TestApp, cookie: &str, login: &str, n: usize) -> Vec<Duration> {
    let mut latencies = Vec::new();
    for i in 0..n {
        let deposit = watcher.start_deposit(cookie, "200", "window").await.expect("deposit");
        let mut stream = Stream::open(watcher, cookie, &deposit).await;
        let opened = Instant::now();
        assert!(stream.wait_for("pending", opened + Duration::from_secs(5)).await, "first event: {}", stream.seen);
        let answer = payee.post_postback(&payment(login, &format!("5200000{i:05}"), &deposit)).await;
        assert_eq!(answer, (200, r#"{"status":"ok"}"#.to_string()));
        let answered = Instant::now();
        assert!(
            stream.wait_for("credited", answered + Duration::from_secs(3)).await,
            "deposit {deposit} never showed credited on the other process's stream: {}",
            stream.seen
        );
        latencies.push(answered.elapsed());
        // The stream re-reads on its own only every 5 s: this came by push.
        assert!(opened.elapsed() < Duration::from_secs(4), "slow run: the periodic re-read may have done it");
    }
    latencies
}

fn report(what: &str, mut latencies: Vec<Duration>) {
    latencies.sort();
    let worst = *latencies.last().expect("at least one");
    eprintln!("{what}: median {:?}, worst {worst:?} over {}", latencies[latencies.len() / 2], latencies.len());
    assert!(worst < Duration::from_secs(1), "{what}: a credit took {worst:?} to show");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credit_on_one_process_shows_on_anothers_stream_within_a_second() {
    let Some(a) = common::spawn_app(Backend::Postgres).await else { return };
    let b = spawn_second_instance(&a).await;
    let cookie = signed_in(&a, "alice").await;
    let latencies = push_latencies(&a, &b, &cookie, "alice", 5).await;
    report("postback on A, stream on B", latencies);
    assert_eq!(a.balance("alice").await, (5 * 20_000, 5 * 20_000));
    assert!(portal::server::ledger::check(a.db()).await.unwrap().is_empty());
    b.stop().await;
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_on_another_process_still_hears_after_its_listener_was_cut() {
    let Some(a) = common::spawn_app(Backend::Postgres).await else { return };
    let b = spawn_second_instance(&a).await;
    let cookie = signed_in(&a, "alice").await;
    let deposit = b.start_deposit(&cookie, "200", "window").await.expect("deposit");
    let mut stream = Stream::open(&b, &cookie, &deposit).await;
    assert!(stream.wait_for("pending", Instant::now() + Duration::from_secs(5)).await);
    // What a database restart does to the listening connections (both processes').
    let cut: Vec<i32> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid)::int FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid() AND query ILIKE 'listen%'",
    )
    .fetch_all(a.db().pool())
    .await
    .unwrap();
    assert_eq!(cut.len(), 2, "one listening connection per process");
    let opened = Instant::now();
    let answer = a.post_postback(&payment("alice", "520000099999", &deposit)).await;
    assert_eq!(answer.0, 200);
    let answered = Instant::now();
    assert!(stream.wait_for("credited", answered + Duration::from_secs(3)).await, "{}", stream.seen);
    let took = answered.elapsed();
    assert!(took < Duration::from_secs(2) && opened.elapsed() < Duration::from_secs(4), "took {took:?}");
    // Listening again: the next credit comes by push as before.
    let latencies = push_latencies(&a, &b, &cookie, "alice", 2).await;
    report("after the listener was cut", latencies);
    b.stop().await;
    a.stop().await;
}

/// NOTIFY from a transaction is delivered at its commit and never for a
/// rollback: a listener hears the committed change only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolled_back_status_change_is_not_announced() {
    let Some(a) = common::spawn_app(Backend::Postgres).await else { return };
    let cookie = signed_in(&a, "alice").await;
    let rolled_back = a.start_deposit(&cookie, "200", "window").await.unwrap();
    let committed = a.start_deposit(&cookie, "200", "window").await.unwrap();
    let mut listener = portal::server::events::listen(&a.database_url).await.expect("listen");
    let pool = a.db().writer();
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("UPDATE deposits SET status = 'failed' WHERE id = $1")
        .bind(&rolled_back)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    // A credit that fails inside its transaction (a conflicting ledger entry
    // for its reference) rolls back too, with the deposit update in it.
    sqlx::query(
        "INSERT INTO ledger_entries (user_id, bucket, amount_paise, kind, reference, memo, created_at)
         SELECT user_id, 'available', 1, 'deposit_credit', 'payment:520000077777', 'planted', 0 FROM deposits WHERE id = $1",
    )
    .bind(&rolled_back)
    .execute(a.db().pool())
    .await
    .unwrap();
    let answer = a.post_postback(&payment("alice", "520000077777", &rolled_back)).await;
    assert_eq!(answer.0, 503, "the conflicting entry aborts the credit: {answer:?}");
    assert_eq!(a.deposit_status(&rolled_back).await.0, "pending");
    let answer = a.post_postback(&payment("alice", "520000088888", &committed)).await;
    assert_eq!(answer.0, 200);
    let heard = tokio::time::timeout(Duration::from_secs(5), listener.recv()).await.expect("a notification").unwrap();
    let change = portal::server::events::parse_notification(heard.payload()).expect("readable payload");
    match change {
        portal::server::events::Change::Deposit(d) => {
            assert_eq!(d.deposit_id, committed, "the first announcement is the committed credit");
            assert_eq!((d.status, d.credited_paise), (portal::domain::DepositStatus::Credited, Some(20_000)));
        }
        other => panic!("unexpected first announcement {other:?}"),
    }
    // Nothing else is pending: the rolled-back changes left no announcement.
    let more = tokio::time::timeout(Duration::from_millis(500), listener.recv()).await;
    assert!(more.is_err(), "an announcement nobody committed: {more:?}");
    a.stop().await;
}

/// SQLite serves one process: its own broadcast pushes the credit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sqlite_a_credit_shows_on_the_stream_within_a_second() {
    let a = common::spawn_app(Backend::Sqlite).await.expect("sqlite app");
    let cookie = signed_in(&a, "alice").await;
    let latencies = push_latencies(&a, &a, &cookie, "alice", 3).await;
    report("sqlite, one process", latencies);
    a.stop().await;
}
