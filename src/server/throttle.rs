//! Sign-in throttling and sign-up rate limits, counted in the database
//! (`auth_attempts`) so that every portal process sharing it enforces the
//! same limits. A sliding window: an attempt counts until it is older than
//! the window.

use super::config::AuthLimits;
use super::db::{Db, now_ms};
use sqlx::Row;
use std::net::IpAddr;

/// What an attempt is counted against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A failed sign-in, per login.
    Login,
    /// A failed sign-in, per client address.
    Address,
    /// An account created, per client address.
    Signup,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Login => "login",
            Kind::Address => "address",
            Kind::Signup => "signup",
        }
    }
}

/// Refused until `retry_at_ms` (unix ms).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Throttled {
    pub retry_at_ms: i64,
}

impl Throttled {
    /// Whole minutes until the next attempt is allowed, at least 1.
    pub fn minutes_left(&self, now: i64) -> u32 {
        let ms = (self.retry_at_ms - now).max(0);
        ((ms + 59_999) / 60_000).clamp(1, u32::MAX as i64) as u32
    }
}

/// The key a login is counted under: what the user typed, trimmed and
/// lowercased (logins are lowercase), and bounded so a huge field cannot
/// bloat the table.
pub fn login_key(login: &str) -> String {
    login.trim().to_lowercase().chars().take(64).collect()
}

/// The key a client address is counted under. IPv6 clients usually hold a
/// whole /64, so they are counted per /64; an IPv4-mapped IPv6 address counts
/// as its IPv4 address.
pub fn address_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// The client's address: the TCP peer, or with `TRUST_X_FORWARDED_FOR=on`
/// the last address in `X-Forwarded-For` (the one the trusted proxy appended;
/// earlier entries are whatever the client wrote).
pub fn client_ip(peer: Option<IpAddr>, headers: &http::HeaderMap, trust_x_forwarded_for: bool) -> Option<IpAddr> {
    if trust_x_forwarded_for {
        let last = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .next_back()
            .and_then(|part| part.trim().parse::<IpAddr>().ok());
        if last.is_some() {
            return last;
        }
    }
    peer
}

/// Refused while `max` or more attempts of `kind` for `key` fall within the
/// window; then allowed again when the oldest of the last `max` leaves it.
pub async fn check(db: &Db, kind: Kind, key: &str, max: u32, window_ms: i64) -> Result<Option<Throttled>, sqlx::Error> {
    let now = now_ms();
    // The max-th most recent attempt inside the window, if there are that many.
    let row = sqlx::query(
        "SELECT at FROM auth_attempts WHERE kind = $1 AND key = $2 AND at > $3
         ORDER BY at DESC LIMIT 1 OFFSET $4",
    )
    .bind(kind.as_str())
    .bind(key)
    .bind(now - window_ms)
    .bind(i64::from(max.max(1)) - 1)
    .fetch_optional(db.pool())
    .await?;
    Ok(match row {
        Some(r) => Some(Throttled { retry_at_ms: r.try_get::<i64, _>(0)? + window_ms }),
        None => None,
    })
}

/// Counts one attempt; returns its id (to take it back if it turns out not to count).
pub async fn record(db: &Db, kind: Kind, key: &str) -> Result<i64, sqlx::Error> {
    let row = sqlx::query("INSERT INTO auth_attempts (kind, key, at) VALUES ($1, $2, $3) RETURNING id")
        .bind(kind.as_str())
        .bind(key)
        .bind(now_ms())
        .fetch_one(db.writer())
        .await?;
    row.try_get::<i64, _>(0)
}

/// Takes back attempts recorded ahead of an outcome that does not count.
pub async fn forget(db: &Db, ids: &[i64]) -> Result<(), sqlx::Error> {
    for id in ids {
        sqlx::query("DELETE FROM auth_attempts WHERE id = $1").bind(id).execute(db.writer()).await?;
    }
    Ok(())
}

/// A successful sign-in clears the login's failures.
pub async fn clear(db: &Db, kind: Kind, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM auth_attempts WHERE kind = $1 AND key = $2")
        .bind(kind.as_str())
        .bind(key)
        .execute(db.writer())
        .await?;
    Ok(())
}

/// The longest any attempt can still matter.
pub fn retention_ms(limits: &AuthLimits) -> i64 {
    (limits.failure_window_secs as i64 * 1000).max(3_600_000)
}

/// Deletes attempts that no window counts any more.
pub async fn purge(db: &Db, limits: &AuthLimits) -> Result<u64, sqlx::Error> {
    let r = sqlx::query("DELETE FROM auth_attempts WHERE at <= $1")
        .bind(now_ms() - retention_ms(limits))
        .execute(db.writer())
        .await?;
    Ok(r.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_left_rounds_up_and_is_at_least_one() {
        let t = Throttled { retry_at_ms: 10 * 60_000 };
        assert_eq!(t.minutes_left(0), 10);
        assert_eq!(t.minutes_left(1), 10);
        assert_eq!(t.minutes_left(9 * 60_000 + 1), 1);
        assert_eq!(t.minutes_left(20 * 60_000), 1);
    }

    #[test]
    fn keys_are_normalised_and_bounded() {
        assert_eq!(login_key("  Alice "), "alice");
        assert_eq!(login_key(&"x".repeat(10_000)).len(), 64);
        assert_eq!(address_key("203.0.113.7".parse().unwrap()), "203.0.113.7");
        assert_eq!(address_key("::ffff:203.0.113.7".parse().unwrap()), "203.0.113.7");
        assert_eq!(address_key("2001:db8:1:2:aaaa::1".parse().unwrap()), "2001:db8:1:2::/64");
        assert_eq!(address_key("2001:db8:1:2:bbbb::9".parse().unwrap()), "2001:db8:1:2::/64");
    }

    #[test]
    fn x_forwarded_for_counts_only_when_trusted_and_takes_the_proxys_entry() {
        let mut h = http::HeaderMap::new();
        h.insert("x-forwarded-for", "1.1.1.1, 203.0.113.9".parse().unwrap());
        let peer = Some("10.0.0.1".parse().unwrap());
        assert_eq!(client_ip(peer, &h, false), peer);
        assert_eq!(client_ip(peer, &h, true), Some("203.0.113.9".parse().unwrap()));
        h.insert("x-forwarded-for", "203.0.113.9, garbage".parse().unwrap());
        assert_eq!(client_ip(peer, &h, true), peer, "an unreadable last entry falls back to the peer");
    }
}
