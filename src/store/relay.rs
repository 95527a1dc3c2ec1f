//! KIRIM PESAN: which admin-side message carries which user's message, so a reply finds its way.

use rusqlite::{params, Connection, OptionalExtension};

use super::{now, StoreError};

pub fn record(conn: &Connection, admin_chat: i64, admin_message: i64, user_id: i64) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO relay (admin_chat_id, admin_message_id, user_id, created_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![admin_chat, admin_message, user_id, now()])?;
    Ok(())
}

pub fn user_for(conn: &Connection, admin_chat: i64, admin_message: i64) -> Result<Option<i64>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT user_id FROM relay WHERE admin_chat_id = ?1 AND admin_message_id = ?2")?
        .query_row(params![admin_chat, admin_message], |r| r.get(0))
        .optional()?)
}
