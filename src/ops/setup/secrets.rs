//! The keys `setup` makes: `DATABASE_KEY` (never a new one for existing data) and the age pair
//! for backups (the recipient stays on the VM, the identity must leave it).

use std::path::Path;

use anyhow::{bail, Context};

use crate::ops::{doctor, keys};
use crate::store;

use super::envfile::{self, real, Values};
use super::prompt::Prompt;
use super::Options;

/// The key of the existing file, or a new one. A new key for existing database files would lock
/// the owner out of their data: refused.
pub fn database_key(existing: &Values, data_dir: &Path) -> anyhow::Result<String> {
    if let Some(k) = real(existing, "DATABASE_KEY") {
        return Ok(k.to_string());
    }
    for file in [store::SHOP_FILE, store::AUDIT_FILE] {
        if data_dir.join(file).exists() {
            bail!(
                "{} sudah berisi {file}, tetapi berkas konfigurasi tidak punya DATABASE_KEY-nya: tulis kunci lama itu \
                 sebagai DATABASE_KEY=… di berkas konfigurasi, lalu jalankan setup lagi (kunci baru tidak akan \
                 membuka data itu)",
                data_dir.display()
            );
        }
    }
    Ok(keys::new_database_key())
}

/// The age recipient on the VM (backups are encrypted to it) and the identity that opens them,
/// written once for the owner to take away.
pub fn backup_keys(p: &Prompt, opts: &Options) -> anyhow::Result<()> {
    if let Ok(n) = doctor::files::read_recipients(&opts.recipients_file) {
        p.say(format!("Backup: {} sudah berisi {n} kunci publik age; tetap dipakai.", opts.recipients_file.display()));
        return Ok(());
    }
    if opts.recipients_file.exists() {
        bail!(
            "{} ada tetapi tidak berisi kunci publik age yang benar: periksa dengan `quickcart doctor`, perbaiki atau \
             pindahkan, lalu jalankan setup lagi",
            opts.recipients_file.display()
        );
    }
    let (identity, recipient) = keys::new_age_identity();
    if let Some(dir) = opts.identity_file.parent().filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut std::fs::DirBuilder::new(), 0o700)
            .recursive(true)
            .create(dir)
            .with_context(|| format!("{} tidak dapat dibuat", dir.display()))?;
    }
    keys::write_new_secret(&opts.identity_file, identity.as_bytes()).with_context(|| {
        format!("identitas backup tidak dapat ditulis ke {} (--identity-file)", opts.identity_file.display())
    })?;
    envfile::write_atomic(
        &opts.recipients_file,
        &format!("# QuickCart backups are encrypted to:\n{recipient}\n"),
        0o644,
    )?;
    let id = opts.identity_file.display();
    let lines = [
        "PENTING: KUNCI PEMBUKA BACKUP".to_string(),
        String::new(),
        format!("Ditulis ke {id} (hanya root yang bisa membaca)."),
        "Tanpa berkas ini backup TIDAK BISA dibuka. Jangan biarkan di VM ini:".to_string(),
        "siapa pun yang menguasai VM akan memegang backup dan kuncinya sekaligus.".to_string(),
        String::new(),
        "1) Salin ke laptop / pengelola kata sandi Anda, mis.:".to_string(),
        format!("   scp root@VM:{id} ."),
        "2) Pastikan salinannya bisa dibuka, lalu hapus dari VM:".to_string(),
        format!("   shred -u {id}"),
        "3) Simpan juga DATABASE_KEY (di berkas konfigurasi) di pengelola kata sandi:".to_string(),
        "   database di dalam backup terkunci dengan kunci itu.".to_string(),
    ];
    let width = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let bar = "═".repeat(width + 2);
    p.say(format!("\n╔{bar}╗"));
    for l in &lines {
        p.say(format!("║ {l}{} ║", " ".repeat(width - l.chars().count())));
    }
    p.say(format!("╚{bar}╝"));
    p.say(format!("Kunci publik backup ditulis ke {}.", opts.recipients_file.display()));
    Ok(())
}
