//! Logging: JSON lines to daily files in `LOG_DIR`, readable text to stderr.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter, Layer};

/// Installs the global subscriber. Keep the guard alive: dropping it flushes the file writer.
/// With `log_dir = None` only stderr is used (maintenance subcommands).
pub fn init(log_dir: Option<&Path>, default_level: &str) -> Option<WorkerGuard> {
    let filter = || EnvFilter::try_from_env("QUICKCART_LOG").unwrap_or_else(|_| EnvFilter::new(default_level));
    let stderr = fmt::layer().with_writer(std::io::stderr).with_target(false).with_filter(filter());
    let (file_layer, guard) = match log_dir.and_then(|dir| {
        std::fs::create_dir_all(dir).ok()?;
        tracing_appender::rolling::Builder::new()
            .rotation(tracing_appender::rolling::Rotation::DAILY)
            .filename_prefix("quickcart")
            .filename_suffix("log")
            .build(dir)
            .ok()
    }) {
        Some(appender) => {
            let (writer, guard) = tracing_appender::non_blocking(appender);
            let layer = fmt::layer().json().with_writer(writer).with_filter(filter());
            (Some(layer), Some(guard))
        }
        None => (None, None),
    };
    let _ = tracing_subscriber::registry().with(stderr).with(file_layer).try_init();
    guard
}
