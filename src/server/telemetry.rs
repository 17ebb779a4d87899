use super::config::LogFormat;
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

/// Structured logs. `RUST_LOG` filters (default: info for us, warn for libraries).
/// A server logs to stdout; a one-shot command (`to_stdout` false) to stderr,
/// so its own output (`--json`) stays clean.
pub fn init(format: LogFormat, to_stdout: bool) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("portal=info,tower_http=info,warn"));
    let registry = tracing_subscriber::registry().with(filter);
    let writer = move || -> Box<dyn std::io::Write> {
        if to_stdout { Box::new(std::io::stdout()) } else { Box::new(std::io::stderr()) }
    };
    let _ = match format {
        LogFormat::Json => registry.with(fmt::layer().json().with_current_span(true).with_writer(writer)).try_init(),
        LogFormat::Text => registry.with(fmt::layer().with_target(false).with_writer(writer)).try_init(),
    };
}
