//! Group commit (issue 12), on SQLite and on PostgreSQL: postbacks that arrive
//! together share a transaction, yet each is credited exactly once, answered
//! only once committed, and one that fails never takes the others down nor
//! commits half of itself.

mod common;
use common::{TestApp, signed_postback, signed_withdrawal_result};
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

/// What a batch left in the database, without ids or clocks (postbacks are
/// named by their body), in an order that does not depend on the ids.
async fn written(conn: &mut AnyConnection, after_postback: i64) -> Vec<String> {
    let queries = [
        "SELECT body || '|' || remote_addr || '|' || direction || '|' || verdict || '|' || detail || '|' || CAST(http_status AS TEXT)
         FROM postbacks WHERE id > $1 ORDER BY 1",
        "SELECT pp.transaction_id || '|' || pb.body || '|' || pp.kind || '|' || COALESCE(pp.deposit_id, '-') || '|'
                || COALESCE(CAST(pp.user_id AS TEXT), '-') || '|' || CAST(pp.amount_paise AS TEXT) || '|' || pp.currency || '|'
                || pp.order_ref || '|' || pp.label || '|' || pp.status || '|' || pp.reason || '|' || pp.flags
         FROM provider_payments pp JOIN postbacks pb ON pb.id = pp.postback_id WHERE pb.id > $1 ORDER BY 1",
        "SELECT CAST(user_id AS TEXT) || '|' || bucket || '|' || CAST(amount_paise AS TEXT) || '|' || kind || '|' || reference || '|' || memo
         FROM ledger_entries WHERE $1 >= 0 ORDER BY 1",
        "SELECT CAST(id AS TEXT) || '|' || CAST(available_paise AS TEXT) || '|' || CAST(held_paise AS TEXT) FROM users WHERE $1 >= 0 ORDER BY id",
        "SELECT id || '|' || status || '|' || COALESCE(CAST(credited_paise AS TEXT), '-') || '|' || COALESCE(provider_txn_id, '-') || '|'
                || flags || '|' || CASE WHEN next_check_at IS NULL THEN 'no check' ELSE 'check' END
         FROM deposits WHERE $1 >= 0 ORDER BY id",
        "SELECT e.deposit_id || '|' || e.kind || '|' || e.detail || '|' || COALESCE(pb.body, '-')
         FROM deposit_events e LEFT JOIN postbacks pb ON pb.id = e.postback_id WHERE e.postback_id > $1 ORDER BY e.deposit_id, e.id",
    ];
    let mut rows = Vec::new();
    for q in queries {
        let part: Vec<String> = sqlx::query_scalar(q).bind(after_postback).fetch_all(&mut *conn).await.unwrap();
        rows.push(format!("-- {}", q.split_whitespace().take(3).collect::<Vec<_>>().join(" ")));
        rows.extend(part);
    }
    rows
}

/// On PostgreSQL a batch of payment postbacks is written with a few
/// statements for the whole batch (`ledger::credit_payments`); each postback
/// must still get exactly the outcome it gets alone. The same batch is
/// written both ways, each in a transaction rolled back afterwards, and every
/// row, verdict, balance and live event must agree: repeats inside the batch
/// and from before, a second payment for one deposit, a late payment for a
/// credited deposit, unsigned fields that disagree, suspense, several items
/// in one postback, a withdrawal result for no withdrawal of ours.
async fn a_batch_writes_exactly_what_its_postbacks_write_one_by_one(app: TestApp) {
    use portal::paykassma::item::Unsigned;
    use portal::paykassma::signature::verify_postback;
    use portal::server::config::DEMO_ACCESS_KEY;
    use portal::server::postback::{PostbackWork, read_items};
    let alice = app.sign_up("alice", "pw-123456").await;
    let bob = app.sign_up("bob", "pw-123456").await;
    let mut a = Vec::new();
    for _ in 0..4 {
        a.push(app.start_deposit(&alice, "100", "window").await.unwrap());
    }
    let mut b = Vec::new();
    for amount in ["100", "100", "250", "100"] {
        b.push(app.start_deposit(&bob, amount, "window").await.unwrap());
    }
    // before the batch: bob's b[0] is credited, alice's a[2] payment is claimed
    assert_eq!(app.post_postback(&signed_postback("bob", "100", &[("pre-1", "100", &b[0])], KEY)).await.0, 200);
    assert_eq!(app.post_postback(&signed_postback("alice", "100", &[("pre-2", "100", &a[2])], KEY)).await.0, 200);
    let bodies = [
        signed_postback("alice", "100", &[("t-01", "100", &a[0])], KEY),
        // delivered twice at once
        signed_postback("alice", "100", &[("t-01", "100", &a[0])], KEY),
        // paid more than asked: credited what was paid, flagged
        signed_postback("alice", "150", &[("t-02", "150", &a[1])], KEY),
        // a second payment for the same deposit
        signed_postback("alice", "100", &[("t-03", "100", &a[1])], KEY),
        // claimed before the batch
        signed_postback("alice", "100", &[("pre-2", "100", &a[2])], KEY),
        // late: bob's b[0] is credited already
        signed_postback("bob", "100", &[("t-05", "100", &b[0])], KEY),
        // the unsigned label names somebody else
        signed_postback("mallory", "100", &[("t-06", "100", &b[1])], KEY),
        // no such deposit: suspense
        signed_postback("bob", "100", &[("t-07", "100", "no-such-deposit")], KEY),
        // two items in one postback
        signed_postback("bob", "350", &[("t-08", "250", &b[2]), ("t-09", "100", &a[3])], KEY),
        // a transaction id this batch gives to another deposit
        signed_postback("bob", "100", &[("t-01", "100", &b[3])], KEY),
        // a result for a withdrawal we never made
        signed_withdrawal_result("W-nobody", "t-10", 10_000, 1),
        signed_postback("bob", "100", &[("t-11", "100", &b[3])], KEY),
    ];
    let db = app.db().clone();
    let mut works = Vec::new();
    for body in &bodies {
        let verified = verify_postback(body, DEMO_ACCESS_KEY, KEY).expect("signed");
        let (items, unreadable) = read_items(&verified);
        let unsigned = Unsigned::from_root(verified.root());
        works.push(PostbackWork::new(body, "203.0.113.9", &unsigned, &items, &unreadable));
    }
    PostbackWork::prepare(&db, works.iter_mut().collect()).await.expect("placed");
    // the order a group-commit worker writes them in
    works.sort_by(|x, y| x.lock_order().cmp(&y.lock_order()));
    let works: Vec<&PostbackWork> = works.iter().collect();
    let last: i64 = sqlx::query_scalar("SELECT MAX(id) FROM postbacks").fetch_one(db.pool()).await.unwrap();
    // postbacks named by their place in `bodies`, not by their long text
    let named = |rows: Vec<String>| -> Vec<String> {
        rows.into_iter()
            .map(|r| {
                bodies.iter().enumerate().fold(r, |r, (i, body)| r.replace(body.as_str(), &format!("postback #{i}")))
            })
            .collect()
    };
    let outcome = |applied: Vec<portal::server::postback::Applied>| -> Vec<String> {
        applied
            .into_iter()
            .map(|a| format!("{} {:?} {} {}", a.verdict, a.events, a.credits, a.credited_paise))
            .collect()
    };

    let mut tx = db.writer().begin().await.unwrap();
    let together = outcome(PostbackWork::apply_all(&mut tx, &works).await.expect("the batch"));
    let together_rows = named(written(&mut tx, last).await);
    tx.rollback().await.unwrap();

    let mut tx = db.writer().begin().await.unwrap();
    let mut applied = Vec::new();
    for w in &works {
        applied.push(w.apply(&mut tx).await.expect("one postback"));
    }
    let alone = outcome(applied);
    let alone_rows = named(written(&mut tx, last).await);
    tx.rollback().await.unwrap();

    assert_eq!(together, alone, "each postback's outcome, batched and alone");
    assert_eq!(together_rows, alone_rows, "what the batch wrote, batched and alone");
    // and what that is
    let verdicts: Vec<&str> = together.iter().map(|o| o.split(' ').next().unwrap()).collect();
    let count = |v: &str| verdicts.iter().filter(|x| **x == v).count();
    assert_eq!((count("credited"), count("duplicate"), count("suspense")), (7, 3, 1), "{together:#?}");
    assert_eq!(verdicts.len(), 12, "{together:#?}");
    let has = |needle: &str| together_rows.iter().any(|r| r.contains(needle));
    assert!(has("|credited|25000|t-02|amount_mismatch,late_or_extra_payment|no check"), "{together_rows:#?}");
    assert!(has("late_or_extra_payment"), "{together_rows:#?}");
    assert!(has("label_mismatch"), "{together_rows:#?}");
    assert!(has("duplicate of UPI reference t-01"), "{together_rows:#?}");
    app.stop().await;
}

/// A batch is placed with one read, whatever it names: 64 postbacks of 1,000
/// items each name 64,000 deposits, more than either database takes as
/// separate parameters (SQLite 32,766, PostgreSQL 65,535 with the rest).
async fn placing_a_batch_that_names_64000_deposits_is_one_read(app: TestApp) {
    use portal::domain::Money;
    use portal::paykassma::item::{SignedItem, Unsigned};
    use portal::server::postback::PostbackWork;
    let alice = app.sign_up("alice", "pw-123456").await;
    let dep = app.start_deposit(&alice, "100", "window").await.unwrap();
    let unsigned = Unsigned {
        label: "alice".into(),
        amount: None,
        direction: "ingoing".into(),
        currency: "INR".into(),
        wallet_type: "upi_s".into(),
    };
    let mut works: Vec<PostbackWork> = (0..64)
        .map(|w| {
            let items: Vec<SignedItem> = (0..1000)
                .map(|i| {
                    let order = if (w, i) == (63, 999) { dep.clone() } else { format!("dep_none_{w}_{i}") };
                    SignedItem::payment(&format!("t-{w}-{i}"), Money::from_paise(10_000), &order)
                })
                .collect();
            PostbackWork::new("{}", "203.0.113.9", &unsigned, &items, &[])
        })
        .collect();
    PostbackWork::prepare(app.db(), works.iter_mut().collect()).await.expect("one read places them all");
    let placed: Vec<&str> = works.iter().flat_map(|w| w.placements.iter().map(|p| p.status)).collect();
    assert_eq!(placed.len(), 64_000);
    assert_eq!(placed.iter().filter(|s| **s == "suspense").count(), 63_999);
    let last = works[63].placements.last().unwrap();
    assert_eq!((last.status, last.deposit_id.as_deref()), ("credited", Some(dep.as_str())));
    app.stop().await;
}

on_both_backends!(
    placing_a_batch_that_names_64000_deposits_is_one_read,
    postbacks_arriving_together_share_commits_and_each_credits_once,
    a_failing_work_rolls_back_alone_and_the_others_commit,
    a_batch_writes_exactly_what_its_postbacks_write_one_by_one,
);
