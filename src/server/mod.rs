//! Server-only code (feature `ssr`). Nothing here reaches the WASM bundle.

pub mod account;
pub mod admin;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod config;
pub mod csrf;
pub mod db;
pub mod deposits;
pub mod events;
pub mod group_commit;
pub mod http;
pub mod ledger;
pub mod limits;
pub mod metrics;
pub mod postback;
pub mod seed;
pub mod state;
pub mod telemetry;
pub mod throttle;
pub mod timeline;
pub mod withdrawals;
