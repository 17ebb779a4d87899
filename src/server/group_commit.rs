//! Group commit: the writes that are waiting at the same moment share one
//! transaction, so they share one commit (one flush to disk) instead of
//! queueing for one each.
//!
//! Why: every credit announces itself with `NOTIFY` in its own transaction
//! (migration 0010), and PostgreSQL commits notifying transactions one at a
//! time, flush included; on SQLite every commit is a flush (`synchronous =
//! FULL`). One commit per postback capped ingestion far below what the
//! database can write. Nothing waits on purpose: a worker takes whatever is
//! queued when it becomes free, so a lone postback commits at once and a
//! burst commits in a few transactions.
//!
//! Guarantees, unchanged for each piece of work:
//! - its answer is sent only after its transaction committed;
//! - it commits whole or not at all: if any work in a batch fails, the batch
//!   is rolled back and every work is run again alone, in its own
//!   transaction, so one bad item never takes the others down and never
//!   commits half;
//! - if the commit itself fails, every work of the batch gets the error (its
//!   outcome is unknown to us, and the provider resends; crediting is
//!   idempotent).
//!
//! Works of a batch run in the order of `Work::lock_order` (the user whose row
//! they lock, then the transaction id they claim), the same order in every
//! worker, so two batches committing side by side on PostgreSQL meet their
//! shared rows in the same order; should they deadlock all the same,
//! PostgreSQL aborts one, and its works run again alone.

use super::db::Db;
use sqlx::AnyConnection;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::{Mutex, mpsc, oneshot};

pub type WorkFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, sqlx::Error>> + Send + 'a>>;

/// One piece of work that must commit whole: applied inside a transaction the
/// group commit opens and commits.
pub trait Work: Send + Sync + 'static {
    type Output: Send + 'static;
    /// Runs the work's statements on `conn`, inside an open transaction. It
    /// may run twice (a batch rolled back, then alone): it must not depend on
    /// anything but its own fields and the database.
    fn apply<'a>(&'a self, conn: &'a mut AnyConnection) -> WorkFuture<'a, Self::Output>;
    /// Reads what the works of a batch need before they are ordered and
    /// written (for postbacks: where each item goes), once for the batch,
    /// outside the write transaction. By default nothing.
    fn prepare<'a>(_db: &'a Db, _works: Vec<&'a mut Self>) -> WorkFuture<'a, ()>
    where
        Self: Sized,
    {
        Box::pin(async { Ok(()) })
    }
    /// Applies the works of a batch, in this order, inside one open
    /// transaction, each with the outcome it would have had alone. By
    /// default one after another; a kind of work may do better (postbacks:
    /// a few statements for the whole batch on PostgreSQL).
    fn apply_all<'a>(conn: &'a mut AnyConnection, works: &'a [&'a Self]) -> WorkFuture<'a, Vec<Self::Output>>
    where
        Self: Sized,
    {
        Box::pin(async move {
            let mut outputs = Vec::with_capacity(works.len());
            for work in works {
                outputs.push(work.apply(&mut *conn).await?);
            }
            Ok(outputs)
        })
    }
    /// The order in which works of one batch run: what they lock, most
    /// contended first (for a postback: the balance row's user, then the
    /// transaction id it claims). Every worker sorts the same way, so two
    /// batches meet their shared rows in the same order.
    fn lock_order(&self) -> (i64, &str) {
        (0, "")
    }
    /// Locks, in one statement and in a fixed order, the contended rows the
    /// works of a batch will update (for postbacks: their users' balance
    /// rows), before any of them runs. Two batches that share a row then
    /// queue at this statement instead of meeting halfway, each holding what
    /// the other needs. Runs on PostgreSQL only (SQLite has one writer).
    fn lock_rows<'a>(_conn: &'a mut AnyConnection, _works: &'a [&'a Self]) -> WorkFuture<'a, ()>
    where
        Self: Sized,
    {
        Box::pin(async { Ok(()) })
    }
}

/// A deadlock or serialization failure: PostgreSQL chose this transaction
/// to abort so another could go on; running it again is safe and works.
pub fn is_retryable(e: &sqlx::Error) -> bool {
    e.as_database_error().and_then(|d| d.code()).is_some_and(|c| c == "40P01" || c == "40001")
}

/// How often a work that lost a deadlock runs at most (alone) before its
/// error is answered (the provider then resends).
const ATTEMPTS: usize = 3;

/// Runs `attempt` again while PostgreSQL aborts it to break a deadlock (its
/// error holds a database error `is_retryable` accepts, found by
/// `db_error`), `ATTEMPTS` times in all; any other outcome is returned. An
/// aborted transaction committed nothing, so running it again is safe.
pub async fn retry_lost_deadlocks<T, E, Fut>(
    what: &str,
    mut attempt: impl FnMut() -> Fut,
    db_error: impl Fn(&E) -> Option<&sqlx::Error>,
) -> Result<T, E>
where
    Fut: Future<Output = Result<T, E>>,
    E: std::fmt::Display,
{
    let mut tries = 1;
    loop {
        match attempt().await {
            Err(e) if tries < ATTEMPTS && db_error(&e).is_some_and(is_retryable) => {
                tracing::info!(error = %e, attempt = tries, what, "lost a deadlock; it runs again");
                tries += 1;
            }
            done => return done,
        }
    }
}

/// Workers per process and database: one, on both backends. SQLite has one
/// writer anyway. On PostgreSQL a batch locks its users' balance rows first
/// and then writes all its postbacks with a few statements, so a second
/// worker's batch (which nearly always shares a user) mostly queues behind
/// the first, and gets smaller: with two, the benchmark measured the same or
/// fewer postbacks per second than with one (bench/RESULTS.md). Several
/// processes still write side by side, each through its own worker.
const WORKERS: usize = 1;

/// The most works one transaction takes.
pub const MAX_BATCH: usize = 64;

struct Pending<W: Work> {
    work: W,
    reply: oneshot::Sender<Result<W::Output, sqlx::Error>>,
}

/// Hands works to the group-commit workers of one database.
pub struct GroupCommit<W: Work> {
    db: Db,
    queue: mpsc::Sender<Pending<W>>,
    stats: Arc<Stats>,
}

/// What the workers committed so far (also exported as metrics).
#[derive(Debug, Default)]
pub struct Stats {
    transactions: AtomicU64,
    works: AtomicU64,
}

impl Stats {
    /// (transactions committed, works committed in them)
    pub fn committed(&self) -> (u64, u64) {
        (self.transactions.load(Ordering::Relaxed), self.works.load(Ordering::Relaxed))
    }
    fn count(&self, works: usize) {
        self.transactions.fetch_add(1, Ordering::Relaxed);
        self.works.fetch_add(works as u64, Ordering::Relaxed);
        super::metrics::group_commit(works);
    }
}

impl<W: Work> Clone for GroupCommit<W> {
    fn clone(&self) -> Self {
        GroupCommit { db: self.db.clone(), queue: self.queue.clone(), stats: self.stats.clone() }
    }
}

impl<W: Work> std::fmt::Debug for GroupCommit<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit").field("backend", &self.db.backend).finish()
    }
}

impl<W: Work> GroupCommit<W> {
    /// Starts the workers (on the current tokio runtime): `WORKERS` per
    /// process and database. They stop when the last handle is dropped.
    pub fn start(db: Db) -> GroupCommit<W> {
        let (queue, rx) = mpsc::channel::<Pending<W>>(4 * MAX_BATCH);
        let rx = Arc::new(Mutex::new(rx));
        let stats = Arc::new(Stats::default());
        for _ in 0..WORKERS {
            tokio::spawn(worker(db.clone(), rx.clone(), stats.clone()));
        }
        GroupCommit { db, queue, stats }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Applies `work` in a transaction shared with whatever else is waiting,
    /// and answers once that transaction committed (or failed).
    pub async fn run(&self, work: W) -> Result<W::Output, sqlx::Error> {
        let (reply, answer) = oneshot::channel();
        self.queue.send(Pending { work, reply }).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> sqlx::Error {
    sqlx::Error::Protocol("the group-commit worker stopped".into())
}

async fn worker<W: Work>(db: Db, rx: Arc<Mutex<mpsc::Receiver<Pending<W>>>>, stats: Arc<Stats>) {
    loop {
        let batch = {
            let mut rx = rx.lock().await;
            let Some(first) = rx.recv().await else { return };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(p) => batch.push(p),
                    Err(_) => break,
                }
            }
            batch
        };
        // A panic in a work loses its batch's answers (each caller then sees
        // an error, the provider resends), never the worker.
        let (db, stats) = (db.clone(), stats.clone());
        if let Err(e) = tokio::spawn(async move { commit_batch(&db, &stats, batch).await }).await {
            tracing::error!(error = %e, "group commit: a batch panicked; its callers were answered with an error");
        }
    }
}

/// Why a batch did not commit.
enum BatchError {
    /// Opening or committing the transaction failed: it concerns them all.
    Transaction(sqlx::Error),
    /// One work failed: the others may well succeed alone.
    Work,
}

async fn commit_batch<W: Work>(db: &Db, stats: &Stats, mut batch: Vec<Pending<W>>) {
    if let Err(e) = W::prepare(db, batch.iter_mut().map(|p| &mut p.work).collect()).await {
        tracing::warn!(error = %e, works = batch.len(), "group commit: preparing a batch failed");
        fail_all(batch, e);
        return;
    }
    if batch.len() == 1 {
        let p = batch.pop().expect("one pending work");
        let result = alone(db, stats, &p.work).await;
        let _ = p.reply.send(result);
        return;
    }
    batch.sort_by(|a, b| a.work.lock_order().cmp(&b.work.lock_order()));
    match together(db, stats, &batch).await {
        Ok(outputs) => {
            for (p, out) in batch.into_iter().zip(outputs) {
                let _ = p.reply.send(Ok(out));
            }
        }
        Err(BatchError::Transaction(e)) => fail_all(batch, e),
        Err(BatchError::Work) => {
            for p in batch {
                let result = alone(db, stats, &p.work).await;
                let _ = p.reply.send(result);
            }
        }
    }
}

/// Every work of the batch gets the error (the first its own, the others
/// its text).
fn fail_all<W: Work>(batch: Vec<Pending<W>>, e: sqlx::Error) {
    let message = e.to_string();
    let mut first = Some(e);
    for p in batch {
        let err = first.take().unwrap_or_else(|| sqlx::Error::Protocol(message.clone()));
        let _ = p.reply.send(Err(err));
    }
}

async fn together<W: Work>(db: &Db, stats: &Stats, batch: &[Pending<W>]) -> Result<Vec<W::Output>, BatchError> {
    let mut tx = db.writer().begin().await.map_err(BatchError::Transaction)?;
    let works: Vec<&W> = batch.iter().map(|p| &p.work).collect();
    if db.backend == super::db::Backend::Postgres
        && let Err(e) = W::lock_rows(&mut tx, &works).await
    {
        tracing::warn!(error = %e, works = batch.len(), "group commit: locking the batch's rows failed; each runs alone");
        let _ = tx.rollback().await;
        return Err(BatchError::Work);
    }
    let outputs = match W::apply_all(&mut tx, &works).await {
        Ok(outputs) if outputs.len() == batch.len() => outputs,
        other => {
            let error = other.err().map(|e| e.to_string()).unwrap_or_else(|| "an output missing".into());
            tracing::warn!(%error, works = batch.len(), "group commit: a work failed; the batch is rolled back and each runs alone");
            let _ = tx.rollback().await;
            return Err(BatchError::Work);
        }
    };
    tx.commit().await.map_err(BatchError::Transaction)?;
    stats.count(batch.len());
    Ok(outputs)
}

async fn alone<W: Work>(db: &Db, stats: &Stats, work: &W) -> Result<W::Output, sqlx::Error> {
    let out = retry_lost_deadlocks("a group-commit work", || alone_once(db, work), |e| Some(e)).await?;
    stats.count(1);
    Ok(out)
}

async fn alone_once<W: Work>(db: &Db, work: &W) -> Result<W::Output, sqlx::Error> {
    let mut tx = db.writer().begin().await?;
    if db.backend == super::db::Backend::Postgres {
        W::lock_rows(&mut tx, &[work]).await?;
    }
    let out = work.apply(&mut tx).await?;
    tx.commit().await?;
    Ok(out)
}
