//! `quickcart doctor`: checks configuration, key, files and reachability, and says what to fix.
//!
//! Every problem in one run: each check adds its own lines (`ok` / `warn` / `FAIL` with what to
//! do) and the run goes on. The exit status says whether the shop can run (no `FAIL`). Nothing is
//! created or changed unless `--fix` is given. `quickcart setup` runs the same checks.

pub mod files;
pub mod net;
pub mod vars;

use std::path::PathBuf;

use crate::config::{Config, Source};

/// Where `quickcart setup` and the Debian package keep the configuration.
pub const PACKAGE_ENV_FILE: &str = "/etc/quickcart/quickcart.env";

/// The environment file `doctor` reads when none is named: the package's, but only where nothing
/// else configures the shop (no `./.env`, no token or key in the environment), so `sudo quickcart
/// doctor` on the VM checks what the service runs with.
pub fn default_env_file(named: Option<PathBuf>) -> Option<PathBuf> {
    if named.is_some() {
        return named;
    }
    let configured_here = std::path::Path::new(".env").exists()
        || ["DATABASE_KEY", "TELEGRAM_BOT_TOKEN"].iter().any(|k| std::env::var_os(k).is_some());
    let package = PathBuf::from(PACKAGE_ENV_FILE);
    (!configured_here && package.exists()).then_some(package)
}

/// What `doctor` was asked to do.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Skip the Telegram and Pakasir calls.
    pub offline: bool,
    /// Create missing directories (right owner and mode) and tighten the environment file's mode.
    pub fix: bool,
    /// The environment file in use (`--env-file`), checked for its mode; else `./.env` if present.
    pub env_file: Option<PathBuf>,
    /// The user the shop runs as, for the ownership checks (default: see `files::expected_owner`).
    pub user: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Ok,
    Warn,
    Fail,
}

#[derive(Default)]
pub struct Report {
    lines: Vec<(Level, String)>,
}

impl Report {
    pub fn ok(&mut self, what: impl AsRef<str>) {
        self.lines.push((Level::Ok, what.as_ref().to_string()));
    }
    pub fn warn(&mut self, what: impl AsRef<str>) {
        self.lines.push((Level::Warn, what.as_ref().to_string()));
    }
    pub fn fail(&mut self, what: impl AsRef<str>) {
        self.lines.push((Level::Fail, what.as_ref().to_string()));
    }
    pub fn push(&mut self, level: Level, what: impl AsRef<str>) {
        self.lines.push((level, what.as_ref().to_string()));
    }
    pub fn extend(&mut self, other: Report) {
        self.lines.extend(other.lines);
    }
    fn count(&self, level: Level) -> usize {
        self.lines.iter().filter(|(l, _)| *l == level).count()
    }
    pub fn failures(&self) -> usize {
        self.count(Level::Fail)
    }
    pub fn text(&self) -> String {
        let mut s: String = self
            .lines
            .iter()
            .map(|(level, what)| {
                let tag = match level {
                    Level::Ok => "ok   ",
                    Level::Warn => "warn ",
                    Level::Fail => "FAIL ",
                };
                format!("{tag} {what}\n")
            })
            .collect();
        let (fails, warns) = (self.failures(), self.count(Level::Warn));
        s.push_str(&match (fails, warns) {
            (0, 0) => "semua pemeriksaan lulus".to_string(),
            (0, w) => format!("toko dapat berjalan; {w} peringatan di atas patut dibaca"),
            (f, w) => format!("{f} masalah perlu diperbaiki sebelum toko dapat berjalan ({w} peringatan)"),
        });
        s
    }
    pub fn healthy(&self) -> bool {
        self.failures() == 0
    }
}

/// The whole check against the variables in `src`.
pub async fn run(src: &dyn Source, opts: &Options) -> Report {
    let mut r = Report::default();
    if let Some(file) = &opts.env_file {
        r.ok(format!("konfigurasi dari {}", file.display()));
    }
    let checked = vars::check(src, &mut r);
    files::check_env_file(opts.env_file.as_deref(), opts.fix, &mut r);
    let Some(config) = checked else {
        r.fail("pemeriksaan berkas dan jaringan dilewati: konfigurasi tidak dapat dibaca");
        return r;
    };
    files::check_dirs(&config, opts.user.as_deref(), opts.fix, &mut r);
    files::check_database(&config, &mut r);
    files::check_recipients(&config, &mut r);
    if opts.offline {
        r.extend(check_backup_remote(&config, true).await);
    } else {
        let (net, remote) = tokio::join!(net::check(&config), check_backup_remote(&config, false));
        r.extend(net);
        r.extend(remote);
    }
    r
}

/// `BACKUP_REMOTE` reachable and writable (a probe file goes up the way a backup does and is
/// deleted again), beside the Telegram and Pakasir checks. Offline: only said to be unchecked.
async fn check_backup_remote(config: &Config, offline: bool) -> Report {
    let mut r = Report::default();
    let Some(spec) = config.backup_remote.clone() else { return r };
    if offline {
        r.ok(format!("BACKUP_REMOTE {}: tidak diperiksa (--offline)", crate::ops::rclone::shown(&spec)));
        return r;
    }
    match tokio::task::spawn_blocking(move || crate::ops::rclone::check_remote(&spec)).await {
        Ok(Ok(line)) => r.ok(line),
        Ok(Err(e)) => r.fail(format!("BACKUP_REMOTE: {e:#}")),
        Err(e) => r.fail(format!("BACKUP_REMOTE: pemeriksaan terhenti: {e}")),
    }
    r
}
