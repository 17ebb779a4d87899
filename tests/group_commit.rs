//! Group commit (issue 12), on SQLite and on PostgreSQL: postbacks that arrive
//! together share a transaction, yet each is credited exactly once, answered
//! only once committed, and one that fails never takes the others down nor
//! commits half of itself.

mod common;
use common::{TestApp, signed_postback};
use portal::server::config::DEMO_PRIVATE_KEY as KEY;
use portal::server::db::{Backend, Db};
use portal::server::group_commit::{GroupCommit, Work, WorkFuture};
use sqlx::AnyConnection;
use std::time::Duration;

const OK: &str = r#"{"status":"ok"}"#;

/// Holds back every writer for a moment, so what arrives meanwhile queues up:
/// on SQLite by taking its one writer connection, on PostgreSQL by locking
/// `sql_lock`'s rows (what every work must write).
async fn hold_writers(db: &Db, sql_lock: &str, for_: Duration) -> tokio::task::JoinHandle<()> {
    let (ready_tx, ready) = tokio::sync::oneshot::channel();
    let db = db.clone();
    let sql_lock = sql_lock.to_string();
    let handle = tokio::spawn(async move {
        let mut tx = db.writer().begin().await.expect("writer");
        if db.backend == Backend::Postgres {
            sqlx::query(&sql_lock).execute(&mut *tx).await.expect("lock");
        }
        let _ = ready_tx.send(());
        tokio::time::sleep(for_).await;
        tx.rollback().await.expect("release");
    });
    ready.await.expect("writers held");
    handle
}

async fn postbacks_arriving_together_share_commits_and_each_credits_once(app: TestApp) {
    const USERS: [&str; 4] = ["alice", "bob", "carol", "dave"];
    let mut bodies = Vec::new();
    for (u, login) in USERS.iter().enumerate() {
        let cookie = app.sign_up(login, "pw-123456").await;
        // five each: as many open deposits as a user may have
        for i in 0..5 {
            let dep = app.start_deposit(&cookie, "100", "window").await.unwrap();
            bodies.push(signed_postback(login, "100", &[(&format!("51000000{u}{i:02}"), "100", &dep)], KEY));
        }
    }
    // Every postback twice, all at once: 40 deliveries, 20 payments.
    let all: Vec<String> = bodies.iter().chain(bodies.iter()).cloned().collect();
    let state = &app.running.as_ref().unwrap().state;
    let (tx_before, works_before) = state.postbacks.stats().committed();
    let held = hold_writers(app.db(), "SELECT id FROM users FOR UPDATE", Duration::from_millis(700)).await;
    let mut tasks = Vec::new();
    for body in all {
        let (http, url) = (app.http.clone(), app.url("/api/paykassma/postback"));
        tasks.push(tokio::spawn(async move {
            let r = http.post(url).header("content-type", "application/json").body(body).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }));
    }
    held.await.unwrap();
    for t in tasks {
        assert_eq!(t.await.unwrap(), (200, OK.to_string()));
    }
    let (tx_after, works_after) = state.postbacks.stats().committed();
    let (transactions, works) = (tx_after - tx_before, works_after - works_before);
    assert_eq!(works, 40, "every delivery committed once");
    assert!(transactions <= 12, "40 postbacks that waited together took {transactions} transactions");
    for login in USERS {
        assert_eq!(app.balance(login).await, (50_000, 50_000), "{login}: five payments of ₹100, each once");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM ledger_entries").await, 20);
    assert_eq!(app.count("SELECT COUNT(*) FROM postbacks").await, 40, "every delivery is kept raw");
    assert_eq!(app.count("SELECT COUNT(*) FROM postbacks WHERE verdict = 'credited'").await, 20);
    assert_eq!(app.count("SELECT COUNT(*) FROM postbacks WHERE verdict = 'duplicate'").await, 20);
    assert_eq!(app.count("SELECT COUNT(*) FROM deposits WHERE status = 'credited'").await, 20);
    assert!(portal::server::ledger::check(app.db()).await.unwrap().is_empty());
    app.stop().await;
}

/// A test work: writes its row, then fails if it is the poisoned one.
struct Probe {
    id: i64,
    poisoned: bool,
}

impl Work for Probe {
    type Output = i64;
    fn apply<'a>(&'a self, conn: &'a mut AnyConnection) -> WorkFuture<'a, i64> {
        Box::pin(async move {
            sqlx::query("INSERT INTO gc_probe (id, note) VALUES ($1, 'written')")
                .bind(self.id)
                .execute(&mut *conn)
                .await?;
            if self.poisoned {
                return Err(sqlx::Error::Protocol(format!("probe {} refuses", self.id)));
            }
            Ok(self.id)
        })
    }
}

async fn a_failing_work_rolls_back_alone_and_the_others_commit(app: TestApp) {
    let db = app.db().clone();
    sqlx::query("CREATE TABLE gc_probe (id BIGINT PRIMARY KEY, note TEXT NOT NULL)")
        .execute(db.writer())
        .await
        .unwrap();
    sqlx::query("INSERT INTO gc_probe (id, note) VALUES (0, 'lock row')").execute(db.writer()).await.unwrap();
    let commits: GroupCommit<Probe> = GroupCommit::start(db.clone());
    let held = hold_writers(&db, "LOCK TABLE gc_probe IN EXCLUSIVE MODE", Duration::from_millis(500)).await;
    let mut tasks = Vec::new();
    for id in 1..=20_i64 {
        let commits = commits.clone();
        tasks.push(tokio::spawn(async move { commits.run(Probe { id, poisoned: id == 12 }).await }));
        tokio::task::yield_now().await;
    }
    held.await.unwrap();
    for (i, t) in tasks.into_iter().enumerate() {
        let id = i as i64 + 1;
        match t.await.unwrap() {
            Ok(out) => assert_eq!(out, id),
            Err(e) => {
                assert_eq!(id, 12, "only the poisoned work fails, not {id}: {e}");
                assert!(e.to_string().contains("probe 12 refuses"), "{e}");
            }
        }
    }
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM gc_probe WHERE id > 0 ORDER BY id").fetch_all(db.pool()).await.unwrap();
    let expected: Vec<i64> = (1..=20).filter(|i| *i != 12).collect();
    assert_eq!(ids, expected, "the poisoned work's own row never commits; every other does");
    let (_, works) = commits.stats().committed();
    assert_eq!(works, 19);
    app.stop().await;
}

on_both_backends!(
    postbacks_arriving_together_share_commits_and_each_credits_once,
    a_failing_work_rolls_back_alone_and_the_others_commit,
);
