//! Shop settings (key → JSON): the refund formula, which chats have the admin `/` menu.

use rusqlite::{params, Connection, OptionalExtension};

use super::{now, StoreError};
use crate::domain::campaign::Formula;

const REFUND_FORMULA: &str = "refund_formula";
const ADMIN_MENU_CHATS: &str = "admin_menu_chats";

pub(super) fn get_json<T: serde::de::DeserializeOwned>(conn: &Connection, key: &str) -> Result<Option<T>, StoreError> {
    let raw: Option<String> =
        conn.prepare_cached("SELECT value FROM settings WHERE key = ?1")?.query_row([key], |r| r.get(0)).optional()?;
    Ok(raw.and_then(|v| serde_json::from_str(&v).ok()))
}

pub(super) fn set_json<T: serde::Serialize>(conn: &Connection, key: &str, value: &T) -> Result<(), StoreError> {
    let v = serde_json::to_string(value).map_err(|e| StoreError::Migration(e.to_string()))?;
    conn.prepare_cached(
        "INSERT INTO settings (key, value, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )?
    .execute(params![key, v, now()])?;
    Ok(())
}

pub fn refund_formula(conn: &Connection) -> Result<Formula, StoreError> {
    Ok(get_json(conn, REFUND_FORMULA)?.unwrap_or_default())
}

pub fn set_refund_formula(conn: &Connection, f: &Formula) -> Result<(), StoreError> {
    set_json(conn, REFUND_FORMULA, f)
}

pub fn admin_menu_chats(conn: &Connection) -> Result<Vec<i64>, StoreError> {
    Ok(get_json(conn, ADMIN_MENU_CHATS)?.unwrap_or_default())
}

pub fn set_admin_menu(conn: &Connection, chat: i64, has: bool) -> Result<(), StoreError> {
    let mut chats = admin_menu_chats(conn)?;
    chats.retain(|c| *c != chat);
    if has {
        chats.push(chat);
    }
    set_json(conn, ADMIN_MENU_CHATS, &chats)
}
