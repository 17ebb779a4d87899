//! The postback delivery worker: POSTs due postbacks to the merchant,
//! records every attempt, reschedules failures per the retry schedule, and
//! also decides withdrawals automatically and expires orders.

use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinSet;

use super::SandboxState;
use super::ops;
use super::store::{self, AttemptResult, Postback};
use super::time::{duration_ms, now_ms};

/// How much of a merchant's answer is kept in the log.
const MAX_LOGGED_BODY: usize = 2000;
/// Longest the worker sleeps without looking for work.
const MAX_IDLE: Duration = Duration::from_secs(1);
/// Postbacks taken per round.
const BATCH: i64 = 64;

/// Delay before attempt number `failed_attempts + 1`: the schedule's entry,
/// the last one repeating; an empty schedule means the default one.
pub fn retry_delay(schedule: &[Duration], failed_attempts: i64) -> Duration {
    let i = usize::try_from(failed_attempts.saturating_sub(1)).unwrap_or(0);
    match schedule.get(i).or_else(|| schedule.last()) {
        Some(d) => *d,
        None => {
            let default = crate::paykassma::POSTBACK_RETRY_SECONDS;
            Duration::from_secs(default.get(i).or(default.last()).copied().unwrap_or(3600))
        }
    }
}

async fn stopped(mut rx: watch::Receiver<bool>) {
    loop {
        if *rx.borrow_and_update() {
            return;
        }
        if rx.changed().await.is_err() {
            return;
        }
    }
}

pub async fn run(st: SandboxState, shutdown: watch::Receiver<bool>) {
    tracing::info!(postback_url = %st.config.postback_url, "sandbox: postback delivery worker started");
    loop {
        if *shutdown.borrow() || shutdown.has_changed().is_err() {
            break;
        }
        let round = async {
            if let Err(e) = round(&st).await {
                tracing::warn!(error = %e, "sandbox: delivery round failed");
            }
            idle_for(&st).await
        };
        let wait = tokio::select! {
            w = round => w,
            _ = stopped(shutdown.clone()) => break,
        };
        tokio::select! {
            _ = st.wake.notified() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = stopped(shutdown.clone()) => break,
        }
    }
    tracing::info!("sandbox: postback delivery worker stopped");
}

/// How long until something is due (at most [`MAX_IDLE`]).
async fn idle_for(st: &SandboxState) -> Duration {
    let next = async {
        let mut conn = st.db.acquire().await?;
        let p = store::next_due_ms(&mut conn).await?;
        let w = store::next_auto_withdrawal_ms(&mut conn).await?;
        Ok::<_, sqlx::Error>(p.into_iter().chain(w).min())
    };
    match next.await {
        Ok(Some(at)) => {
            let ms = u64::try_from(at.saturating_sub(now_ms())).unwrap_or(0);
            Duration::from_millis(ms).min(MAX_IDLE)
        }
        _ => MAX_IDLE,
    }
}

async fn round(st: &SandboxState) -> Result<(), sqlx::Error> {
    let now = now_ms();
    let (due_withdrawals, mut due) = {
        let mut conn = st.db.acquire().await?;
        store::expire_due(&mut conn, now).await?;
        (store::due_auto_withdrawals(&mut conn, now).await?, store::due_postbacks(&mut conn, now, BATCH).await?)
    };
    for id in due_withdrawals {
        match ops::decide_withdrawal(st, &id, true).await {
            Ok(_) | Err(ops::OpError::Conflict(_)) => {}
            Err(e) => {
                tracing::warn!(withdrawal_id = %id, error = %e, "sandbox: automatic withdrawal decision failed")
            }
        }
    }
    if due.is_empty() {
        return Ok(());
    }
    let chaos = st.chaos();
    if chaos.out_of_order {
        due.reverse();
    }
    if chaos.concurrent {
        let mut set = JoinSet::new();
        for p in due {
            let st = st.clone();
            set.spawn(async move { deliver(&st, &p).await });
        }
        while let Some(r) = set.join_next().await {
            if let Ok(Err(e)) = r {
                tracing::warn!(error = %e, "sandbox: could not record a delivery attempt");
            }
        }
    } else {
        for p in due {
            deliver(st, &p).await?;
        }
    }
    Ok(())
}

/// One attempt for one postback, recorded.
async fn deliver(st: &SandboxState, p: &Postback) -> Result<(), sqlx::Error> {
    let result = attempt(st, &p.body).await;
    let retry_at = now_ms().saturating_add(duration_ms(retry_delay(&st.config.retry_schedule, p.attempts + 1)));
    tracing::info!(
        postback_id = p.id,
        ref_id = %p.ref_id,
        attempt = p.attempts + 1,
        status = ?result.http_status,
        ok = result.ok,
        latency_ms = result.latency_ms,
        error = ?result.error,
        "sandbox: postback attempt"
    );
    store::record_attempt(&st.db, p, &result, retry_at).await
}

fn describe(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut parts = vec![if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "could not connect".to_owned()
    } else {
        "request failed".to_owned()
    }];
    let mut cur = e.source();
    while let Some(err) = cur {
        let s = err.to_string();
        if !parts.contains(&s) {
            parts.push(s);
        }
        cur = err.source();
    }
    parts.join(": ")
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

/// Success means HTTP 200 and a JSON object with `"status": "ok"`.
pub fn is_ok_answer(status: u16, body: &str) -> bool {
    status == 200
        && serde_json::from_str::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v.get("status").and_then(|s| s.as_str()).map(|s| s == "ok"))
            .unwrap_or(false)
}

async fn attempt(st: &SandboxState, body: &str) -> AttemptResult {
    let at_ms = now_ms();
    let started = Instant::now();
    let sent = st
        .http
        .post(&st.config.postback_url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.to_owned())
        .send()
        .await;
    let outcome = match sent {
        Ok(mut resp) => {
            let status = resp.status().as_u16();
            let mut buf: Vec<u8> = Vec::new();
            let mut error = None;
            loop {
                match resp.chunk().await {
                    Ok(Some(chunk)) => {
                        if buf.len() < 64 * 1024 {
                            buf.extend_from_slice(&chunk);
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        error = Some(describe(&e));
                        break;
                    }
                }
            }
            let text = String::from_utf8_lossy(&buf).into_owned();
            let ok = error.is_none() && is_ok_answer(status, &text);
            (Some(status), truncate(&text, MAX_LOGGED_BODY), error, ok)
        }
        Err(e) => (None, String::new(), Some(describe(&e)), false),
    };
    let latency_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    AttemptResult {
        at_ms,
        http_status: outcome.0,
        response_body: outcome.1,
        latency_ms,
        error: outcome.2,
        ok: outcome.3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule() {
        let s = [Duration::from_secs(5), Duration::from_secs(30)];
        assert_eq!(retry_delay(&s, 1), Duration::from_secs(5));
        assert_eq!(retry_delay(&s, 2), Duration::from_secs(30));
        assert_eq!(retry_delay(&s, 9), Duration::from_secs(30));
        assert_eq!(retry_delay(&[], 1), Duration::from_secs(5));
        assert_eq!(retry_delay(&[], 100), Duration::from_secs(3600));
    }

    #[test]
    fn ok_answers() {
        assert!(is_ok_answer(200, r#"{"status":"ok"}"#));
        assert!(is_ok_answer(200, r#" { "status" : "ok", "x": 1 } "#));
        assert!(!is_ok_answer(201, r#"{"status":"ok"}"#));
        assert!(!is_ok_answer(200, r#"{"status":"fail"}"#));
        assert!(!is_ok_answer(200, "ok"));
        assert!(!is_ok_answer(200, ""));
    }
}
