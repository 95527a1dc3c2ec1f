//! Files and directories: the environment file's mode, DATA_DIR and LOG_DIR (exist, writable,
//! owned by the user the shop runs as), the key against the database files, and the backup
//! recipients. Read-only unless `fix`.

use std::path::Path;

use crate::{config::Config, store};

use super::Report;

/// The user the shop runs as: `user` if given (`doctor --user`), else whoever runs this, or, for
/// root, the `quickcart` service user the package creates (root checks on the service's behalf).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    pub uid: u32,
    pub gid: u32,
    pub name: String,
}

/// The service user of the Debian package and the systemd units.
pub const SERVICE_USER: &str = "quickcart";

#[cfg(unix)]
pub fn expected_owner(user: Option<&str>) -> Result<Owner, String> {
    use std::os::unix::fs::MetadataExt;
    if let Some(name) = user {
        return match passwd_by_name(name) {
            Some((uid, gid)) => Ok(Owner { uid, gid, name: name.to_string() }),
            None => Err(format!("pengguna {name} (--user) tidak ada di /etc/passwd")),
        };
    }
    // /proc/self belongs to the process's effective user and group.
    let (uid, gid) = std::fs::metadata("/proc/self").map(|m| (m.uid(), m.gid())).unwrap_or((0, 0));
    if uid == 0 {
        if let Some((uid, gid)) = passwd_by_name(SERVICE_USER) {
            return Ok(Owner { uid, gid, name: SERVICE_USER.into() });
        }
    }
    Ok(Owner { uid, gid, name: passwd_name(uid).unwrap_or_else(|| format!("uid {uid}")) })
}

#[cfg(unix)]
fn passwd() -> Vec<(String, u32, u32)> {
    let text = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let mut f = l.split(':');
            let name = f.next()?.to_string();
            let _pw = f.next()?;
            Some((name, f.next()?.parse().ok()?, f.next()?.parse().ok()?))
        })
        .collect()
}

#[cfg(unix)]
fn passwd_by_name(name: &str) -> Option<(u32, u32)> {
    passwd().into_iter().find(|(n, _, _)| n == name).map(|(_, u, g)| (u, g))
}

#[cfg(unix)]
fn passwd_name(uid: u32) -> Option<String> {
    passwd().into_iter().find(|(_, u, _)| *u == uid).map(|(n, _, _)| n)
}

/// The environment file holds every secret: only its owner may read it.
pub fn check_env_file(env_file: Option<&Path>, fix: bool, r: &mut Report) {
    let path = env_file.unwrap_or(Path::new(".env"));
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(_) if env_file.is_none() => return,
        Err(_) => {
            r.fail(format!("{} tidak dapat dibaca", path.display()));
            return;
        }
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 == 0 {
            r.ok(format!("{} hanya dapat dibaca pemiliknya", path.display()));
        } else if fix && std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).is_ok() {
            r.ok(format!("{} dibuat mode 0600 (--fix)", path.display()));
        } else {
            r.fail(format!("{} dapat dibaca pengguna lain: jalankan `chmod 600 {}`", path.display(), path.display()));
        }
    }
    #[cfg(not(unix))]
    let _ = (meta, fix);
}

/// DATA_DIR (0700) and LOG_DIR (0750), as the systemd unit creates them.
pub fn check_dirs(config: &Config, user: Option<&str>, fix: bool, r: &mut Report) {
    #[cfg(unix)]
    {
        let owner = match expected_owner(user) {
            Ok(o) => o,
            Err(e) => {
                r.fail(e);
                return;
            }
        };
        for (name, dir, mode) in [("DATA_DIR", &config.data_dir, 0o700), ("LOG_DIR", &config.log_dir, 0o750)] {
            check_dir(name, dir, mode, &owner, fix, r);
        }
    }
    #[cfg(not(unix))]
    let _ = (config, user, fix, r);
}

#[cfg(unix)]
fn check_dir(name: &str, dir: &Path, mode: u32, owner: &Owner, fix: bool, r: &mut Report) {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let shown = dir.display();
    let meta = match std::fs::metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if fix {
                match create_dir(dir, mode, owner) {
                    Ok(()) => r.ok(format!("{name} {shown} dibuat (--fix), milik {}, mode {mode:o}", owner.name)),
                    Err(e) => r.fail(format!("{name} {shown} tidak dapat dibuat: {e}")),
                }
            } else {
                r.warn(format!(
                    "{name} {shown} belum ada: `quickcart serve` membuatnya saat mulai, atau buat sekarang dengan \
                     `quickcart doctor --fix`"
                ));
            }
            return;
        }
        Err(e) => {
            r.fail(format!("{name} {shown} tidak dapat diperiksa: {e}"));
            return;
        }
    };
    if !meta.is_dir() {
        r.fail(format!("{name} {shown} bukan folder: pindahkan berkas itu atau ganti {name}"));
        return;
    }
    if meta.uid() != owner.uid {
        let who = passwd_name(meta.uid()).unwrap_or_else(|| format!("uid {}", meta.uid()));
        r.fail(format!(
            "{name} {shown} milik {who}, padahal toko berjalan sebagai {}: `chown -R {}: {shown}`",
            owner.name, owner.name
        ));
        return;
    }
    // The owner's write bit, and for ourselves a real probe (a read-only mount says no too).
    let runs_as_me = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == owner.uid);
    let writable = meta.permissions().mode() & 0o200 != 0 && (!runs_as_me || probe(dir));
    if !writable {
        r.fail(format!("{name} {shown} tidak dapat ditulis oleh {}: `chmod u+w {shown}`", owner.name));
        return;
    }
    if name == "DATA_DIR" && meta.permissions().mode() & 0o077 != 0 {
        r.warn(format!("{name} {shown} dapat dibuka pengguna lain: `chmod 700 {shown}`"));
    } else {
        r.ok(format!("{name} {shown} ada, milik {}, dapat ditulis", owner.name));
    }
}

/// A file created and removed at once: the only way to know a directory takes writes.
#[cfg(unix)]
fn probe(dir: &Path) -> bool {
    tempfile::Builder::new().prefix(".quickcart-doctor-").tempfile_in(dir).is_ok()
}

#[cfg(unix)]
fn create_dir(dir: &Path, mode: u32, owner: &Owner) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};
    // Every missing level is made and handed to the shop's user, so it can reach the last one
    // (root creating /var/lib/quickcart/data for the service).
    let missing: Vec<&Path> = dir.ancestors().take_while(|d| !d.as_os_str().is_empty() && !d.exists()).collect();
    for level in missing.iter().rev() {
        std::fs::DirBuilder::new().mode(mode).create(level)?;
        if std::fs::metadata(level)?.uid() != owner.uid {
            std::os::unix::fs::chown(level, Some(owner.uid), Some(owner.gid))?;
        }
    }
    Ok(())
}

/// The key opens the existing database files (if any), and they are sound.
pub fn check_database(config: &Config, r: &mut Report) {
    let Some(key) = &config.database_key else { return };
    for file in [store::SHOP_FILE, store::AUDIT_FILE] {
        let path = config.data_dir.join(file);
        if !path.exists() {
            r.warn(format!("{file} belum ada: dibuat saat `quickcart serve` atau `quickcart db migrate`"));
            continue;
        }
        match store::open_one(&path, key).and_then(|c| Ok((store::migrate::version(&c)?, store::check::check(&c)?))) {
            Ok((_, problems)) if !problems.is_empty() => r.fail(format!("{file}: {}", problems.join("; "))),
            Ok((v, _)) => r.ok(format!("{file} terbuka dengan DATABASE_KEY (schema versi {v})")),
            Err(store::StoreError::WrongKey) => r.fail(format!(
                "{file}: DATABASE_KEY salah untuk berkas ini: pakai kunci yang dulu membuatnya (jangan buat kunci baru)"
            )),
            Err(e) => r.fail(format!("{file}: {e}")),
        }
    }
}

/// Backups need age recipients (public keys); a secret identity must never be on the VM.
pub fn check_recipients(config: &Config, r: &mut Report) {
    let Some(path) = &config.backup_recipients_file else {
        r.warn(
            "BACKUP_RECIPIENTS_FILE belum diisi: backup belum bisa dibuat \
             (`quickcart keygen --recipients-file FILE` atau `quickcart setup`)",
        );
        return;
    };
    match read_recipients(path) {
        Ok(n) => r.ok(format!("BACKUP_RECIPIENTS_FILE {}: {n} kunci publik age", path.display())),
        Err(why) => r.fail(format!("BACKUP_RECIPIENTS_FILE {}: {why}", path.display())),
    }
}

/// How many valid recipients the file has, or what is wrong with it. The same rules as
/// `backup create` (one `age1…` per line, `#` comments).
pub fn read_recipients(path: &Path) -> Result<usize, String> {
    let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "berkas tidak ada: buat dengan `quickcart keygen --recipients-file …`".into(),
        _ => format!("tidak dapat dibaca ({e})"),
    })?;
    crate::ops::backup::parse_recipients(&text).map(|r| r.len())
}
