use super::auth::{PasswordHashing, SessionUser};
use super::config::Config;
use super::db::Db;
use super::events::Events;
use crate::paykassma::client::PaykassmaClient;
use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use leptos_axum::AxumRouteListing;
use std::sync::Arc;

/// Shared by every request: Leptos routes, server functions and plain axum routes.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    /// Postbacks are written through it: those arriving together share a commit.
    pub postbacks: super::postback::PostbackCommits,
    pub config: Arc<Config>,
    pub routes: Arc<Vec<AxumRouteListing>>,
    pub provider: PaykassmaClient,
    pub events: Events,
    /// Bounds the Argon2 runs of this process (PASSWORD_HASH_CONCURRENCY).
    pub hashing: PasswordHashing,
    /// Live-status stream caps, live-status database permits, rejected-postback bucket.
    pub limits: super::limits::Limits,
    /// The site's static files under their hashed names, compressed once.
    pub assets: Arc<super::assets::Assets>,
    /// Becomes true when the server shuts down (long-lived streams end).
    pub shutdown: tokio::sync::watch::Receiver<bool>,
}

/// The user behind the request's session cookie, resolved once per request.
#[derive(Clone, Debug, Default)]
pub struct RequestUser(pub Option<SessionUser>);

/// The client's address for rate limits: the TCP peer, or with
/// TRUST_X_FORWARDED_FOR=on the address the proxy reports.
#[derive(Clone, Copy, Debug, Default)]
pub struct ClientAddr(pub Option<std::net::IpAddr>);
