//! Logging: `tracing` to stderr, filtered by `RUST_LOG` (default `info`).
use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber; later calls are no-ops.
pub fn init() {
    init_with_default("info,tower_http=info");
}

/// [`init`] with another filter when `RUST_LOG` is unset (the render job keeps its terminal for
/// the progress bar: warnings only).
pub fn init_with_default(default: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}
