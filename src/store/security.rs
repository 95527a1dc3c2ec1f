//! Security events the shop queries later (rbac denials, throttle escalations, anomalies).

use rusqlite::{params, Connection};

use super::{now, StoreError};

pub fn record(
    conn: &Connection,
    user_id: Option<i64>,
    kind: &str,
    detail: &serde_json::Value,
) -> Result<(), StoreError> {
    conn.prepare_cached("INSERT INTO security_events (user_id, kind, detail, created_at) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![user_id, kind, detail.to_string(), now()])?;
    Ok(())
}

pub fn count_since(conn: &Connection, user_id: i64, kind: &str, since: i64) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached("SELECT count(*) FROM security_events WHERE user_id = ?1 AND kind = ?2 AND created_at >= ?3")?
        .query_row(params![user_id, kind, since], |r| r.get(0))?)
}
