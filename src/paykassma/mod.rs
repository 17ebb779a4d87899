//! The provider, Paykassma: wire formats, signatures, links and QR codes.
//! Knows HTTP and the provider, never our database or pages.

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
