//! `db migrate`, `db check`, `admin grant|revoke`: local subcommands on the database files.

use std::path::Path;

use crate::{
    config::Config,
    domain::role::Role,
    store::{self, check, migrate, Db},
};

pub fn db_migrate(config: &Config) -> anyhow::Result<String> {
    let key = config.require_key()?;
    let mut lines = Vec::new();
    std::fs::create_dir_all(&config.data_dir)?;
    for (file, f) in [
        (store::SHOP_FILE, migrate::migrate_shop as fn(&mut rusqlite::Connection) -> _),
        (store::AUDIT_FILE, migrate::migrate_audit),
    ] {
        let mut conn = store::open_one(&config.data_dir.join(file), key)?;
        let (from, to) = f(&mut conn)?;
        lines.push(if from == to {
            format!("{file}: schema versi {to}, sudah terbaru")
        } else {
            format!("{file}: schema versi {from} → {to}")
        });
    }
    Ok(lines.join("\n"))
}

/// Returns (report, healthy).
pub fn db_check(config: &Config) -> anyhow::Result<(String, bool)> {
    let key = config.require_key()?;
    let mut lines = Vec::new();
    let mut healthy = true;
    for file in [store::SHOP_FILE, store::AUDIT_FILE] {
        let path = config.data_dir.join(file);
        if !path.exists() {
            lines.push(format!("{file}: tidak ada (jalankan `quickcart db migrate`)"));
            healthy = false;
            continue;
        }
        let conn = store::open_one(&path, key)?;
        let problems = check::check(&conn)?;
        if problems.is_empty() {
            lines.push(format!("{file}: ok"));
        } else {
            healthy = false;
            lines.extend(problems.into_iter().map(|p| format!("{file}: {p}")));
        }
    }
    Ok((lines.join("\n"), healthy))
}

pub fn admin_set(config: &Config, user_id: i64, grant: bool) -> anyhow::Result<String> {
    if user_id <= 0 {
        anyhow::bail!("ID harus id Telegram (angka positif)");
    }
    let db = Db::open(&config.data_dir, config.require_key()?)?;
    let mut conn = db.shop()?;
    let role = if grant { Role::Admin } else { Role::Customer };
    let before = store::users::set_role(&mut conn, user_id, role)?;
    tracing::info!(event = "role_changed", user = user_id, before = ?before.map(Role::as_str), after = role.as_str(), actor = "cli");
    let mut msg = format!("pengguna {user_id} sekarang {}", role.as_str());
    if !grant && config.is_env_admin(user_id) {
        msg.push_str(" (tetap admin karena tercantum di ADMIN_IDS)");
    }
    Ok(msg)
}

/// True when `dir` can be written (creates it if missing).
pub fn writable(dir: &Path) -> bool {
    std::fs::create_dir_all(dir).is_ok() && tempfile_probe(dir)
}

fn tempfile_probe(dir: &Path) -> bool {
    let probe = dir.join(format!(".quickcart-probe-{}", std::process::id()));
    let ok = std::fs::write(&probe, b"x").is_ok();
    let _ = std::fs::remove_file(&probe);
    ok
}
