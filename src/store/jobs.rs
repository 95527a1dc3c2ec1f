//! Scheduled jobs (payment expiry, Pakasir cancellations) as rows: a job that came due while the
//! process was down runs at the next start.

use rusqlite::{params, Connection};

use super::{now, StoreError};

pub const EXPIRE_ORDER: &str = "expire_order";
pub const CANCEL_AT_PAKASIR: &str = "pakasir_cancel";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub ref_id: i64,
    pub attempts: i64,
}

pub fn schedule(tx: &Connection, kind: &str, ref_id: i64, due_at: i64) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO jobs (kind, ref_id, due_at, created_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (kind, ref_id) DO UPDATE SET due_at = excluded.due_at, done = 0, attempts = 0",
    )?
    .execute(params![kind, ref_id, due_at, now()])?;
    Ok(())
}

pub fn due(conn: &Connection, limit: i64) -> Result<Vec<Job>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, kind, ref_id, attempts FROM jobs WHERE done = 0 AND due_at <= ?1 ORDER BY due_at, id LIMIT ?2",
    )?;
    let rows = stmt
        .query_map(params![now(), limit], |r| {
            Ok(Job { id: r.get(0)?, kind: r.get(1)?, ref_id: r.get(2)?, attempts: r.get(3)? })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn finish(conn: &Connection, kind: &str, ref_id: i64) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE jobs SET done = 1 WHERE kind = ?1 AND ref_id = ?2")?.execute(params![kind, ref_id])?;
    Ok(())
}

pub fn retry_later(conn: &Connection, id: i64, at: i64) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE jobs SET attempts = attempts + 1, due_at = ?2 WHERE id = ?1")?
        .execute(params![id, at])?;
    Ok(())
}
