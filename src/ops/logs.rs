//! Logging: JSON lines to daily files in `LOG_DIR`, readable text to stderr.
//!
//! The file is `LOG_DIR/quickcart.YYYY-MM-DD.log` (UTC date). The writer starts a new file when
//! the date changes and when its file was moved away: `quickcart logs rotate` renames today's
//! file to `quickcart.YYYY-MM-DD.N.log` and the running `serve` starts a fresh one within a
//! second, without losing a line (until then it keeps writing into the renamed file).
//! `quickcart logs prune` deletes files older than `LOG_RETENTION_DAYS`, never today's.

use crate::security::redact::Redacting;
use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter, Layer};

/// Installs the global subscriber. Keep the guard alive: dropping it flushes the file writer.
/// With `log_dir = None` only stderr is used (maintenance subcommands).
pub fn init(log_dir: Option<&Path>, default_level: &str) -> Option<WorkerGuard> {
    let filter = || EnvFilter::try_from_env("QUICKCART_LOG").unwrap_or_else(|_| EnvFilter::new(default_level));
    let stderr = fmt::layer().with_writer(Redacting(std::io::stderr)).with_target(false).with_filter(filter());
    let (file_layer, guard) = match log_dir.and_then(|dir| {
        std::fs::create_dir_all(dir).ok()?;
        DailyFile::open(dir).ok()
    }) {
        Some(appender) => {
            // 8,192 lines of room instead of the default 128,000: that queue is allocated and
            // touched up front, 4 MB of the idle process (issue 14). The writer thread keeps up
            // with far more than a flash sale logs (a few lines per order); lines beyond the
            // room are dropped, as before, not waited for.
            let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
                .buffered_lines_limit(8_192)
                .finish(appender);
            let layer = fmt::layer().json().with_writer(Redacting(writer)).with_filter(filter());
            (Some(layer), Some(guard))
        }
        None => (None, None),
    };
    let _ = tracing_subscriber::registry().with(stderr).with(file_layer).try_init();
    guard
}

const LOG_PREFIX: &str = "quickcart.";
const LOG_SUFFIX: &str = ".log";
/// How often the writer checks that its file is still in place.
const RECHECK: std::time::Duration = std::time::Duration::from_secs(1);

/// `quickcart.<date>.log` in `dir`.
pub fn file_for(dir: &Path, date: chrono::NaiveDate) -> std::path::PathBuf {
    dir.join(format!("{LOG_PREFIX}{}{LOG_SUFFIX}", date.format("%Y-%m-%d")))
}

/// The date of one of our log files (`quickcart.YYYY-MM-DD.log` or `quickcart.YYYY-MM-DD.N.log`).
pub fn parse_log_name(name: &str) -> Option<chrono::NaiveDate> {
    let middle = name.strip_prefix(LOG_PREFIX)?.strip_suffix(LOG_SUFFIX)?;
    let (date, rest) = (middle.get(..10)?, middle.get(10..)?);
    if !(rest.is_empty()
        || rest.strip_prefix('.').is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())))
    {
        return None;
    }
    chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()
}

/// The daily log file writer (see the module documentation).
pub struct DailyFile {
    dir: std::path::PathBuf,
    date: chrono::NaiveDate,
    file: std::fs::File,
    id: Option<(u64, u64)>,
    checked: std::time::Instant,
}

impl DailyFile {
    pub fn open(dir: &Path) -> std::io::Result<Self> {
        let date = chrono::Utc::now().date_naive();
        let (file, id) = open_log(&file_for(dir, date))?;
        Ok(Self { dir: dir.to_path_buf(), date, file, id, checked: std::time::Instant::now() })
    }

    fn reopen_if_needed(&mut self) {
        let today = chrono::Utc::now().date_naive();
        let due = self.checked.elapsed() >= RECHECK;
        if today == self.date && !due {
            return;
        }
        self.checked = std::time::Instant::now();
        let path = file_for(&self.dir, today);
        if today == self.date && file_id(&path).is_some() && file_id(&path) == self.id {
            return;
        }
        // On failure keep writing to the old handle: a log line in the wrong file beats a lost one.
        if let Ok((file, id)) = open_log(&path) {
            self.file = file;
            self.id = id;
            self.date = today;
        }
    }
}

impl std::io::Write for DailyFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.reopen_if_needed();
        self.file.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

fn open_log(path: &Path) -> std::io::Result<(std::fs::File, Option<(u64, u64)>)> {
    let mut opts = std::fs::OpenOptions::new();
    opts.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o640);
    }
    let file = opts.open(path)?;
    let id = file.metadata().ok().and_then(|m| meta_id(&m));
    Ok((file, id))
}

fn file_id(path: &Path) -> Option<(u64, u64)> {
    std::fs::metadata(path).ok().and_then(|m| meta_id(&m))
}

#[cfg(unix)]
fn meta_id(m: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn meta_id(_: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

/// `logs rotate`: today's file becomes `quickcart.<today>.<N>.log`; a running `serve` starts a
/// new `quickcart.<today>.log` within a second.
pub fn rotate(dir: &Path) -> anyhow::Result<String> {
    let today = chrono::Utc::now().date_naive();
    let current = file_for(dir, today);
    if !current.exists() {
        return Ok(format!("{} belum ada; tidak ada yang diputar", current.display()));
    }
    let stem = format!("{LOG_PREFIX}{}", today.format("%Y-%m-%d"));
    let mut n = 1;
    let target = loop {
        let candidate = dir.join(format!("{stem}.{n}{LOG_SUFFIX}"));
        if !candidate.exists() {
            break candidate;
        }
        n += 1;
    };
    std::fs::rename(&current, &target)?;
    Ok(format!(
        "{} → {}\nserve yang berjalan menulis ke berkas baru {} dalam 1 detik",
        current.display(),
        target.display(),
        current.display()
    ))
}

/// Names (of our log files) older than `retention_days` before `today`; never today's.
pub fn expired(names: &[String], retention_days: u32, today: chrono::NaiveDate) -> Vec<String> {
    let cutoff = today - chrono::Duration::days(i64::from(retention_days));
    let mut out: Vec<String> =
        names.iter().filter(|n| parse_log_name(n).is_some_and(|d| d < cutoff && d != today)).cloned().collect();
    out.sort();
    out
}

/// `logs prune`: deletes log files older than `LOG_RETENTION_DAYS`.
pub fn prune(dir: &Path, retention_days: u32) -> anyhow::Result<String> {
    if !dir.exists() {
        return Ok(format!("{} belum ada; tidak ada yang dihapus", dir.display()));
    }
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    let old = expired(&names, retention_days, chrono::Utc::now().date_naive());
    let mut lines = Vec::new();
    for name in &old {
        std::fs::remove_file(dir.join(name))?;
        lines.push(format!("dihapus: {name}"));
    }
    lines.push(format!("{} berkas log lebih tua dari {retention_days} hari dihapus", old.len()));
    Ok(lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prune_keeps_the_retention_window_and_today() {
        let today = chrono::NaiveDate::from_ymd_opt(2025, 3, 31).unwrap();
        let names: Vec<String> = [
            "quickcart.2025-03-31.log",
            "quickcart.2025-03-31.1.log",
            "quickcart.2025-03-24.log",
            "quickcart.2025-03-23.log",
            "quickcart.2025-03-23.2.log",
            "quickcart.2024-12-01.log",
            "quickcart.2024-12-01.x.log",
            "other.2020-01-01.log",
            "quickcart.2020-01-01.log.gz",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            expired(&names, 7, today),
            vec!["quickcart.2024-12-01.log", "quickcart.2025-03-23.2.log", "quickcart.2025-03-23.log"]
        );
    }
}
