//! `quickcart backup create | verify | restore | prune` (SPEC §9).
//!
//! A backup is one file, `quickcart-YYYYMMDDTHHMMSSZ.tar.age`: a tar archive holding
//! `manifest.json`, `shop.db` and `audit.db`, encrypted with age to every recipient in
//! `BACKUP_RECIPIENTS_FILE`. The standard `age` CLI decrypts it; `tar` lists it. The database
//! files inside stay SQLCipher-encrypted with `DATABASE_KEY` (`VACUUM INTO` on a keyed connection
//! writes a keyed copy), so restoring needs both the age identity and the database key.
//!
//! Snapshots are taken with `VACUUM INTO`, one read transaction per file, while `serve` keeps
//! running. `shop.db` is copied before `audit.db`: the audit entry of every shop change in the
//! copy is in the copy too (the shop writes its audit entries as it goes).

use std::{
    collections::BTreeMap,
    fs::File,
    io::{BufReader, BufWriter, IsTerminal, Read, Write},
    path::{Path, PathBuf},
    time::Instant,
};

use anyhow::{anyhow, bail, Context};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{
    config::{Config, DbKey},
    domain::audit::{ActorType, AuditAction},
    ops::lock,
    store::{self, audit, check, migrate, StoreError},
};

pub const FORMAT: &str = "quickcart-backup/1";
pub const MANIFEST: &str = "manifest.json";
const FILES: [&str; 2] = [store::SHOP_FILE, store::AUDIT_FILE];
const PREFIX: &str = "quickcart-";
const SUFFIX: &str = ".tar.age";
const NAME_TIME: &str = "%Y%m%dT%H%M%SZ";
/// Leftovers of a crashed run (`.quickcart-*`) older than this are removed by `prune`.
const STALE_TEMP_SECS: u64 = 24 * 3600;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub name: String,
    pub size: u64,
    pub sha256: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditHead {
    pub rows: i64,
    pub head: String,
}

/// `manifest.json`: what a restore must find again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub binary_version: String,
    /// `PRAGMA user_version` per file.
    pub schema_version: BTreeMap<String, i64>,
    pub files: Vec<FileEntry>,
    /// Rows per table, per file.
    pub counts: BTreeMap<String, BTreeMap<String, i64>>,
    pub audit: AuditHead,
}

// ------------------------------------------------------------------ create

/// What `backup create` made.
#[derive(Debug)]
pub struct Created {
    pub path: PathBuf,
    pub size: u64,
    pub manifest: Manifest,
    pub seconds: f64,
}

impl Created {
    pub fn report(&self) -> String {
        format!(
            "backup dibuat: {}\nukuran: {} ({} byte)\nwaktu: {} ({:.1} detik)\n{}",
            self.path.display(),
            human(self.size),
            self.size,
            self.manifest.created_at,
            self.seconds,
            summary(&self.manifest)
        )
    }
}

/// `backup create`: snapshot, check, pack, encrypt, write atomically, audit.
pub fn create(config: &Config) -> anyhow::Result<Created> {
    let started = Instant::now();
    let key = config.require_key()?;
    let recipients_file = config.backup_recipients_file.as_deref().ok_or_else(|| {
        anyhow!("BACKUP_RECIPIENTS_FILE belum diisi (berkas berisi kunci publik age1…; buat dengan `quickcart keygen`)")
    })?;
    let recipients = read_recipients(recipients_file)?;
    for file in FILES {
        let path = config.data_dir.join(file);
        if !path.is_file() {
            bail!("{} tidak ada (jalankan `quickcart db migrate` atau `serve` dulu)", path.display());
        }
    }
    let dir = &config.backup_dir;
    std::fs::create_dir_all(dir).with_context(|| format!("BACKUP_DIR {} tidak dapat dibuat", dir.display()))?;
    restrict(dir, 0o700);

    let now = Utc::now();
    let staging = tempfile::Builder::new()
        .prefix(".quickcart-staging-")
        .tempdir_in(dir)
        .with_context(|| format!("BACKUP_DIR {} tidak dapat ditulisi", dir.display()))?;
    let mut manifest = Manifest {
        format: FORMAT.into(),
        created_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        binary_version: env!("CARGO_PKG_VERSION").into(),
        schema_version: BTreeMap::new(),
        files: Vec::new(),
        counts: BTreeMap::new(),
        audit: AuditHead { rows: 0, head: audit::GENESIS.into() },
    };
    for file in FILES {
        let copy = staging.path().join(file);
        snapshot(&config.data_dir.join(file), &copy, key).with_context(|| format!("salinan {file} gagal"))?;
        let conn = store::pool::open_copy(&copy, key)
            .with_context(|| format!("salinan {file} tidak terbuka dengan DATABASE_KEY"))?;
        let problems = check::check(&conn)?;
        if !problems.is_empty() {
            bail!("salinan {file} tidak lolos pemeriksaan: {}", problems.join("; "));
        }
        manifest.schema_version.insert(file.into(), migrate::version(&conn)?);
        manifest.counts.insert(file.into(), store::stats::table_counts(&conn)?);
        if file == store::AUDIT_FILE {
            manifest.audit = intact_chain(&conn)?;
        }
        drop(conn);
        if is_plaintext_sqlite(&copy)? {
            bail!("salinan {file} tidak terenkripsi; backup dibatalkan");
        }
        let (size, sha256) = hash_file(&copy)?;
        manifest.files.push(FileEntry { name: file.into(), size, sha256 });
    }

    let manifest_json = serde_json::to_vec_pretty(&manifest)?;
    let total: u64 = manifest.files.iter().map(|f| f.size).sum::<u64>() + manifest_json.len() as u64;
    let bar = progress(total, "backup");
    let tmp = tempfile::Builder::new()
        .prefix(".quickcart-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("BACKUP_DIR {} tidak dapat ditulisi", dir.display()))?;
    {
        let encryptor = age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
            .map_err(|e| anyhow!("enkripsi age: {e}"))?;
        let out = encryptor.wrap_output(BufWriter::new(tmp.as_file()))?;
        let mut tar = tar::Builder::new(out);
        let mtime = u64::try_from(now.timestamp()).unwrap_or(0);
        append(&mut tar, MANIFEST, manifest_json.len() as u64, mtime, bar.wrap_read(manifest_json.as_slice()))?;
        for entry in &manifest.files {
            let f = File::open(staging.path().join(&entry.name))?;
            append(&mut tar, &entry.name, entry.size, mtime, bar.wrap_read(f))?;
        }
        let out = tar.into_inner()?;
        // Without finish() the last age chunk is never written and the file does not decrypt.
        let mut buffered = out.finish()?;
        buffered.flush()?;
    }
    bar.finish_and_clear();
    tmp.as_file().sync_all()?;
    restrict(tmp.path(), 0o600);
    let path = free_name(dir, &now);
    tmp.persist_noclobber(&path).map_err(|e| anyhow!("{} tidak dapat ditulis: {}", path.display(), e.error))?;
    sync_dir(dir);
    drop(staging);
    let size = std::fs::metadata(&path)?.len();
    let (_, archive_sha) = hash_file(&path)?;

    let mut conn = store::open_one(&config.data_dir.join(store::AUDIT_FILE), key)?;
    audit::append(
        &mut conn,
        &audit::Entry {
            entity_type: "backup".into(),
            entity_id: file_name(&path),
            metadata: serde_json::json!({
                "size": size,
                "sha256": archive_sha,
                "audit_rows": manifest.audit.rows,
                "audit_head": manifest.audit.head,
                "recipients": recipients.len(),
            }),
            ..audit::Entry::new(None, ActorType::System, AuditAction::BackupCreated)
        },
    )?;
    tracing::info!(event = "backup_created", file = %path.display(), size, "backup created");
    Ok(Created { path, size, manifest, seconds: started.elapsed().as_secs_f64() })
}

fn append<W: Write>(
    tar: &mut tar::Builder<W>,
    name: &str,
    size: u64,
    mtime: u64,
    data: impl Read,
) -> anyhow::Result<()> {
    let mut header = tar::Header::new_ustar();
    header.set_path(name)?;
    header.set_size(size);
    header.set_mode(0o600);
    header.set_mtime(mtime);
    header.set_entry_type(tar::EntryType::Regular);
    header.set_cksum();
    tar.append(&header, data)?;
    Ok(())
}

/// `VACUUM INTO` on a keyed connection: one consistent read of the live file, written as a keyed
/// (still encrypted) compact copy.
fn snapshot(src: &Path, dest: &Path, key: &DbKey) -> anyhow::Result<()> {
    let conn = store::open_one(src, key)?;
    let dest = dest.to_str().ok_or_else(|| anyhow!("BACKUP_DIR harus berupa path UTF-8"))?;
    conn.execute("VACUUM INTO ?1", [dest])?;
    Ok(())
}

fn is_plaintext_sqlite(path: &Path) -> anyhow::Result<bool> {
    let mut head = [0u8; 16];
    let n = File::open(path)?.read(&mut head)?;
    Ok(n == 16 && &head == b"SQLite format 3\0")
}

fn intact_chain(conn: &Connection) -> anyhow::Result<AuditHead> {
    match audit::verify(conn)? {
        audit::Verification::Intact { rows, head } => Ok(AuditHead { rows, head }),
        audit::Verification::Broken { id, reason } => bail!("rantai hash audit.db rusak di baris {id}: {reason}"),
    }
}

fn read_recipients(path: &Path) -> anyhow::Result<Vec<age::x25519::Recipient>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("BACKUP_RECIPIENTS_FILE {} tidak dapat dibaca", path.display()))?;
    parse_recipients(&text).map_err(|e| anyhow!("BACKUP_RECIPIENTS_FILE {}: {e}", path.display()))
}

/// The age recipients of a recipients file: one public key (`age1…`) a line, `#` comments. A
/// secret identity in it is refused: it must never sit on the server.
pub fn parse_recipients(text: &str) -> Result<Vec<age::x25519::Recipient>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.to_ascii_uppercase().starts_with("AGE-SECRET-KEY-") {
            return Err(format!(
                "baris {} adalah identitas RAHASIA: hapus dari server (simpan di luar VM), cukup kunci publik age1…",
                i + 1
            ));
        }
        let r = line
            .parse::<age::x25519::Recipient>()
            .map_err(|_| format!("baris {} bukan kunci publik age (age1…)", i + 1))?;
        out.push(r);
    }
    if out.is_empty() {
        return Err("tidak berisi kunci publik age (age1…)".into());
    }
    Ok(out)
}

fn free_name(dir: &Path, at: &DateTime<Utc>) -> PathBuf {
    let stamp = at.format(NAME_TIME).to_string();
    let mut path = dir.join(format!("{PREFIX}{stamp}{SUFFIX}"));
    let mut n = 1;
    while path.exists() {
        path = dir.join(format!("{PREFIX}{stamp}-{n}{SUFFIX}"));
        n += 1;
    }
    path
}

// ------------------------------------------------------------------ verify

/// A backup decrypted, unpacked and checked into a private temporary directory.
pub struct Verified {
    pub manifest: Manifest,
    dir: tempfile::TempDir,
}

impl Verified {
    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.path().join(file)
    }

    pub fn report(&self, file: &Path) -> String {
        format!(
            "backup OK: {}\ndibuat: {} (quickcart {})\n{}",
            file.display(),
            self.manifest.created_at,
            self.manifest.binary_version,
            summary(&self.manifest)
        )
    }
}

/// `backup verify FILE -i IDENTITY`: decrypt into a temporary directory under `work_dir`, check
/// the manifest hashes, integrity, cipher integrity, counts and the audit chain.
pub fn verify(file: &Path, identity: &Path, key: &DbKey, work_dir: &Path) -> anyhow::Result<Verified> {
    let identities = read_identities(identity)?;
    std::fs::create_dir_all(work_dir)?;
    let dir = tempfile::Builder::new()
        .prefix(".quickcart-verify-")
        .tempdir_in(work_dir)
        .with_context(|| format!("{} tidak dapat ditulisi", work_dir.display()))?;
    let input = File::open(file).with_context(|| format!("{} tidak dapat dibuka", file.display()))?;
    let total = input.metadata()?.len();
    let bar = progress(total, "verifikasi");
    let decryptor = age::Decryptor::new_buffered(BufReader::new(bar.wrap_read(input)))
        .map_err(|e| anyhow!("{} bukan backup age yang utuh: {e}", file.display()))?;
    let mut plain =
        decryptor.decrypt(identities.iter().map(|i| i.as_ref() as &dyn age::Identity)).map_err(|e| match e {
            age::DecryptError::NoMatchingKeys => {
                anyhow!("identitas {} tidak cocok dengan backup ini (kunci age salah)", identity.display())
            }
            e => anyhow!("{} tidak dapat didekripsi: {e}", file.display()),
        })?;
    // age hands out plaintext before it has seen the end of the file: write it under a partial
    // name and only call it the archive once the whole stream authenticated.
    let partial = dir.path().join("backup.tar.part");
    let archive = dir.path().join("backup.tar");
    {
        let mut out = File::create(&partial)?;
        std::io::copy(&mut plain, &mut out)
            .map_err(|e| anyhow!("backup {} rusak atau terpotong: {e}", file.display()))?;
        out.sync_all()?;
    }
    bar.finish_and_clear();
    std::fs::rename(&partial, &archive)?;
    unpack(&archive, dir.path())?;
    std::fs::remove_file(&archive)?;

    let manifest: Manifest = serde_json::from_slice(&std::fs::read(dir.path().join(MANIFEST))?)
        .map_err(|e| anyhow!("manifest.json tidak valid: {e}"))?;
    if manifest.format != FORMAT {
        bail!("format backup {:?} tidak dikenal (program ini membaca {FORMAT})", manifest.format);
    }
    let mut names: Vec<&str> = manifest.files.iter().map(|f| f.name.as_str()).collect();
    names.sort_unstable();
    if names != [store::AUDIT_FILE, store::SHOP_FILE] {
        bail!("manifest.json harus mendaftar tepat shop.db dan audit.db");
    }
    for entry in &manifest.files {
        let path = dir.path().join(&entry.name);
        let (size, sha) = hash_file(&path).with_context(|| format!("{} tidak ada di dalam backup", entry.name))?;
        if size != entry.size || sha != entry.sha256 {
            bail!("{}: sha256 tidak sama dengan manifest (backup rusak)", entry.name);
        }
    }
    for name in FILES {
        let conn = store::pool::open_copy(&dir.path().join(name), key).map_err(|e| match e {
            StoreError::WrongKey => anyhow!(
                "DATABASE_KEY ini tidak membuka {name} di dalam backup (backup dibuat dengan kunci lain, mis. sebelum `db rekey`?)"
            ),
            e => anyhow!("{name}: {e}"),
        })?;
        let problems = check::check(&conn)?;
        if !problems.is_empty() {
            bail!("{name} di dalam backup tidak lolos pemeriksaan: {}", problems.join("; "));
        }
        let version = migrate::version(&conn)?;
        if manifest.schema_version.get(name) != Some(&version) {
            bail!("{name}: versi schema {version} tidak sama dengan manifest");
        }
        if manifest.counts.get(name) != Some(&store::stats::table_counts(&conn)?) {
            bail!("{name}: jumlah baris tidak sama dengan manifest");
        }
        if name == store::AUDIT_FILE {
            let chain = intact_chain(&conn)?;
            if chain != manifest.audit {
                bail!(
                    "rantai audit di backup ({} baris, {}) tidak sama dengan manifest ({} baris, {})",
                    chain.rows,
                    chain.head,
                    manifest.audit.rows,
                    manifest.audit.head
                );
            }
        }
    }
    Ok(Verified { manifest, dir })
}

/// Only the three expected regular files, each once, written by us (no paths, no links).
fn unpack(archive: &Path, dir: &Path) -> anyhow::Result<()> {
    let mut tar = tar::Archive::new(BufReader::new(File::open(archive)?));
    let mut seen: Vec<String> = Vec::new();
    for entry in tar.entries()? {
        let mut entry = entry.map_err(|e| anyhow!("isi tar rusak: {e}"))?;
        let name = entry.path()?.to_string_lossy().into_owned();
        let allowed = name == MANIFEST || FILES.contains(&name.as_str());
        if !allowed || entry.header().entry_type() != tar::EntryType::Regular || seen.contains(&name) {
            bail!("backup berisi entri tak terduga: {name:?}");
        }
        let mut out = File::create(dir.join(&name))?;
        std::io::copy(&mut entry, &mut out)?;
        out.sync_all()?;
        seen.push(name);
    }
    if !seen.iter().any(|n| n == MANIFEST) {
        bail!("backup tidak berisi manifest.json");
    }
    Ok(())
}

fn read_identities(path: &Path) -> anyhow::Result<Vec<Box<dyn age::Identity>>> {
    let text = std::fs::read(path).with_context(|| format!("IDENTITY {} tidak dapat dibaca", path.display()))?;
    let ids = age::IdentityFile::from_buffer(text.as_slice())
        .and_then(|f| f.into_identities().map_err(|e| std::io::Error::other(e.to_string())))
        .map_err(|e| anyhow!("IDENTITY {} tidak valid: {e}", path.display()))?;
    if ids.is_empty() {
        bail!("IDENTITY {} tidak berisi kunci rahasia age (AGE-SECRET-KEY-1…)", path.display());
    }
    Ok(ids)
}

// ------------------------------------------------------------------ restore

/// `backup restore FILE -i IDENTITY`: verifies first (nothing is touched if that fails), moves
/// the current files to `DATA_DIR/pre-restore-<time>/`, puts the backup's files in place and
/// records `backup_restored` in the restored audit log.
pub fn restore(config: &Config, file: &Path, identity: &Path) -> anyhow::Result<String> {
    let key = config.require_key()?;
    let data_dir = &config.data_dir;
    let _lock = lock::acquire(data_dir, "restore")?;
    let verified = verify(file, identity, key, data_dir)?;

    let stamp = Utc::now().format(NAME_TIME).to_string();
    let mut aside = data_dir.join(format!("pre-restore-{stamp}"));
    let mut n = 1;
    while aside.exists() {
        aside = data_dir.join(format!("pre-restore-{stamp}-{n}"));
        n += 1;
    }
    let mut moved: Vec<String> = Vec::new();
    for base in FILES {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let name = format!("{base}{suffix}");
            let from = data_dir.join(&name);
            if from.exists() {
                if moved.is_empty() {
                    std::fs::create_dir(&aside)?;
                    restrict(&aside, 0o700);
                }
                std::fs::rename(&from, aside.join(&name))
                    .with_context(|| format!("{} tidak dapat dipindahkan", from.display()))?;
                moved.push(name);
            }
        }
    }
    let mut placed: Vec<&str> = Vec::new();
    for name in FILES {
        if let Err(e) = std::fs::rename(verified.path(name), data_dir.join(name)) {
            // Put everything back the way it was.
            for p in &placed {
                let _ = std::fs::remove_file(data_dir.join(p));
            }
            for m in &moved {
                let _ = std::fs::rename(aside.join(m), data_dir.join(m));
            }
            bail!("{name} tidak dapat dipasang ({e}); berkas lama dikembalikan");
        }
        restrict(&data_dir.join(name), 0o600);
        placed.push(name);
    }
    sync_dir(data_dir);

    // An older backup gets the current schema now; a newer one is refused by the migration.
    let mut shop = store::open_one(&data_dir.join(store::SHOP_FILE), key)?;
    migrate::migrate_shop(&mut shop)?;
    let mut audit_conn = store::open_one(&data_dir.join(store::AUDIT_FILE), key)?;
    migrate::migrate_audit(&mut audit_conn)?;
    audit::append(
        &mut audit_conn,
        &audit::Entry {
            entity_type: "backup".into(),
            entity_id: file_name(file),
            metadata: serde_json::json!({
                "created_at": verified.manifest.created_at,
                "audit_rows": verified.manifest.audit.rows,
                "audit_head": verified.manifest.audit.head,
                "previous_files": if moved.is_empty() { serde_json::Value::Null } else { file_name(&aside).into() },
            }),
            ..audit::Entry::new(None, ActorType::System, AuditAction::BackupRestored)
        },
    )?;
    tracing::info!(event = "backup_restored", file = %file.display(), "backup restored");
    let mut report =
        format!("backup dipulihkan ke {}: {}\n{}", data_dir.display(), file.display(), summary(&verified.manifest));
    if moved.is_empty() {
        report.push_str("\nDATA_DIR sebelumnya kosong; tidak ada berkas lama yang disimpan");
    } else {
        report.push_str(&format!("\nberkas lama disimpan di {}", aside.display()));
    }
    report.push_str("\njalankan `quickcart db check` lalu nyalakan lagi: systemctl start quickcart");
    Ok(report)
}

// ------------------------------------------------------------------ prune

#[derive(Clone, Copy, Debug)]
pub struct PrunePolicy {
    /// The newest N backups are always kept (96 = one day of quarter-hourly backups).
    pub keep_last: usize,
    /// Also the newest backup of each of the N most recent days that have one.
    pub keep_daily: usize,
}

impl Default for PrunePolicy {
    fn default() -> Self {
        Self { keep_last: 96, keep_daily: 30 }
    }
}

/// The time in a backup file name, if it is one of ours.
pub fn parse_name(name: &str) -> Option<NaiveDateTime> {
    let middle = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    let (stamp, rest) = (middle.get(..16)?, middle.get(16..)?);
    if !(rest.is_empty()
        || rest.strip_prefix('-').is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())))
    {
        return None;
    }
    NaiveDateTime::parse_from_str(stamp, NAME_TIME).ok()
}

/// Which names to keep and which to delete, newest first.
pub fn plan(names: &[String], policy: PrunePolicy) -> (Vec<String>, Vec<String>) {
    let mut dated: Vec<(NaiveDateTime, &String)> = names.iter().filter_map(|n| parse_name(n).map(|t| (t, n))).collect();
    dated.sort_by(|a, b| b.cmp(a));
    let (mut keep, mut delete) = (Vec::new(), Vec::new());
    let mut days: Vec<NaiveDate> = Vec::new();
    for (i, (time, name)) in dated.into_iter().enumerate() {
        let day = time.date();
        let newest_of_day = !days.contains(&day);
        if newest_of_day {
            days.push(day);
        }
        if i < policy.keep_last || (newest_of_day && days.len() <= policy.keep_daily) {
            keep.push(name.clone());
        } else {
            delete.push(name.clone());
        }
    }
    (keep, delete)
}

/// `backup prune`: applies [`plan`] to `BACKUP_DIR`; other files are left alone.
pub fn prune(config: &Config, policy: PrunePolicy, dry_run: bool) -> anyhow::Result<String> {
    let dir = &config.backup_dir;
    if !dir.exists() {
        return Ok(format!("{} belum ada; tidak ada yang dihapus", dir.display()));
    }
    let mut names = Vec::new();
    let mut stale = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(".quickcart-") {
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age.as_secs() > STALE_TEMP_SECS);
            if old {
                stale.push(entry.path());
            }
        } else if entry.file_type()?.is_file() && parse_name(&name).is_some() {
            names.push(name);
        }
    }
    let (keep, delete) = plan(&names, policy);
    let verb = if dry_run { "akan dihapus" } else { "dihapus" };
    let mut lines = Vec::new();
    for name in &delete {
        if !dry_run {
            std::fs::remove_file(dir.join(name)).with_context(|| format!("{name} tidak dapat dihapus"))?;
        }
        lines.push(format!("{verb}: {name}"));
    }
    for path in &stale {
        if !dry_run {
            let _ = if path.is_dir() { std::fs::remove_dir_all(path) } else { std::fs::remove_file(path) };
        }
        lines.push(format!("{verb} (sisa proses yang terhenti): {}", file_name(path)));
    }
    if !dry_run && (!delete.is_empty() || !stale.is_empty()) {
        sync_dir(dir);
    }
    lines.push(format!(
        "disimpan {} backup (terbaru {} + satu per hari untuk {} hari), {verb} {}",
        keep.len(),
        policy.keep_last,
        policy.keep_daily,
        delete.len()
    ));
    Ok(lines.join("\n"))
}

// ------------------------------------------------------------------ helpers

fn summary(m: &Manifest) -> String {
    let mut lines = Vec::new();
    for f in &m.files {
        let counts = m
            .counts
            .get(&f.name)
            .map(|c| c.iter().map(|(t, n)| format!("{t}={n}")).collect::<Vec<_>>().join(" "))
            .unwrap_or_default();
        let version = m.schema_version.get(&f.name).copied().unwrap_or(0);
        lines.push(format!("{} (schema v{version}, sha256 {}): {counts}", f.name, f.sha256));
    }
    lines.push(format!("rantai audit utuh: {} baris, hash terakhir {}", m.audit.rows, m.audit.head));
    lines.join("\n")
}

fn hash_file(path: &Path) -> anyhow::Result<(u64, String)> {
    let mut f = File::open(path)?;
    let mut h = Sha256::new();
    let size = std::io::copy(&mut f, &mut h)?;
    Ok((size, hex::encode(h.finalize())))
}

fn progress(total: u64, what: &str) -> ProgressBar {
    let target =
        if std::io::stderr().is_terminal() { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
    let bar = ProgressBar::with_draw_target(Some(total), target);
    if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} {elapsed}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    bar
}

pub(crate) fn human(bytes: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", units.get(unit).copied().unwrap_or("B"))
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
}

#[cfg(not(unix))]
fn restrict(_: &Path, _: u32) {}

/// Makes renames in `dir` durable.
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_foreign_files_do_not() {
        assert!(parse_name("quickcart-20250310T001500Z.tar.age").is_some());
        assert!(parse_name("quickcart-20250310T001500Z-2.tar.age").is_some());
        for bad in [
            "quickcart-20250310T001500Z.tar",
            "quickcart-20250310T001500Z-.tar.age",
            "quickcart-20250310T001500Zx.tar.age",
            "quickcart-2025031XT001500Z.tar.age",
            "other-20250310T001500Z.tar.age",
            "notes.txt",
        ] {
            assert!(parse_name(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn plan_keeps_the_newest_and_one_per_day() {
        let base = NaiveDate::from_ymd_opt(2025, 3, 1).unwrap().and_hms_opt(0, 0, 0).unwrap();
        let names: Vec<String> = (0..10)
            .map(|d| base + chrono::Duration::days(d))
            .flat_map(|day| (0..4).map(move |q| day + chrono::Duration::minutes(15 * q)))
            .map(|t| format!("quickcart-{}.tar.age", t.format(NAME_TIME)))
            .collect();
        let (keep, delete) = plan(&names, PrunePolicy { keep_last: 5, keep_daily: 3 });
        assert_eq!(keep.len() + delete.len(), 40);
        // 5 newest: day 10 (4) + day 9's last; dailies: days 10, 9 (already) and 8's last.
        assert_eq!(
            keep,
            vec![
                "quickcart-20250310T004500Z.tar.age",
                "quickcart-20250310T003000Z.tar.age",
                "quickcart-20250310T001500Z.tar.age",
                "quickcart-20250310T000000Z.tar.age",
                "quickcart-20250309T004500Z.tar.age",
                "quickcart-20250308T004500Z.tar.age",
            ]
        );
    }
}
