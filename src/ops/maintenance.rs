//! `db migrate`, `db check`, `admin grant|revoke`: local subcommands on the database files.

use std::path::Path;

use crate::{
    config::Config,
    domain::{
        audit::{ActorType, AuditAction},
        role::Role,
    },
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
        let mut problems = check::check(&conn)?;
        if file == store::SHOP_FILE && problems.is_empty() {
            problems.extend(money_invariants(&conn)?);
        }
        if problems.is_empty() {
            lines.push(format!("{file}: ok"));
        } else {
            healthy = false;
            lines.extend(problems.into_iter().map(|p| format!("{file}: {p}")));
        }
    }
    Ok((lines.join("\n"), healthy))
}

/// Money conservation (every credit has its source, balance = ledger, every paid order
/// delivered, parked or refunded) and no stock item sold or reserved outside its order's state.
fn money_invariants(conn: &rusqlite::Connection) -> anyhow::Result<Vec<String>> {
    let mut problems = store::money::violations(conn)?;
    problems.extend(store::stars::problems(conn)?);
    let bad = store::orders::integrity_violations(conn)?;
    if bad > 0 {
        problems.push(format!("{bad} item stok tidak sesuai status pesanannya"));
    }
    Ok(problems)
}

/// `db stats`: counts as JSON (orders, stock, ledger, outbox, invariants).
pub fn db_stats(config: &Config) -> anyhow::Result<String> {
    let key = config.require_key()?;
    let conn = store::open_one(&config.data_dir.join(store::SHOP_FILE), key)?;
    Ok(serde_json::to_string_pretty(&store::stats::snapshot(&conn)?)?)
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
    let mut audit = db.audit()?;
    store::audit::append(
        &mut audit,
        &store::audit::Entry {
            entity_type: "user".into(),
            entity_id: user_id.to_string(),
            before: Some(serde_json::json!({"role": before.map(Role::as_str)})),
            after: Some(serde_json::json!({"role": role.as_str()})),
            metadata: serde_json::json!({"via": "cli"}),
            ..store::audit::Entry::new(None, ActorType::System, AuditAction::RoleChanged)
        },
    )?;
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

/// `audit verify`: (report, intact).
pub fn audit_verify(config: &Config) -> anyhow::Result<(String, bool)> {
    let conn = store::open_one(&config.data_dir.join(store::AUDIT_FILE), config.require_key()?)?;
    Ok(match store::audit::verify(&conn)? {
        store::audit::Verification::Intact { rows, head } => {
            (format!("audit log ok: {rows} baris, hash terakhir {head}"), true)
        }
        store::audit::Verification::Broken { id, reason } => {
            (format!("audit log RUSAK di baris {id}: {reason}"), false)
        }
    })
}

/// `audit tail`: one line per entry.
pub fn audit_tail(config: &Config, actor: Option<i64>, action: Option<AuditAction>, n: i64) -> anyhow::Result<String> {
    let conn = store::open_one(&config.data_dir.join(store::AUDIT_FILE), config.require_key()?)?;
    let rows = store::audit::tail(&conn, actor, action, n.clamp(1, 10_000))?;
    let lines: Vec<String> = rows
        .iter()
        .map(|r| {
            let at =
                chrono::DateTime::<chrono::Utc>::from_timestamp(r.at, 0).map(|t| t.to_rfc3339()).unwrap_or_default();
            format!(
                "{} {} {}:{} {} {}:{} before={} after={} meta={}",
                r.id,
                at,
                r.actor_type,
                r.actor_id.map(|a| a.to_string()).unwrap_or_else(|| "-".into()),
                r.action,
                r.entity_type,
                r.entity_id,
                r.before.as_deref().unwrap_or("-"),
                r.after.as_deref().unwrap_or("-"),
                r.metadata
            )
        })
        .collect();
    Ok(lines.join("\n"))
}

/// `user export ID`: the JSON document.
pub fn user_export(config: &Config, id: i64) -> anyhow::Result<String> {
    let db = Db::open(&config.data_dir, config.require_key()?)?;
    let conn = db.shop()?;
    match store::privacy::export(&conn, id)? {
        Some(doc) => Ok(serde_json::to_string_pretty(&doc)?),
        None => anyhow::bail!("pengguna {id} tidak ditemukan"),
    }
}

/// `user erase ID`: anonymises, audits with ids only.
pub fn user_erase(config: &Config, id: i64) -> anyhow::Result<String> {
    let db = Db::open(&config.data_dir, config.require_key()?)?;
    let mut audit = db.audit()?;
    store::audit::append(
        &mut audit,
        &store::audit::Entry {
            entity_type: "user".into(),
            entity_id: id.to_string(),
            metadata: serde_json::json!({"via": "cli"}),
            ..store::audit::Entry::new(None, ActorType::System, AuditAction::UserErased)
        },
    )?;
    let mut conn = db.shop()?;
    if store::privacy::erase(&mut conn, id)? {
        Ok(format!("data pribadi pengguna {id} dihapus (data transaksi disimpan)"))
    } else {
        anyhow::bail!("pengguna {id} tidak ditemukan")
    }
}
