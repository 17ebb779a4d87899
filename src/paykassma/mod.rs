//! The provider, Paykassma: wire formats, signatures, links and QR codes.
//! Knows HTTP and the provider, never our database or pages.

/// When the provider sends a postback again after no `200`, in seconds after
/// the previous try: 5 s, 30 s, 2 min, 10 min, 30 min, then every hour. The
/// sandbox's default (SANDBOX_RETRY_SCHEDULE), written once.
pub const POSTBACK_RETRY_SECONDS: [u64; 6] = [5, 30, 120, 600, 1800, 3600];

#[cfg(feature = "ssr")]
pub mod client;
pub mod deeplink;
#[cfg(feature = "ssr")]
pub mod error;
#[cfg(feature = "ssr")]
pub mod item;
pub mod json;
pub mod plugin;
pub mod qr;
#[cfg(feature = "ssr")]
pub mod secret;
pub mod signature;
#[cfg(feature = "ssr")]
pub mod types;
#[cfg(feature = "ssr")]
pub mod wire;
pub mod withdrawal_signature;
