//! `BACKUP_REMOTE`: the rclone remote (`name:path`) that receives every backup (SPEC §12).
//!
//! rclone runs as a subprocess (Debian's `rclone` package), one call per operation, each with a
//! deadline: a hung network never holds the backup timer. Its configuration comes from where
//! rclone itself looks: `RCLONE_CONFIG` (e.g. `/etc/quickcart/rclone.conf` for the service),
//! else `~/.config/rclone/rclone.conf`. Credentials stay in that file; messages show the remote
//! without any `,key=value` parameters a connection string may carry.
//!
//! Uploads go to a temporary name beside the target and are then renamed (`moveto`): some
//! backends (local, sftp) write in place, and a half-written file must never look like a backup.
//! Every upload is checked afterwards against the remote's own size and hash.

use std::{
    collections::BTreeMap,
    io::Read,
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{anyhow, bail, Context};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// Temporary names on the remote start with this; listings of backups never match them.
pub const UPLOAD_PREFIX: &str = ".quickcart-upload-";
/// A transfer (upload, server-side move, download) may take this long.
const TRANSFER_TIMEOUT: Duration = Duration::from_secs(600);
/// A listing, stat or delete may take this long.
const QUICK_TIMEOUT: Duration = Duration::from_secs(90);
/// rclone's own network limits: connecting, and idle time during a transfer. One retry of the
/// whole operation: the next timer run retries anyway.
const NET_FLAGS: [&str; 7] = ["--contimeout", "20s", "--timeout", "60s", "--retries", "2", "--low-level-retries=3"];

/// One file on the remote (rclone `lsjson`).
#[derive(Clone, Debug, Deserialize)]
pub struct Entry {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Size")]
    pub size: i64,
    #[serde(rename = "ModTime", default)]
    pub mod_time: String,
    #[serde(rename = "IsDir", default)]
    pub is_dir: bool,
    #[serde(rename = "Hashes", default)]
    pub hashes: BTreeMap<String, String>,
}

/// A parsed `BACKUP_REMOTE`.
#[derive(Clone, Debug)]
pub struct Remote {
    /// As given, without a trailing `/` (may hold connection-string parameters: never shown).
    spec: String,
    timeout_scale: u32,
}

impl Remote {
    pub fn new(spec: &str) -> Self {
        let spec = spec.trim();
        let spec = if spec.ends_with(":/") { spec } else { spec.trim_end_matches('/') };
        Self { spec: spec.to_string(), timeout_scale: 1 }
    }

    /// Shorter deadlines (the doctor's reachability check): `1/n` of the usual ones.
    pub fn quick(mut self, n: u32) -> Self {
        self.timeout_scale = n.max(1);
        self
    }

    /// The remote for people: `name:path`, with any `,key=value` parameters of a connection
    /// string (which may be credentials) left out.
    pub fn shown(&self) -> String {
        shown(&self.spec)
    }

    fn path(&self, name: &str) -> String {
        if self.spec.ends_with(':') || self.spec.ends_with('/') {
            format!("{}{name}", self.spec)
        } else {
            format!("{}/{name}", self.spec)
        }
    }

    /// Files directly in the remote directory. A directory that does not exist yet is empty.
    pub fn list(&self) -> anyhow::Result<Vec<Entry>> {
        let out =
            self.run(&["lsjson", "--files-only", "--no-mimetype", &self.spec], QUICK_TIMEOUT, "daftar berkas", true)?;
        let Some(out) = out else { return Ok(Vec::new()) };
        let entries: Vec<Entry> =
            serde_json::from_str(&out).map_err(|e| anyhow!("rclone lsjson: jawaban tidak terbaca: {e}"))?;
        Ok(entries.into_iter().filter(|e| !e.is_dir).collect())
    }

    /// Size and the hashes the backend offers for one file; `None` if it does not exist.
    pub fn stat(&self, name: &str) -> anyhow::Result<Option<Entry>> {
        let target = self.path(name);
        let out = self.run(&["lsjson", "--stat", "--hash", "--no-mimetype", &target], QUICK_TIMEOUT, "stat", true)?;
        match out {
            None => Ok(None),
            Some(out) => Ok(Some(
                serde_json::from_str(&out).map_err(|e| anyhow!("rclone lsjson --stat: jawaban tidak terbaca: {e}"))?,
            )),
        }
    }

    /// Uploads `local` as `name`: to a temporary name, renamed into place, then compared with
    /// the local file. Returns how it was checked (e.g. "sha256", "sha1", "sha256 (dibaca ulang)").
    pub fn upload(&self, local: &Path, name: &str) -> anyhow::Result<String> {
        let local = &local_arg(local)?;
        let local_str = local.to_str().ok_or_else(|| anyhow!("BACKUP_DIR harus berupa path UTF-8"))?;
        // The process id keeps two runs at once (the timer and a manual create) apart.
        let temp = format!("{UPLOAD_PREFIX}{}-{name}.partial", std::process::id());
        let temp_path = self.path(&temp);
        let target = self.path(name);
        self.run(&["copyto", local_str, &temp_path], TRANSFER_TIMEOUT, "unggah", false)?;
        if let Err(e) = self.run(&["moveto", &temp_path, &target], TRANSFER_TIMEOUT, "pindah ke nama akhir", false) {
            let _ = self.delete(&temp);
            return Err(e);
        }
        self.same_content(local, name, true)
    }

    /// Downloads `name` into `dest` (a path in a private directory) and checks it against the
    /// remote's size and hash.
    pub fn download(&self, name: &str, dest: &Path) -> anyhow::Result<String> {
        let dest = &local_arg(dest)?;
        let dest_str = dest.to_str().ok_or_else(|| anyhow!("BACKUP_DIR harus berupa path UTF-8"))?;
        if self.stat(name)?.is_none() {
            bail!("{name} tidak ada di {} (lihat `quickcart backup list`)", self.shown());
        }
        self.run(&["copyto", &self.path(name), dest_str], TRANSFER_TIMEOUT, "unduh", false)?;
        self.same_content(dest, name, false)
    }

    pub fn delete(&self, name: &str) -> anyhow::Result<()> {
        self.run(&["deletefile", &self.path(name)], QUICK_TIMEOUT, "hapus", false)?;
        Ok(())
    }

    /// The remote copy of `name` has the local file's size and hash. The hash is the remote's
    /// own (sha256 compared with ours; any other type rclone computes for the local file too).
    /// A backend with no hash at all (plain WebDAV, some SFTP servers) is read back once when
    /// `download_if_no_hash` (after an upload) and hashed here.
    fn same_content(&self, local: &Path, name: &str, download_if_no_hash: bool) -> anyhow::Result<String> {
        let remote =
            self.stat(name)?.ok_or_else(|| anyhow!("{name} tidak ditemukan di {} setelah dipindah", self.shown()))?;
        let size = std::fs::metadata(local)?.len();
        if u64::try_from(remote.size).ok() != Some(size) {
            bail!("{name} di {}: ukuran {} byte, di sini {size} byte", self.shown(), remote.size);
        }
        let hashes: BTreeMap<&str, &str> =
            remote.hashes.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| (k.as_str(), v.as_str())).collect();
        if let Some(theirs) = hashes.get("sha256") {
            let ours = sha256_file(local)?;
            if !theirs.eq_ignore_ascii_case(&ours) {
                bail!("{name} di {}: sha256 berbeda dari berkas di sini", self.shown());
            }
            return Ok("sha256".into());
        }
        // The strongest hash the remote offers; rclone computes the same for the local file.
        let preferred = ["sha1", "md5", "whirlpool", "quickxor", "dropbox", "hidrive", "mailru", "crc32"];
        let pick = preferred.iter().find_map(|k| hashes.get_key_value(k)).or_else(|| hashes.iter().next());
        if let Some((kind, theirs)) = pick {
            let local_str = local.to_str().ok_or_else(|| anyhow!("path harus UTF-8"))?;
            let out = run_rclone(
                &["lsjson", "--stat", "--hash", "--hash-type", kind, "--no-mimetype", local_str],
                QUICK_TIMEOUT,
                &self.spec,
                "hash lokal",
                false,
            )?
            .unwrap_or_default();
            let mine: Entry =
                serde_json::from_str(&out).map_err(|e| anyhow!("rclone lsjson (lokal): jawaban tidak terbaca: {e}"))?;
            match mine.hashes.get(*kind) {
                Some(ours) if ours.eq_ignore_ascii_case(theirs) => return Ok((*kind).to_string()),
                Some(_) => bail!("{name} di {}: {kind} berbeda dari berkas di sini", self.shown()),
                None => {}
            }
        }
        if !download_if_no_hash {
            return Ok("ukuran (remote tidak memberi hash; age memeriksa isinya)".into());
        }
        let out = self
            .run(&["hashsum", "sha256", "--download", &self.path(name)], TRANSFER_TIMEOUT, "unduh ulang", false)?
            .unwrap_or_default();
        let theirs = out.split_whitespace().next().unwrap_or_default();
        if !theirs.eq_ignore_ascii_case(&sha256_file(local)?) {
            bail!("{name} di {}: isi yang dibaca ulang berbeda dari berkas di sini", self.shown());
        }
        Ok("sha256 (dibaca ulang)".into())
    }

    fn run(
        &self,
        args: &[&str],
        timeout: Duration,
        what: &str,
        missing_is_none: bool,
    ) -> anyhow::Result<Option<String>> {
        run_rclone(args, timeout / self.timeout_scale, &self.spec, what, missing_is_none)
    }
}

/// `BACKUP_REMOTE` reachable and writable: a small probe file goes up the way a backup does
/// (temporary name, rename, size and hash check) and is deleted again. For the doctor:
/// `ops::rclone::check_remote(spec)` (blocking; from async code via `spawn_blocking`) returns a
/// line to show as ok, or the error to show as a failure.
pub fn check_remote(spec: &str) -> anyhow::Result<String> {
    let remote = Remote::new(spec).quick(6);
    let backups = remote.list()?.iter().filter(|e| crate::ops::backup::parse_name(&e.name).is_some()).count();
    let dir = tempfile::Builder::new().prefix("quickcart-doctor-").tempdir()?;
    let probe = dir.path().join("probe");
    std::fs::write(&probe, format!("quickcart doctor {}\n", chrono::Utc::now().to_rfc3339()))?;
    let name = format!(".quickcart-doctor-{}.txt", std::process::id());
    let checked = remote.upload(&probe, &name);
    let deleted = remote.delete(&name);
    checked?;
    deleted.context("berkas uji tidak dapat dihapus")?;
    Ok(format!("BACKUP_REMOTE {}: terjangkau dan dapat ditulisi ({backups} backup di sana)", remote.shown()))
}

/// `name:path` without connection-string parameters (`:s3,access_key_id=…:bucket` →
/// `:s3,…:bucket`, `b2,account=…:x` → `b2,…:x`). Parameter values may be quoted and then hold
/// `:` or `,` (rclone's syntax), so the split honours quotes.
pub fn shown(spec: &str) -> String {
    let (head, path) = split_spec(spec);
    let params = split_outside_quotes(head, ',');
    match params.first() {
        Some(name) if params.len() > 1 => format!("{name},…:{path}"),
        _ => format!("{head}:{path}"),
    }
}

/// `(head, path)` of `head:path`, where `head` is `name` or `:backend`, each with optional
/// `,key=value` parameters. Without a `:` the whole spec is the head.
fn split_spec(spec: &str) -> (&str, &str) {
    let lead = usize::from(spec.starts_with(':'));
    let mut quote: Option<char> = None;
    for (i, c) in spec.char_indices().skip(lead) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, ':') => return (spec.get(..i).unwrap_or_default(), spec.get(i + 1..).unwrap_or_default()),
            (None, _) => {}
        }
    }
    (spec, "")
}

fn split_outside_quotes(text: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut quote, mut from) = (None, 0);
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, c) if c == sep => {
                parts.push(text.get(from..i).unwrap_or_default());
                from = i + c.len_utf8();
            }
            (None, _) => {}
        }
    }
    parts.push(text.get(from..).unwrap_or_default());
    parts
}

/// `text` with the remote spec shown without parameters and every parameter value (rclone may
/// quote them one by one) masked.
fn scrub(text: &str, spec: &str) -> String {
    let mut out = text.replace(spec, &shown(spec));
    let (head, _) = split_spec(spec);
    for param in split_outside_quotes(head, ',').into_iter().skip(1) {
        let value = param.split_once('=').map_or("", |(_, v)| v.trim_matches(|c| c == '"' || c == '\''));
        if value.len() >= 3 {
            out = out.replace(value, "***");
        }
    }
    out
}

/// A local path as rclone must get it: absolute, so a `:` in it never reads as a remote name.
fn local_arg(path: &Path) -> anyhow::Result<std::path::PathBuf> {
    std::path::absolute(path).with_context(|| format!("{} tidak dapat dijadikan path absolut", path.display()))
}

fn sha256_file(path: &Path) -> anyhow::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h)?;
    Ok(hex::encode(h.finalize()))
}

/// Runs `rclone ARGS` with a deadline. `Ok(None)` when `missing_is_none` and rclone says the
/// file or directory does not exist (exit status 3 or 4).
fn run_rclone(
    args: &[&str],
    timeout: Duration,
    spec: &str,
    what: &str,
    missing_is_none: bool,
) -> anyhow::Result<Option<String>> {
    let mut child = Command::new("rclone")
        .args(["-q"])
        .args(NET_FLAGS)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                anyhow!("BACKUP_REMOTE diisi tetapi rclone tidak terpasang (apt install rclone)")
            }
            _ => anyhow!("rclone tidak dapat dijalankan: {e}"),
        })?;
    // Both pipes are drained beside the wait, or a chatty rclone would block on a full pipe.
    let out = child.stdout.take().map(drain);
    let err = child.stderr.take().map(drain);
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if started.elapsed() >= timeout {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = out.and_then(|h| h.join().ok()).unwrap_or_default();
    let stderr = err.and_then(|h| h.join().ok()).unwrap_or_default();
    let shown_spec = shown(spec);
    let Some(status) = status else {
        bail!("rclone {what} ({shown_spec}): tidak selesai dalam {} detik", timeout.as_secs());
    };
    if status.success() {
        return Ok(Some(stdout));
    }
    if missing_is_none && matches!(status.code(), Some(3 | 4)) {
        return Ok(None);
    }
    let mut why = scrub(&trim_stderr(&stderr), spec);
    if why.is_empty() {
        why = format!("keluar dengan status {status}");
    }
    if why.contains("didn't find section in config file") || why.contains("config file") {
        let config = match std::env::var("RCLONE_CONFIG") {
            Ok(path) => format!("RCLONE_CONFIG={path}"),
            Err(_) => "RCLONE_CONFIG belum diisi, jadi ~/.config/rclone/rclone.conf".into(),
        };
        why.push_str(&format!(" (konfigurasi rclone: {config}; buat remote dengan `rclone config`)"));
    }
    bail!("rclone {what} ({shown_spec}) gagal: {why}")
}

fn drain<R: Read + Send + 'static>(mut r: R) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

/// rclone's last few error lines, without its timestamps and `-q` noise, at most 500 chars.
fn trim_stderr(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            // `2026/11/26 07:47:46 ERROR : …`: drop the date and time.
            let mut parts = l.splitn(3, ' ');
            match (parts.next(), parts.next(), parts.next()) {
                (Some(d), Some(t), Some(rest)) if d.contains('/') && t.contains(':') => rest,
                _ => l,
            }
        })
        .collect();
    let start = lines.len().saturating_sub(3);
    let text = lines.get(start..).unwrap_or_default().join("; ");
    if text.chars().count() > 500 {
        let cut: String = text.chars().take(500).collect();
        format!("{cut}…")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_drops_connection_string_parameters() {
        assert_eq!(shown("b2:shop/backups"), "b2:shop/backups");
        assert_eq!(shown(":local:/tmp/x"), ":local:/tmp/x");
        assert_eq!(shown(":s3,access_key_id=AK,secret_access_key=SK:bucket/x"), ":s3,…:bucket/x");
        assert_eq!(shown("b2,account=AK:x"), "b2,…:x");
        assert_eq!(shown("remote:"), "remote:");
        assert_eq!(shown(":webdav,url='http://h:1/',bearer_token=tok:shop"), ":webdav,…:shop");
        assert_eq!(shown("odd"), "odd:");
    }

    #[test]
    fn rclone_messages_lose_parameter_values() {
        let spec = ":s3,access_key_id=AKIDEXAMPLE,secret_access_key='s3cr3tvalue':bucket";
        let err = format!("Failed to create file system for \"{spec}/x\": key s3cr3tvalue refused for AKIDEXAMPLE");
        let clean = scrub(&err, spec);
        assert!(!clean.contains("s3cr3tvalue") && !clean.contains("AKIDEXAMPLE"), "{clean}");
        assert!(clean.contains(":s3,…:bucket/x"), "{clean}");
    }

    #[test]
    fn paths_join_on_the_remote() {
        assert_eq!(Remote::new("r:").path("a"), "r:a");
        assert_eq!(Remote::new("r:dir/").path("a"), "r:dir/a");
        assert_eq!(Remote::new("r:dir").path("a"), "r:dir/a");
        assert_eq!(Remote::new(":local:/").path("a"), ":local:/a");
    }

    #[test]
    fn stderr_is_trimmed_to_the_last_lines_without_timestamps() {
        let err = "2026/11/26 07:47:46 ERROR : a\n2026/11/26 07:47:46 ERROR : b\nc\nd\n";
        assert_eq!(trim_stderr(err), "ERROR : b; c; d");
        assert!(trim_stderr(&"x".repeat(2000)).chars().count() <= 501);
    }
}
