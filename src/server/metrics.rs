//! Metrics in Prometheus text format for `GET /metrics` (see `http::metrics`).
//!
//! Counters and the provider latency histogram are recorded where things
//! happen, through the `metrics` facade; the recorder is installed once per
//! process (tests start many apps in one process, which then share it), and
//! without it every recording is a no-op. The gauges that describe the
//! database (deposits by status, reconcile lag) are read from it at scrape
//! time, so every portal process sharing a database reports the same values.

use super::db::now_ms;
use super::state::AppState;
use crate::domain::DepositStatus;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

/// Counter, label `verdict`: every postback as it was answered.
pub const POSTBACKS: &str = "portal_postbacks_total";
/// Counter, label `source` (`postback`, `suspense`): credits posted to the ledger.
pub const CREDITS: &str = "portal_credits_total";
/// Counter, label `source`: the paise those credits moved.
pub const CREDITED_PAISE: &str = "portal_credited_paise_total";
/// Histogram, label `call` (`create`, `status`, `withdrawal`): provider call latency.
pub const PROVIDER_CALL_SECONDS: &str = "portal_provider_call_seconds";
/// Gauge, label `status`: deposits in the database.
pub const DEPOSITS: &str = "portal_deposits";
/// Gauge: how far behind its next check the oldest due open deposit is.
pub const RECONCILE_LAG_SECONDS: &str = "portal_reconcile_lag_seconds";
/// Counter, label `outcome` (requested, submitted, unknown, rejected, failed,
/// cancelled): withdrawals as they moved on this process.
pub const WITHDRAWALS: &str = "portal_withdrawals_total";
/// Gauge: live-status streams (server-sent events) open in this process.
pub const LIVE_STREAMS: &str = "portal_live_streams_open";
/// Counter: transactions the group commit committed (`group_commit`).
pub const GROUP_COMMITS: &str = "portal_group_commits_total";
/// Counter: postbacks written in those transactions (÷ commits = batch size).
pub const GROUP_COMMIT_WORKS: &str = "portal_group_commit_works_total";

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide recorder (once; later calls return the same
/// handle). None if another recorder was installed first.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(PROVIDER_CALL_SECONDS.to_string()), &buckets)
                .ok()?;
            match builder.install_recorder() {
                Ok(handle) => {
                    describe();
                    Some(handle)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "metrics recorder not installed; GET /metrics answers 503");
                    None
                }
            }
        })
        .as_ref()
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(POSTBACKS, "Provider postbacks received, by the verdict they were answered with");
    describe_counter!(CREDITS, "Deposit credits posted to the ledger");
    describe_counter!(CREDITED_PAISE, "Paise credited to users' balances");
    describe_histogram!(PROVIDER_CALL_SECONDS, Unit::Seconds, "Provider API call latency, by call");
    describe_gauge!(DEPOSITS, "Deposits in the database, by status (read at scrape time)");
    describe_gauge!(
        RECONCILE_LAG_SECONDS,
        Unit::Seconds,
        "How long the oldest due open deposit has waited past its next check (read at scrape time)"
    );
    describe_counter!(WITHDRAWALS, "Withdrawal steps on this process, by outcome");
    describe_gauge!(LIVE_STREAMS, "Live-status streams open in this process");
    describe_counter!(GROUP_COMMITS, "Transactions committed by the postback group commit");
    describe_counter!(GROUP_COMMIT_WORKS, "Postbacks written in those transactions");
    // Present from the first scrape on, before anything happened.
    metrics::counter!(CREDITS, "source" => "postback").absolute(0);
    metrics::counter!(CREDITED_PAISE, "source" => "postback").absolute(0);
}

/// Histogram samples are drained into their buckets by upkeep: every 5 s
/// (and at each scrape), so memory stays flat when nobody scrapes.
pub async fn run_upkeep(mut shutdown: tokio::sync::watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(5)) => {}
            _ = shutdown.wait_for(|s| *s) => return,
        }
        if let Some(handle) = install() {
            handle.run_upkeep();
        }
    }
}

/// One postback answered with `verdict`.
pub fn postback(verdict: &str) {
    metrics::counter!(POSTBACKS, "verdict" => verdict.to_string()).increment(1);
}

/// A withdrawal step, committed.
pub fn withdrawal(outcome: &'static str) {
    metrics::counter!(WITHDRAWALS, "outcome" => outcome).increment(1);
}

/// `count` credits of `paise` in total, committed.
pub fn credited(source: &'static str, count: u64, paise: i64) {
    if count > 0 {
        metrics::counter!(CREDITS, "source" => source).increment(count);
        metrics::counter!(CREDITED_PAISE, "source" => source).increment(paise.max(0) as u64);
    }
}

/// One group-commit transaction of `works` postbacks committed.
pub fn group_commit(works: usize) {
    metrics::counter!(GROUP_COMMITS).increment(1);
    metrics::counter!(GROUP_COMMIT_WORKS).increment(works as u64);
}

/// The scrape: the gauges read now, then everything in Prometheus text format.
/// None when this process has no recorder.
pub async fn render(state: &AppState) -> Result<Option<String>, sqlx::Error> {
    let Some(handle) = install() else { return Ok(None) };
    let counts: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, COUNT(*) FROM deposits GROUP BY status").fetch_all(state.db.pool()).await?;
    for status in DepositStatus::ALL {
        let n = counts.iter().find(|(s, _)| s == status.as_str()).map_or(0, |(_, n)| *n);
        metrics::gauge!(DEPOSITS, "status" => status.as_str()).set(n as f64);
    }
    let now = now_ms();
    let oldest_due: Option<i64> = sqlx::query_scalar(
        "SELECT MIN(next_check_at) FROM deposits
         WHERE next_check_at <= $1 AND status IN ('created', 'pending', 'unknown')",
    )
    .bind(now)
    .fetch_one(state.db.pool())
    .await?;
    let lag_ms = oldest_due.map_or(0, |due| now.saturating_sub(due).max(0));
    metrics::gauge!(RECONCILE_LAG_SECONDS).set(lag_ms as f64 / 1000.0);
    metrics::gauge!(LIVE_STREAMS).set(state.limits.open_streams() as f64);
    handle.run_upkeep();
    Ok(Some(handle.render()))
}

/// Whether `Authorization` carries METRICS_TOKEN: compared in constant time
/// over SHA-256 digests, so neither the content nor the length leaks.
pub fn bearer_matches(token: Option<&crate::paykassma::secret::Secret>, authorization: Option<&str>) -> bool {
    use sha2::{Digest, Sha256};
    use subtle::ConstantTimeEq;
    let (Some(token), Some(header)) = (token, authorization) else { return false };
    let Some(offered) = header.strip_prefix("Bearer ").or_else(|| header.strip_prefix("bearer ")) else {
        return false;
    };
    let expected = Sha256::digest(token.expose().as_bytes());
    let offered = Sha256::digest(offered.trim().as_bytes());
    expected.ct_eq(&offered).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paykassma::secret::Secret;

    #[test]
    fn only_the_configured_bearer_token_matches() {
        let token = Secret::new("scrape-token-0123456789");
        assert!(bearer_matches(Some(&token), Some("Bearer scrape-token-0123456789")));
        assert!(!bearer_matches(Some(&token), Some("Bearer scrape-token-012345678")));
        assert!(!bearer_matches(Some(&token), Some("scrape-token-0123456789")), "the scheme is required");
        assert!(!bearer_matches(Some(&token), Some("Basic c2NyYXBl")));
        assert!(!bearer_matches(Some(&token), None));
        assert!(!bearer_matches(None, Some("Bearer scrape-token-0123456789")), "unset: no token works");
        assert!(!bearer_matches(None, Some("Bearer ")), "nor an empty one");
    }
}
