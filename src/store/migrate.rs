//! Versioned schema migrations through `PRAGMA user_version`.
//!
//! `schema.sql` always holds the current whole schema: a fresh file gets it in one go; an older
//! file is brought up step by step with [`UPGRADES`]. A test checks both paths agree.

use rusqlite::Connection;

use super::StoreError;

const SCHEMA: &str = include_str!("../../schema.sql");
const AUDIT_MARKER: &str = "-- @audit";

/// `UPGRADES[n]` turns version `n + 1` into version `n + 2`.
const UPGRADES: &[&str] = &[];

pub const LATEST: i64 = 1 + UPGRADES.len() as i64;

pub fn shop_schema() -> &'static str {
    SCHEMA.split_once(AUDIT_MARKER).map_or(SCHEMA, |(shop, _)| shop)
}

pub fn audit_schema() -> &'static str {
    SCHEMA.split_once(AUDIT_MARKER).map_or("", |(_, audit)| audit)
}

pub fn version(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Brings the shop database to [`LATEST`]; returns (from, to).
pub fn migrate_shop(conn: &mut Connection) -> Result<(i64, i64), StoreError> {
    migrate(conn, shop_schema(), UPGRADES)
}

/// The audit database has its own single-version schema.
pub fn migrate_audit(conn: &mut Connection) -> Result<(i64, i64), StoreError> {
    migrate(conn, audit_schema(), &[])
}

fn migrate(conn: &mut Connection, schema: &str, upgrades: &[&str]) -> Result<(i64, i64), StoreError> {
    let latest = 1 + upgrades.len() as i64;
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive)?;
    let from: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if from > latest {
        return Err(StoreError::TooNew { found: from, supported: latest });
    }
    if from == 0 {
        let tables: i64 = tx.query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table'", [], |r| r.get(0))?;
        if tables > 0 {
            return Err(StoreError::Migration("database has tables but no schema version".into()));
        }
        tx.execute_batch(schema)?;
    } else {
        for step in upgrades.iter().skip(usize::try_from(from - 1).unwrap_or(0)) {
            tx.execute_batch(step)?;
        }
    }
    // user_version cannot be bound as a parameter; `latest` is our own integer.
    // nosemgrep: ci.sql-built-with-format -- `latest` is our own integer; PRAGMAs take no parameters
    tx.execute_batch(&format!("PRAGMA user_version = {latest};"))?;
    tx.commit()?;
    Ok((from, latest))
}
