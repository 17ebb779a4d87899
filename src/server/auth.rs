//! Passwords (argon2id) and database-backed sessions, shared by every portal process.

use super::db::{now_ms, Db};
use crate::domain::Login;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::Row;

pub const SESSION_COOKIE: &str = "portal_session";
pub const SESSION_TTL_MS: i64 = 30 * 24 * 3600 * 1000;

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
}

pub fn check_password_rules(password: &str) -> Result<(), AuthError> {
    let n = password.chars().count();
    if !(8..=128).contains(&n) {
        return Err(AuthError::WeakPassword);
    }
    Ok(())
}

pub fn hash_password(password: &str) -> Result<String, AuthError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|_| AuthError::Hash)
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A hash of a random password, verified against when the login does not exist,
/// so that a wrong login and a wrong password take the same time.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not-a-real-password-0").unwrap_or_default())
}

pub async fn create_user(db: &Db, login: &Login, password: &str, admin: bool) -> Result<i64, AuthError> {
    check_password_rules(password)?;
    let hash = {
        let pw = password.to_string();
        tokio::task::spawn_blocking(move || hash_password(&pw)).await.map_err(|_| AuthError::Hash)??
    };
    let row = sqlx::query(
        "INSERT INTO users (login, password_hash, role, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (login) DO NOTHING RETURNING id",
    )
    .bind(login.as_str())
    .bind(hash)
    .bind(if admin { "admin" } else { "user" })
    .bind(now_ms())
    .fetch_optional(db.writer())
    .await?;
    match row {
        Some(r) => Ok(r.try_get::<i64, _>(0)?),
        None => Err(AuthError::LoginTaken),
    }
}

pub async fn check_credentials(db: &Db, login: &str, password: &str) -> Result<SessionUser, AuthError> {
    let row = sqlx::query("SELECT id, login, password_hash, role FROM users WHERE login = $1")
        .bind(login.trim())
        .fetch_optional(db.pool())
        .await?;
    let (user, hash) = match row {
        Some(r) => (
            Some(SessionUser { id: r.try_get(0)?, login: r.try_get(1)?, is_admin: r.try_get::<String, _>(3)? == "admin" }),
            r.try_get::<String, _>(2)?,
        ),
        None => (None, dummy_hash().to_string()),
    };
    let pw = password.to_string();
    let ok = tokio::task::spawn_blocking(move || verify_password(&pw, &hash)).await.unwrap_or(false);
    match user {
        Some(u) if ok => Ok(u),
        _ => Err(AuthError::WrongCredentials),
    }
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
    sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
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

pub async fn session_user(db: &Db, token: &str) -> Result<Option<SessionUser>, AuthError> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let row = sqlx::query(
        "SELECT u.id, u.login, u.role FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.token_hash = $1 AND s.expires_at > $2",
    )
    .bind(token_hash(token))
    .bind(now_ms())
    .fetch_optional(db.pool())
    .await?;
    Ok(match row {
        Some(r) => Some(SessionUser { id: r.try_get(0)?, login: r.try_get(1)?, is_admin: r.try_get::<String, _>(2)? == "admin" }),
        None => None,
    })
}

/// The session cookie's value from a Cookie header, if any.
pub fn session_token_from_headers(headers: &http::HeaderMap) -> Option<String> {
    headers.get_all(http::header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == SESSION_COOKIE).then(|| v.to_string())
    })
}

pub fn session_cookie(token: &str, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        SESSION_TTL_MS / 1000,
        if secure { "; Secure" } else { "" }
    )
}

pub fn clear_session_cookie(secure: bool) -> String {
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}", if secure { "; Secure" } else { "" })
}
