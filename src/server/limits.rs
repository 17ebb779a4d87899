//! In-process resource limits: live-status streams (per user and overall),
//! the database connections live status may hold, and how many rejected
//! postbacks are written down. None of these decides money; they keep one
//! client, or a flood of them, from starving the paths that do.

use super::config::ResourceLimits;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

#[derive(Clone, Debug)]
pub struct Limits {
    pub config: ResourceLimits,
    streams: Arc<Mutex<StreamCounts>>,
    /// Live status reads the database through these permits only, so the
    /// rest of the pool stays free for crediting postbacks.
    status_reads: Arc<Semaphore>,
    rejected: Arc<Mutex<RejectedBucket>>,
}

#[derive(Debug, Default)]
struct StreamCounts {
    total: usize,
    per_user: HashMap<i64, usize>,
}

/// Why a live-status stream was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamRefused {
    PerUser(usize),
    Overall(usize),
}

impl StreamRefused {
    pub fn message(self) -> String {
        match self {
            StreamRefused::PerUser(n) => {
                format!("Too many live status pages open ({n} per account). Close one, or reload this page later.")
            }
            StreamRefused::Overall(_) => {
                "The live status is busy right now; the page will check again by itself in a moment.".to_string()
            }
        }
    }
}

/// One open live-status stream; dropping it frees the slot.
#[derive(Debug)]
pub struct StreamSlot {
    user_id: i64,
    streams: Arc<Mutex<StreamCounts>>,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut c = self.streams.lock().unwrap_or_else(|p| p.into_inner());
        c.total = c.total.saturating_sub(1);
        if let Some(n) = c.per_user.get_mut(&self.user_id) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                c.per_user.remove(&self.user_id);
            }
        }
    }
}

/// What to do with one rejected postback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RejectedRecording {
    /// Write it down; `suppressed` rejected postbacks were not written since the last one.
    Record { suppressed: u64 },
    /// Over the rate, or the same body was written down a moment ago: count it only.
    Skip,
}

/// A token bucket (rate = burst = `per_sec`) plus the hashes of the bodies
/// recorded in the last minute, so a resent forgery is written once.
#[derive(Debug)]
struct RejectedBucket {
    per_sec: f64,
    tokens: f64,
    last: Instant,
    recent: VecDeque<(Instant, u64)>,
    suppressed: u64,
}

const SAME_BODY_WINDOW: Duration = Duration::from_secs(60);
const RECENT_BODIES: usize = 1024;

impl RejectedBucket {
    fn new(per_sec: u32) -> Self {
        let per_sec = f64::from(per_sec.max(1));
        RejectedBucket { per_sec, tokens: per_sec, last: Instant::now(), recent: VecDeque::new(), suppressed: 0 }
    }

    fn admit(&mut self, now: Instant, body_hash: u64) -> RejectedRecording {
        while self.recent.front().is_some_and(|(t, _)| now.duration_since(*t) > SAME_BODY_WINDOW) {
            self.recent.pop_front();
        }
        let elapsed = now.duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.per_sec).min(self.per_sec);
        if self.recent.iter().any(|(_, h)| *h == body_hash) || self.tokens < 1.0 {
            self.suppressed += 1;
            return RejectedRecording::Skip;
        }
        self.tokens -= 1.0;
        if self.recent.len() >= RECENT_BODIES {
            self.recent.pop_front();
        }
        self.recent.push_back((now, body_hash));
        RejectedRecording::Record { suppressed: std::mem::take(&mut self.suppressed) }
    }
}

impl Limits {
    pub fn new(config: ResourceLimits) -> Limits {
        Limits {
            streams: Arc::new(Mutex::new(StreamCounts::default())),
            status_reads: Arc::new(Semaphore::new(config.live_status_db_connections.max(1))),
            rejected: Arc::new(Mutex::new(RejectedBucket::new(config.rejected_postbacks_per_sec))),
            config,
        }
    }

    /// A slot for one more live-status stream of `user_id`, or why not.
    pub fn open_stream(&self, user_id: i64) -> Result<StreamSlot, StreamRefused> {
        let mut c = self.streams.lock().unwrap_or_else(|p| p.into_inner());
        let mine = c.per_user.get(&user_id).copied().unwrap_or(0);
        if mine >= self.config.live_streams_per_user {
            return Err(StreamRefused::PerUser(self.config.live_streams_per_user));
        }
        if c.total >= self.config.live_streams_max {
            return Err(StreamRefused::Overall(self.config.live_streams_max));
        }
        c.total += 1;
        *c.per_user.entry(user_id).or_insert(0) += 1;
        Ok(StreamSlot { user_id, streams: self.streams.clone() })
    }

    pub fn open_streams(&self) -> usize {
        self.streams.lock().unwrap_or_else(|p| p.into_inner()).total
    }

    /// Waits for one of the few database permits live status may use.
    pub async fn status_read(&self) -> Option<OwnedSemaphorePermit> {
        self.status_reads.clone().acquire_owned().await.ok()
    }

    /// Whether to write down this rejected postback (the answer does not change).
    pub fn rejected_postback(&self, body: &str) -> RejectedRecording {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        body.hash(&mut h);
        self.rejected.lock().unwrap_or_else(|p| p.into_inner()).admit(Instant::now(), h.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_user: usize, max: usize) -> Limits {
        let provider = [("PAYKASSMA_API_URL".to_string(), "http://127.0.0.1:9".to_string())];
        let mut c = crate::server::config::Config::from_map(&provider.into_iter().collect()).unwrap().limits;
        c.live_streams_per_user = per_user;
        c.live_streams_max = max;
        c.rejected_postbacks_per_sec = 5;
        Limits::new(c)
    }

    #[test]
    fn streams_are_capped_per_user_and_overall_and_slots_come_back() {
        let l = limits(2, 3);
        let a1 = l.open_stream(1).unwrap();
        let _a2 = l.open_stream(1).unwrap();
        assert_eq!(l.open_stream(1).unwrap_err(), StreamRefused::PerUser(2));
        let _b1 = l.open_stream(2).unwrap();
        assert_eq!(l.open_stream(3).unwrap_err(), StreamRefused::Overall(3));
        drop(a1);
        assert_eq!(l.open_streams(), 2);
        let _c1 = l.open_stream(3).unwrap();
    }

    #[test]
    fn rejected_postbacks_are_rate_limited_and_identical_bodies_coalesced() {
        let mut b = RejectedBucket::new(5);
        let t0 = Instant::now();
        assert_eq!(b.admit(t0, 1), RejectedRecording::Record { suppressed: 0 });
        assert_eq!(b.admit(t0, 1), RejectedRecording::Skip, "same body again");
        let recorded = (2..100).filter(|h| b.admit(t0, *h) != RejectedRecording::Skip).count();
        assert_eq!(recorded, 4, "the burst is the rate");
        match b.admit(t0 + Duration::from_secs(1), 500) {
            RejectedRecording::Record { suppressed } => {
                assert_eq!(suppressed, 94, "skipped since the last recorded one")
            }
            other => panic!("{other:?}"),
        }
    }
}
