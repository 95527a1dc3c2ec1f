//! Backups that leave the machine: `BACKUP_REMOTE` in `backup create | prune | list | restore`.
//!
//! `BACKUP_DIR` stays the first copy; the remote mirrors it. `create` uploads the new backup and
//! then every other local backup the remote lacks (a run whose upload failed is made good by the
//! next one, so the 15-minute RPO holds off the machine as soon as the remote is back). Only
//! backups that retention would keep are uploaded, judged on both sides together: a file the
//! remote's prune just deleted is not sent up again. `prune` applies the same policy there.

use std::{
    collections::{BTreeMap, BTreeSet},
    io::IsTerminal,
    path::{Path, PathBuf},
};

use anyhow::{anyhow, Context};
use chrono::NaiveDateTime;

use crate::{
    config::Config,
    ops::{
        backup::{human, parse_name, plan, PrunePolicy},
        rclone::{Remote, UPLOAD_PREFIX},
    },
};

/// Remote upload leftovers older than this are removed by `prune` (as in `BACKUP_DIR`).
const STALE_UPLOAD_SECS: i64 = 24 * 3600;

/// The configured remote, if any.
pub fn remote(config: &Config) -> Option<Remote> {
    config.backup_remote.as_deref().map(Remote::new)
}

/// Our backups in `BACKUP_DIR`: name → size.
fn local_backups(dir: &Path) -> anyhow::Result<BTreeMap<String, u64>> {
    let mut out = BTreeMap::new();
    if !dir.exists() {
        return Ok(out);
    }
    for entry in std::fs::read_dir(dir).with_context(|| format!("BACKUP_DIR {} tidak terbaca", dir.display()))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if parse_name(&name).is_some() && entry.file_type()?.is_file() {
            out.insert(name, entry.metadata()?.len());
        }
    }
    Ok(out)
}

fn remote_backups(remote: &Remote) -> anyhow::Result<BTreeMap<String, u64>> {
    Ok(remote
        .list()?
        .into_iter()
        .filter(|e| parse_name(&e.name).is_some())
        .map(|e| (e.name, u64::try_from(e.size).unwrap_or(0)))
        .collect())
}

/// Newest first; two backups of one second (`…Z.tar.age`, then `…Z-1.tar.age`) by their number.
fn newest_first(names: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut v: Vec<(NaiveDateTime, u32, String)> = names
        .into_iter()
        .filter_map(|n| {
            let time = parse_name(&n)?;
            let number = n.split_once("Z-").and_then(|(_, rest)| rest.split('.').next()?.parse().ok()).unwrap_or(0);
            Some((time, number, n))
        })
        .collect();
    v.sort_by(|a, b| b.cmp(a));
    v.into_iter().map(|(_, _, n)| n).collect()
}

/// After `backup create`: uploads every local backup missing on the remote (or there with
/// another size), newest first, stopping at the first failure. The error says what is still
/// only here; the local backups are untouched either way.
pub fn upload_pending(config: &Config, remote: &Remote) -> anyhow::Result<String> {
    let shown = remote.shown();
    let local = local_backups(&config.backup_dir)?;
    let there = remote_backups(remote).map_err(|e| not_uploaded(e, None, &shown))?;
    let union: Vec<String> = local.keys().chain(there.keys()).cloned().collect::<BTreeSet<_>>().into_iter().collect();
    let (keep, _) = plan(&union, PrunePolicy::default());
    let keep: BTreeSet<String> = keep.into_iter().collect();
    let pending: Vec<String> = newest_first(
        local.iter().filter(|(n, size)| keep.contains(*n) && there.get(*n) != Some(size)).map(|(n, _)| n.clone()),
    );
    let mut lines = Vec::new();
    let terminal = std::io::stderr().is_terminal();
    for (i, name) in pending.iter().enumerate() {
        if terminal {
            eprintln!("mengunggah {name} ke {shown} …");
        }
        let checked = remote
            .upload(&config.backup_dir.join(name), name)
            .map_err(|e| not_uploaded(e, Some(pending.len() - i), &shown))?;
        tracing::info!(event = "backup_uploaded", file = %name, remote = %shown, "backup uploaded");
        lines.push(format!("diunggah ke {shown}: {name} (diperiksa: {checked})"));
    }
    if lines.is_empty() {
        lines.push(format!("{shown}: semua backup sudah ada di sana"));
    }
    Ok(lines.join("\n"))
}

fn not_uploaded(e: anyhow::Error, pending: Option<usize>, shown: &str) -> anyhow::Error {
    let what = match pending {
        Some(n) => format!("{n} backup belum ada di {shown}"),
        None => format!("backup terbaru belum ada di {shown}"),
    };
    anyhow!("{e:#}\nbackup tetap tersimpan di BACKUP_DIR; {what} dan akan diunggah oleh `backup create` berikutnya")
}

/// `backup prune` on the remote: the same [`plan`] over the remote's backups, plus upload
/// leftovers older than a day.
pub fn prune_remote(remote: &Remote, policy: PrunePolicy, dry_run: bool) -> anyhow::Result<String> {
    let shown = remote.shown();
    let entries = remote.list()?;
    let names: Vec<String> = entries.iter().filter(|e| parse_name(&e.name).is_some()).map(|e| e.name.clone()).collect();
    let (keep, delete) = plan(&names, policy);
    let now = chrono::Utc::now();
    let stale: Vec<String> = entries
        .iter()
        .filter(|e| e.name.starts_with(UPLOAD_PREFIX) || e.name.starts_with(".quickcart-doctor-"))
        .filter(|e| {
            chrono::DateTime::parse_from_rfc3339(&e.mod_time)
                .is_ok_and(|t| (now - t.with_timezone(&chrono::Utc)).num_seconds() > STALE_UPLOAD_SECS)
        })
        .map(|e| e.name.clone())
        .collect();
    let verb = if dry_run { "akan dihapus" } else { "dihapus" };
    let mut lines = Vec::new();
    for name in &delete {
        if !dry_run {
            remote.delete(name)?;
        }
        lines.push(format!("{verb} di {shown}: {name}"));
    }
    for name in &stale {
        if !dry_run {
            remote.delete(name)?;
        }
        lines.push(format!("{verb} di {shown} (sisa unggahan yang terhenti): {name}"));
    }
    lines.push(format!("{shown}: disimpan {} backup, {verb} {}", keep.len(), delete.len()));
    Ok(lines.join("\n"))
}

/// `backup list`: both sides, newest first. The flag is false when the remote could not be
/// listed (the local side is still shown).
pub fn list(config: &Config) -> anyhow::Result<(String, bool)> {
    let local = local_backups(&config.backup_dir)?;
    let remote = remote(config);
    let (there, problem) = match &remote {
        None => (BTreeMap::new(), None),
        Some(r) => match remote_backups(r) {
            Ok(m) => (m, None),
            Err(e) => (BTreeMap::new(), Some(format!("{e:#}"))),
        },
    };
    let names = newest_first(local.keys().chain(there.keys()).cloned().collect::<BTreeSet<_>>());
    let mut lines = vec![format!("{:<16}  {:>10}  {:<9}  NAMA", "WAKTU (WIB)", "UKURAN", "DI")];
    for name in &names {
        let (here, far) = (local.get(name), there.get(name));
        let (size, place) = match (here, far) {
            (Some(a), Some(b)) if a == b => (*a, "keduanya".to_string()),
            (Some(a), Some(b)) => (*a, format!("keduanya (ukuran di remote {b} byte!)")),
            (Some(a), None) => (*a, "lokal".to_string()),
            (None, Some(b)) => (*b, "remote".to_string()),
            (None, None) => continue,
        };
        let when = parse_name(name).map(|t| crate::domain::time::wib(t.and_utc().timestamp())).unwrap_or_default();
        lines.push(format!("{when:<16}  {:>10}  {place:<9}  {name}", human(size)));
    }
    let both = names.iter().filter(|n| local.contains_key(*n) && there.contains_key(*n)).count();
    lines.push(format!("lokal ({}): {} backup", config.backup_dir.display(), local.len()));
    match (&remote, &problem) {
        (None, _) => lines.push("BACKUP_REMOTE belum diisi: backup hanya ada di mesin ini".into()),
        (Some(r), None) => {
            lines.push(format!("remote ({}): {} backup, {both} di kedua tempat", r.shown(), there.len()))
        }
        (Some(r), Some(e)) => lines.push(format!("remote ({}): tidak dapat dibaca: {e}", r.shown())),
    }
    Ok((lines.join("\n"), problem.is_none()))
}

/// A remote backup downloaded for `verify`/`restore`: a private directory in `BACKUP_DIR`
/// holding the file under its own name (so the audit log records the real name); removed when
/// dropped.
pub struct Fetched {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
    pub report: String,
}

pub fn fetch(config: &Config, name: &str) -> anyhow::Result<Fetched> {
    let remote =
        remote(config).ok_or_else(|| anyhow!("--remote butuh BACKUP_REMOTE (remote rclone seperti b2:toko-backup)"))?;
    if parse_name(name).is_none() {
        anyhow::bail!("{name:?} bukan nama backup (quickcart-YYYYMMDDTHHMMSSZ.tar.age; lihat `quickcart backup list`)");
    }
    let dir = &config.backup_dir;
    std::fs::create_dir_all(dir).with_context(|| format!("BACKUP_DIR {} tidak dapat dibuat", dir.display()))?;
    let tmp = tempfile::Builder::new()
        .prefix(".quickcart-download-")
        .tempdir_in(dir)
        .with_context(|| format!("BACKUP_DIR {} tidak dapat ditulisi", dir.display()))?;
    let path = tmp.path().join(name);
    let checked = remote.download(name, &path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
    }
    let report = format!("diunduh dari {}: {name} (diperiksa: {checked})", remote.shown());
    Ok(Fetched { _dir: tmp, path, report })
}
