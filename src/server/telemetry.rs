use super::config::LogFormat;
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

/// Structured logs. `RUST_LOG` filters (default: info for us, warn for libraries).
pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("portal=info,tower_http=info,warn"));
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match format {
        LogFormat::Json => registry.with(fmt::layer().json().with_current_span(true)).try_init(),
        LogFormat::Text => registry.with(fmt::layer().with_target(false)).try_init(),
    };
}
