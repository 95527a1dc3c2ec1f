//! Whitelisted groups that receive admin notices.

use rusqlite::{params, Connection};

use super::{now, StoreError};

pub fn all(conn: &Connection) -> Result<Vec<i64>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT chat_id FROM groups ORDER BY chat_id")?;
    let ids = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    Ok(ids)
}

/// Returns false if the group was already whitelisted.
pub fn add(conn: &Connection, chat_id: i64, by: i64) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached(
            "INSERT INTO groups (chat_id, added_by, created_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
        )?
        .execute(params![chat_id, by, now()])?
        == 1)
}

/// Returns false if the group was not whitelisted.
pub fn remove(conn: &Connection, chat_id: i64) -> Result<bool, StoreError> {
    Ok(conn.prepare_cached("DELETE FROM groups WHERE chat_id = ?1")?.execute([chat_id])? == 1)
}
