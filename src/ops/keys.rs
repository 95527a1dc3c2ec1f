//! `quickcart keygen` and `quickcart db rekey`.

use std::{io::Write, path::Path};

use age::secrecy::ExposeSecret;
use anyhow::{anyhow, bail, Context};
use rand::RngCore;

use crate::{
    config::{Config, DbKey},
    domain::audit::{ActorType, AuditAction},
    ops::lock,
    store,
};

/// The variable `db rekey` reads the new key from when `--new-key-file` is not given.
pub const NEW_KEY_VAR: &str = "QUICKCART_NEW_DATABASE_KEY";

/// A fresh raw SQLCipher key from the operating system's generator: 64 hex characters.
pub fn new_database_key() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A new age identity as the text of an identity file (comment lines + `AGE-SECRET-KEY-1…`), and
/// its recipient (`age1…`, the public half backups are encrypted to).
pub fn new_age_identity() -> (String, String) {
    let identity = age::x25519::Identity::generate();
    let recipient = identity.to_public().to_string();
    let created = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let text = format!("# created: {created}\n# public key: {recipient}\n{}\n", identity.to_string().expose_secret());
    (text, recipient)
}

/// `keygen`: a new `DATABASE_KEY` and an age identity/recipient pair, with where each goes.
/// With `identity_out` the secret identity goes to that new file (0600) instead of the screen;
/// with `recipients_out` the recipient is appended to that file.
pub fn keygen(identity_out: Option<&Path>, recipients_out: Option<&Path>) -> anyhow::Result<String> {
    let db_key = new_database_key();
    let (identity_text, recipient) = new_age_identity();

    let mut out = vec![
        "# 1) DATABASE_KEY: taruh di berkas .env server (mis. /etc/quickcart/quickcart.env, milik root, mode 0600)."
            .to_string(),
        "#    Simpan salinannya juga di luar server (pengelola kata sandi): tanpa kunci ini database dan backup".into(),
        "#    tidak dapat dibuka.".into(),
        format!("DATABASE_KEY={db_key}"),
        String::new(),
        "# 2) Kunci publik age (penerima backup): tulis ke BACKUP_RECIPIENTS_FILE di server".into(),
        "#    (mis. /etc/quickcart/backup-recipients.txt). Boleh dilihat orang lain.".into(),
        recipient.clone(),
        String::new(),
    ];
    if let Some(path) = recipients_out {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("{} tidak dapat ditulis", path.display()))?;
        writeln!(f, "{recipient}")?;
        out.push(format!("#    (sudah ditambahkan ke {})", path.display()));
        out.push(String::new());
    }
    out.push("# 3) Identitas age (kunci RAHASIA untuk membuka backup): JANGAN simpan di server.".into());
    out.push("#    Simpan di luar mesin (laptop pemilik, pengelola kata sandi); dipakai untuk".into());
    out.push("#    `quickcart backup verify|restore FILE -i IDENTITAS` dan `age -d -i IDENTITAS`.".into());
    match identity_out {
        Some(path) => {
            write_new_secret(path, identity_text.as_bytes())?;
            out.push(format!("#    (ditulis ke {}, mode 0600)", path.display()));
        }
        None => out.push(identity_text.trim_end().to_string()),
    }
    Ok(out.join("\n"))
}

/// Writes a new file only its owner can read (0600); refuses to replace an existing one.
pub fn write_new_secret(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).with_context(|| format!("{} tidak dapat dibuat (sudah ada?)", path.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

/// `db rekey`: re-encrypts both files with a new key while `serve` is stopped.
pub fn rekey(config: &Config, new_key_file: Option<&Path>, new_key: Option<String>) -> anyhow::Result<String> {
    let old = config.require_key()?;
    let raw = match new_key_file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("--new-key-file {} tidak dapat dibaca", path.display()))?,
        None => {
            new_key.ok_or_else(|| anyhow!("kunci baru belum diberikan: --new-key-file BERKAS atau {NEW_KEY_VAR}"))?
        }
    };
    let raw = raw.trim();
    let raw = raw.strip_prefix("DATABASE_KEY=").unwrap_or(raw);
    let new =
        DbKey::parse(raw).map_err(|_| anyhow!("kunci baru harus 64 karakter heksadesimal (`quickcart keygen`)"))?;
    if new.hex() == old.hex() {
        bail!("kunci baru sama dengan DATABASE_KEY sekarang");
    }
    let _lock = lock::acquire(&config.data_dir, "rekey")?;
    let paths: Vec<_> = [store::SHOP_FILE, store::AUDIT_FILE].iter().map(|f| config.data_dir.join(f)).collect();
    // Both must open with the old key before either changes.
    for path in &paths {
        if !path.is_file() {
            bail!("{} tidak ada", path.display());
        }
        drop(store::open_one(path, old)?);
    }
    let mut done: Vec<&Path> = Vec::new();
    for path in &paths {
        if let Err(e) = rekey_file(path, old, &new) {
            for p in &done {
                let _ = rekey_file(p, &new, old);
            }
            return Err(e.context(format!("{} gagal diganti kuncinya; tidak ada yang berubah", path.display())));
        }
        done.push(path);
    }
    for path in &paths {
        let conn = store::open_one(path, &new)?;
        let problems = store::check::check(&conn)?;
        if !problems.is_empty() {
            bail!("{} setelah rekey: {}", path.display(), problems.join("; "));
        }
    }
    let mut audit = store::open_one(&config.data_dir.join(store::AUDIT_FILE), &new)?;
    store::audit::append(
        &mut audit,
        &store::audit::Entry {
            entity_type: "database".into(),
            entity_id: "shop.db,audit.db".into(),
            metadata: serde_json::json!({"via": "cli"}),
            ..store::audit::Entry::new(None, ActorType::System, AuditAction::DatabaseRekeyed)
        },
    )?;
    Ok([
        "kunci shop.db dan audit.db sudah diganti.",
        "Sekarang: 1) ganti DATABASE_KEY di .env server (mis. /etc/quickcart/quickcart.env) dengan kunci baru;",
        "          2) nyalakan lagi: systemctl start quickcart;",
        "          3) backup lama tetap terkunci dengan kunci LAMA: simpan kunci lama selama backup lama disimpan,",
        "             atau buat backup baru sekarang (`quickcart backup create`).",
    ]
    .join("\n"))
}

fn rekey_file(path: &Path, from: &DbKey, to: &DbKey) -> anyhow::Result<()> {
    let conn = store::open_one(path, from)?;
    // Fold the WAL into the main file and leave WAL mode so every page is re-encrypted in place;
    // `serve` switches back to WAL when it opens the file.
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    conn.query_row("PRAGMA journal_mode = DELETE", [], |_| Ok(()))?;
    // The hex is validated to be [0-9a-f]{64}, so formatting it into the PRAGMA cannot inject.
    // nosemgrep: ci.sql-built-with-format -- a validated 64-hex key; PRAGMAs take no parameters
    conn.execute_batch(&format!("PRAGMA rekey = \"x'{}'\";", to.hex()))?;
    drop(conn);
    drop(store::open_one(path, to)?);
    Ok(())
}
