//! Passwords (argon2id) and database-backed sessions, shared by every portal process.
//!
//! Under attack: every Argon2 run (19 MiB) waits for one of a few permits, so
//! a flood of sign-ins cannot exhaust memory; failed sign-ins are counted in
//! the database per login and per client address (`throttle`) and refused,
//! without hashing, once over the limit.

use super::config::AuthLimits;
use super::db::{Db, now_ms};
use super::throttle::{self, Kind};
use crate::domain::Login;
use argon2::password_hash::{Output, ParamsString, PasswordHash, Salt, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// The session cookie over plain HTTP (development, the demo).
pub const SESSION_COOKIE: &str = "portal_session";
/// The session cookie under https: the `__Host-` prefix makes browsers refuse
/// it unless it is Secure, has Path=/ and no Domain (no subdomain can plant it).
pub const SECURE_SESSION_COOKIE: &str = "__Host-portal_session";
pub const SESSION_TTL_MS: i64 = 30 * 24 * 3600 * 1000;
/// `last_seen_at` is written at most this often per session.
pub const LAST_SEEN_RESOLUTION_MS: i64 = 60_000;

pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure { SECURE_SESSION_COOKIE } else { SESSION_COOKIE }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionUser {
    pub id: i64,
    pub login: String,
    pub is_admin: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("That login is taken. Choose another.")]
    LoginTaken,
    #[error("Wrong login or password.")]
    WrongCredentials,
    #[error("A password has 8 to 128 characters.")]
    WeakPassword,
    #[error("{0}")]
    Login(#[from] crate::domain::login::LoginError),
    #[error("The service is temporarily unavailable. Try again in a moment.")]
    Db(#[from] sqlx::Error),
    #[error("Could not process the password.")]
    Hash,
    #[error("The server is busy; try again in a moment.")]
    Busy,
    #[error("Too many attempts; try again in {} {}.", .minutes, if *.minutes == 1 { "minute" } else { "minutes" })]
    Throttled { minutes: u32 },
    #[error("Too many accounts were created from your network; try again in {} {}.", .minutes, if *.minutes == 1 { "minute" } else { "minutes" })]
    SignUpLimited { minutes: u32 },
}

/// Bounds the Argon2 runs of this process: each takes 19 MiB for tens of
/// milliseconds, so hundreds at once would take gigabytes. A run waits at
/// most `wait` for a permit, then the caller gets `AuthError::Busy`.
#[derive(Clone, Debug)]
pub struct PasswordHashing {
    permits: Arc<Semaphore>,
    wait: Duration,
    /// One working memory per permit at most, reused run after run.
    memories: Arc<std::sync::Mutex<Vec<HashMemory>>>,
}

impl PasswordHashing {
    pub fn new(concurrency: u32, wait: Duration) -> Self {
        PasswordHashing {
            permits: Arc::new(Semaphore::new(concurrency.max(1) as usize)),
            wait,
            memories: Arc::new(std::sync::Mutex::new(Vec::new())),
        }
    }

    pub fn from_limits(limits: &AuthLimits) -> Self {
        Self::new(limits.password_hash_concurrency, Duration::from_millis(limits.password_hash_wait_ms))
    }

    /// For callers without the server's state (the command line, tests): the
    /// default concurrency, and patience instead of "busy".
    pub fn standalone() -> &'static PasswordHashing {
        static SHARED: std::sync::OnceLock<PasswordHashing> = std::sync::OnceLock::new();
        SHARED.get_or_init(|| {
            PasswordHashing::new(AuthLimits::default().password_hash_concurrency, Duration::from_secs(120))
        })
    }

    /// Runs `work` on the blocking pool while holding a permit. The permit
    /// moves into the blocking task, so it is held until Argon2 is done even
    /// if the request that asked is dropped.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut HashMemory) -> T + Send + 'static,
    ) -> Result<T, AuthError> {
        let permit = match tokio::time::timeout(self.wait, self.permits.clone().acquire_owned()).await {
            Ok(Ok(permit)) => permit,
            _ => return Err(AuthError::Busy),
        };
        let memories = self.memories.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let mut memory = memories.lock().ok().and_then(|mut m| m.pop()).unwrap_or_default();
            let result = work(&mut memory);
            if let Ok(mut m) = memories.lock() {
                m.push(memory);
            }
            result
        })
        .await
        .map_err(|_| AuthError::Hash)
    }
}

pub fn check_password_rules(password: &str) -> Result<(), AuthError> {
    let n = password.chars().count();
    if !(8..=128).contains(&n) {
        return Err(AuthError::WeakPassword);
    }
    Ok(())
}

/// Argon2's working memory (`m_cost` blocks of 1 KiB), kept per hashing slot
/// and reused: allocating and freeing 19 MiB per attempt leaves freed memory
/// scattered over the allocator's per-thread arenas, and the process grows.
pub type HashMemory = Vec<Block>;

/// The largest `m_cost` (KiB) a stored hash may ask for: a corrupt or hostile
/// hash must not make verification allocate gigabytes.
const MAX_M_COST_KIB: u32 = 256 * 1024;

/// Argon2::default(): argon2id, m = 19 MiB, t = 2, p = 1 (OWASP's minimum).
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    hash_password_in(password, &mut HashMemory::new())
}

fn hash_password_in(password: &str, memory: &mut HashMemory) -> Result<String, AuthError> {
    let salt = SaltString::generate(&mut OsRng);
    let params = Params::default();
    let output = argon2_output(password, Algorithm::Argon2id, Version::V0x13, params.clone(), salt.as_salt(), memory)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|_| AuthError::Hash)?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(phc.to_string())
}

/// True when `password` matches the PHC string `hash` (any Argon2 variant,
/// version and parameters it names). The comparison is constant-time.
fn verify_password_in(password: &str, hash: &str, memory: &mut HashMemory) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else { return false };
    let (Ok(algorithm), Ok(params), Some(salt), Some(expected)) =
        (Algorithm::try_from(parsed.algorithm), Params::try_from(&parsed), parsed.salt, parsed.hash)
    else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = Params::new(params.m_cost(), params.t_cost(), params.p_cost(), Some(expected.len())) else {
        return false;
    };
    argon2_output(password, algorithm, version, params, salt, memory).is_ok_and(|out| out == expected)
}

fn argon2_output(
    password: &str,
    algorithm: Algorithm,
    version: Version,
    params: Params,
    salt: Salt<'_>,
    memory: &mut HashMemory,
) -> Result<Output, AuthError> {
    if params.m_cost() > MAX_M_COST_KIB {
        return Err(AuthError::Hash);
    }
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    let mut salt_bytes = [0u8; 64];
    let salt = salt.decode_b64(&mut salt_bytes).map_err(|_| AuthError::Hash)?;
    let len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let argon2 = Argon2::new(algorithm, version, params);
    Output::init_with(len, |out| {
        argon2
            .hash_password_into_with_memory(password.as_bytes(), salt, out, &mut memory[..blocks])
            .map_err(|_| argon2::password_hash::Error::Password)
    })
    .map_err(|_| AuthError::Hash)
}

/// A hash of a random password, verified against when the login does not exist,
/// so that a wrong login and a wrong password take the same time.
fn dummy_hash(memory: &mut HashMemory) -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password_in("not-a-real-password-0", memory).unwrap_or_default())
}

/// Creates a user (the command line's `user add`; tests). Web sign-ups go
/// through `sign_up`, which is rate-limited per address.
pub async fn create_user(db: &Db, login: &Login, password: &str, admin: bool) -> Result<i64, AuthError> {
    create_user_with(db, PasswordHashing::standalone(), login, password, admin).await
}

pub async fn create_user_with(
    db: &Db,
    hashing: &PasswordHashing,
    login: &Login,
    password: &str,
    admin: bool,
) -> Result<i64, AuthError> {
    check_password_rules(password)?;
    let hash = {
        let pw = password.to_string();
        hashing.run(move |memory| hash_password_in(&pw, memory)).await??
    };
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO users (login, password_hash, role, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (login) DO NOTHING RETURNING id",
    )
    .bind(login.as_str())
    .bind(hash)
    .bind(if admin { "admin" } else { "user" })
    .bind(now_ms())
    .fetch_optional(db.writer())
    .await?;
    id.ok_or(AuthError::LoginTaken)
}

/// A web sign-up: at most `SIGNUP_MAX_PER_ADDRESS_PER_HOUR` attempts that
/// reach Argon2 per client address and hour.
pub async fn sign_up(
    db: &Db,
    hashing: &PasswordHashing,
    limits: &AuthLimits,
    client: Option<IpAddr>,
    login: &Login,
    password: &str,
) -> Result<i64, AuthError> {
    check_password_rules(password)?;
    let mut recorded = Vec::new();
    if let Some(ip) = client {
        let key = throttle::address_key(ip);
        if let Some(t) =
            throttle::check(db, Kind::Signup, &key, limits.signup_max_per_address_per_hour, 3_600_000).await?
        {
            return Err(AuthError::SignUpLimited { minutes: t.minutes_left(now_ms()) });
        }
        recorded.push(throttle::record(db, Kind::Signup, &key).await?);
    }
    let result = create_user_with(db, hashing, login, password, false).await;
    if matches!(result, Err(AuthError::Busy | AuthError::Hash | AuthError::Db(_))) {
        // The server's trouble, not the visitor's attempt.
        let _ = throttle::forget(db, &recorded).await;
    }
    result
}

/// Checks a password without any limit (tests and tools). Web sign-ins go
/// through `sign_in`.
pub async fn check_credentials(db: &Db, login: &str, password: &str) -> Result<SessionUser, AuthError> {
    verify_credentials(db, PasswordHashing::standalone(), login, password).await
}

#[derive(sqlx::FromRow)]
struct Credentials {
    id: i64,
    login: String,
    password_hash: String,
    role: String,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: i64,
    login: String,
    role: String,
    last_seen_at: i64,
}

async fn verify_credentials(
    db: &Db,
    hashing: &PasswordHashing,
    login: &str,
    password: &str,
) -> Result<SessionUser, AuthError> {
    let row: Option<Credentials> = sqlx::query_as("SELECT id, login, password_hash, role FROM users WHERE login = $1")
        .bind(login.trim())
        .fetch_optional(db.pool())
        .await?;
    let (user, hash) = match row {
        Some(c) => (Some(SessionUser { id: c.id, login: c.login, is_admin: c.role == "admin" }), Some(c.password_hash)),
        None => (None, None),
    };
    let pw = password.to_string();
    // An unknown login is verified against a dummy hash, so both take the same time.
    let ok = hashing
        .run(move |memory| {
            let stored = match &hash {
                Some(h) => h.as_str(),
                None => dummy_hash(memory),
            };
            verify_password_in(&pw, stored, memory)
        })
        .await?;
    match user {
        Some(u) if ok => Ok(u),
        _ => Err(AuthError::WrongCredentials),
    }
}

/// A web sign-in. Refused without running Argon2 while the login has
/// `AUTH_LOGIN_MAX_FAILURES` failures, or the client address
/// `AUTH_ADDRESS_MAX_FAILURES`, within the window. The attempt is counted
/// before the password is checked, so concurrent guesses count too; a
/// success clears the login's failures, and an attempt the server could not
/// judge (busy) is taken back.
pub async fn sign_in(
    db: &Db,
    hashing: &PasswordHashing,
    limits: &AuthLimits,
    client: Option<IpAddr>,
    login: &str,
    password: &str,
) -> Result<SessionUser, AuthError> {
    let window_ms = limits.failure_window_secs as i64 * 1000;
    let login_key = throttle::login_key(login);
    let address_key = client.map(throttle::address_key);
    let mut refused = throttle::check(db, Kind::Login, &login_key, limits.login_max_failures, window_ms).await?;
    if refused.is_none()
        && let Some(key) = &address_key
    {
        refused = throttle::check(db, Kind::Address, key, limits.address_max_failures, window_ms).await?;
    }
    if let Some(t) = refused {
        return Err(AuthError::Throttled { minutes: t.minutes_left(now_ms()) });
    }
    let mut recorded = vec![throttle::record(db, Kind::Login, &login_key).await?];
    if let Some(key) = &address_key {
        recorded.push(throttle::record(db, Kind::Address, key).await?);
    }
    let result = verify_credentials(db, hashing, login, password).await;
    match &result {
        Ok(_) => {
            throttle::clear(db, Kind::Login, &login_key).await?;
            throttle::forget(db, &recorded[1..]).await?;
        }
        Err(AuthError::WrongCredentials) => {}
        Err(_) => {
            let _ = throttle::forget(db, &recorded).await;
        }
    }
    result
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Starts a session; returns the cookie value (only its hash is stored).
pub async fn start_session(db: &Db, user_id: i64) -> Result<String, AuthError> {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let now = now_ms();
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at) VALUES ($1, $2, $3, $4, $3)",
    )
    .bind(token_hash(&token))
    .bind(user_id)
    .bind(now)
    .bind(now + SESSION_TTL_MS)
    .execute(db.writer())
    .await?;
    Ok(token)
}

pub async fn end_session(db: &Db, token: &str) -> Result<(), AuthError> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash(token)).execute(db.writer()).await?;
    Ok(())
}

/// The user of a session that is neither expired nor idle for `idle_ms`.
/// Marks the session seen (at most once a minute, to spare the writer).
pub async fn session_user(db: &Db, token: &str, idle_ms: i64) -> Result<Option<SessionUser>, AuthError> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let now = now_ms();
    let hash = token_hash(token);
    let row: Option<SessionRow> = sqlx::query_as(
        "SELECT u.id, u.login, u.role, s.last_seen_at FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $3",
    )
    .bind(&hash)
    .bind(now)
    .bind(now - idle_ms)
    .fetch_optional(db.pool())
    .await?;
    let Some(r) = row else { return Ok(None) };
    let user = SessionUser { id: r.id, login: r.login, is_admin: r.role == "admin" };
    let last_seen = r.last_seen_at;
    if now - last_seen >= LAST_SEEN_RESOLUTION_MS {
        // Conditional, so several processes serving one session write once.
        let touched = sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2 AND last_seen_at < $3")
            .bind(now)
            .bind(&hash)
            .bind(now - LAST_SEEN_RESOLUTION_MS)
            .execute(db.writer())
            .await;
        if let Err(e) = touched {
            tracing::warn!(error = %e, "could not mark a session seen");
        }
    }
    Ok(Some(user))
}

/// Deletes sessions that expired or sat idle for `idle_ms`.
pub async fn purge_sessions(db: &Db, idle_ms: i64) -> Result<u64, sqlx::Error> {
    let now = now_ms();
    let r = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2")
        .bind(now)
        .bind(now - idle_ms)
        .execute(db.writer())
        .await?;
    Ok(r.rows_affected())
}

/// Every few minutes: deletes expired and idle sessions and sign-in attempts
/// no window counts any more. Stops with the server.
pub async fn run_purger(db: Db, limits: AuthLimits, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let idle_ms = limits.session_idle_timeout_secs as i64 * 1000;
    let mut tick = tokio::time::interval(Duration::from_secs(300));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
        match purge_sessions(&db, idle_ms).await {
            Ok(n) if n > 0 => tracing::info!(sessions = n, "expired and idle sessions purged"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "purging sessions failed"),
        }
        if let Err(e) = throttle::purge(&db, &limits).await {
            tracing::warn!(error = %e, "purging sign-in attempts failed");
        }
    }
}

/// The session cookie's value from a Cookie header, if any. Under https only
/// the `__Host-` cookie counts.
pub fn session_token_from_headers(headers: &http::HeaderMap, secure: bool) -> Option<String> {
    cookie_value(headers, session_cookie_name(secure))
}

/// The value of the request's cookie `name`, if it sent one.
pub fn cookie_value(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers.get_all(http::header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(
        |kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name).then(|| v.to_string())
        },
    )
}

pub fn session_cookie(token: &str, secure: bool) -> String {
    format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        session_cookie_name(secure),
        SESSION_TTL_MS / 1000,
        if secure { "; Secure" } else { "" }
    )
}

pub fn clear_session_cookie(secure: bool) -> String {
    format!(
        "{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        session_cookie_name(secure),
        if secure { "; Secure" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn under_https_the_cookie_is_host_prefixed_and_secure() {
        let c = session_cookie("abc", true);
        assert!(c.starts_with("__Host-portal_session=abc; Path=/;"), "{c}");
        assert!(c.contains("; Secure") && c.contains("HttpOnly") && !c.contains("Domain"), "{c}");
        let plain = session_cookie("abc", false);
        assert!(plain.starts_with("portal_session=abc;") && !plain.contains("Secure"), "{plain}");
        assert!(clear_session_cookie(true).starts_with("__Host-portal_session=;"));

        let mut h = http::HeaderMap::new();
        h.insert(http::header::COOKIE, "portal_session=plain; __Host-portal_session=hosted".parse().unwrap());
        assert_eq!(session_token_from_headers(&h, true).as_deref(), Some("hosted"));
        assert_eq!(session_token_from_headers(&h, false).as_deref(), Some("plain"));
    }

    #[test]
    fn the_throttle_message_names_the_minutes() {
        assert_eq!(AuthError::Throttled { minutes: 15 }.to_string(), "Too many attempts; try again in 15 minutes.");
        assert_eq!(AuthError::Throttled { minutes: 1 }.to_string(), "Too many attempts; try again in 1 minute.");
    }

    #[tokio::test]
    async fn a_busy_hasher_answers_busy_instead_of_queueing_forever() {
        let hashing = PasswordHashing::new(1, Duration::from_millis(50));
        let slow = hashing.clone();
        let holder = tokio::spawn(async move { slow.run(|_| std::thread::sleep(Duration::from_millis(400))).await });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(matches!(hashing.run(|_| ()).await, Err(AuthError::Busy)));
        assert!(holder.await.unwrap().is_ok());
        assert!(hashing.run(|_| 7).await.is_ok_and(|v| v == 7), "the permit came back");
    }

    #[test]
    fn hashes_verify_with_reused_memory_and_match_the_argon2_crate() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let mut memory = HashMemory::new();
        let ours = hash_password_in("pw-123456", &mut memory).unwrap();
        assert!(ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{ours}");
        assert!(verify_password_in("pw-123456", &ours, &mut memory));
        assert!(!verify_password_in("pw-654321", &ours, &mut memory));
        // Interchangeable with the crate's own hashing (existing users' hashes).
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default().verify_password(b"pw-123456", &parsed).is_ok());
        let theirs =
            Argon2::default().hash_password(b"pw-abcdef", &SaltString::generate(&mut OsRng)).unwrap().to_string();
        assert!(verify_password_in("pw-abcdef", &theirs, &mut memory));
        // Other parameters (a smaller m_cost) verify too; garbage and absurd costs do not, without panicking.
        let small = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(8, 1, 1, None).unwrap())
            .hash_password(b"pw-small", &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string();
        assert!(verify_password_in("pw-small", &small, &mut memory));
        assert!(!verify_password_in("pw-small", "not a hash", &mut memory));
        assert!(!verify_password_in(
            "pw-small",
            "$argon2id$v=19$m=4000000,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
            &mut memory
        ));
        assert_eq!(memory.len(), 19_456, "the memory is kept at its largest use");
    }
}
