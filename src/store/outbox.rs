//! Messages that must reach Telegram. Written in the same transaction as the change they
//! announce; sent (and retried) by the outbox worker, so a restart or an outage delays them but
//! never loses them.

use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};

use super::{now, StoreError};

/// One inline button of an outbox message: (label, callback data or URL).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredButton {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Payload {
    Text {
        text: String,
        #[serde(default)]
        buttons: Vec<Vec<StoredButton>>,
    },
    Document {
        file_name: String,
        content: String,
        caption: String,
    },
    /// Remove a message (e.g. an expired QR invoice).
    Delete {
        message_id: i64,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub chat_id: i64,
    pub payload: Payload,
}

impl Message {
    pub fn text(chat_id: i64, text: impl Into<String>) -> Self {
        Self { chat_id, payload: Payload::Text { text: text.into(), buttons: Vec::new() } }
    }
}

#[derive(Clone, Debug)]
pub struct Row {
    pub id: i64,
    pub chat_id: i64,
    pub payload: Payload,
    pub attempts: i64,
}

pub fn enqueue(tx: &Connection, msg: &Message, order_id: Option<i64>) -> Result<(), StoreError> {
    let kind = match msg.payload {
        Payload::Text { .. } => "text",
        Payload::Document { .. } => "document",
        Payload::Delete { .. } => "delete",
    };
    let json = serde_json::to_string(&msg.payload).map_err(|e| StoreError::Migration(e.to_string()))?;
    let t = now();
    tx.prepare_cached(
        "INSERT INTO outbox (chat_id, kind, payload, order_id, next_attempt_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
    )?
    .execute(params![msg.chat_id, kind, json, order_id, t])?;
    Ok(())
}

/// Due rows, oldest first.
pub fn due(conn: &Connection, limit: i64) -> Result<Vec<Row>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, chat_id, payload, attempts FROM outbox
         WHERE sent_at IS NULL AND failed = 0 AND next_attempt_at <= ?1 ORDER BY id LIMIT ?2",
    )?;
    let rows = stmt
        .query_map(params![now(), limit], |r| {
            let json: String = r.get(2)?;
            Ok((r.get(0)?, r.get(1)?, json, r.get(3)?))
        })?
        .collect::<Result<Vec<(i64, i64, String, i64)>, _>>()?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, chat_id, json, attempts)| {
            let payload = serde_json::from_str(&json).ok()?;
            Some(Row { id, chat_id, payload, attempts })
        })
        .collect())
}

pub fn mark_sent(conn: &Connection, id: i64) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE outbox SET sent_at = ?2 WHERE id = ?1")?.execute(params![id, now()])?;
    Ok(())
}

/// Marks several sent rows in one transaction (one fsync for all).
pub fn mark_sent_all(conn: &mut Connection, ids: &[i64]) -> Result<(), StoreError> {
    let tx = super::writer::begin(conn)?;
    let t = now();
    {
        let mut stmt = tx.prepare_cached("UPDATE outbox SET sent_at = ?2 WHERE id = ?1")?;
        for id in ids {
            stmt.execute(params![id, t])?;
        }
    }
    tx.commit()?;
    Ok(())
}

pub fn retry_at(conn: &Connection, id: i64, at: i64) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?2 WHERE id = ?1")?
        .execute(params![id, at])?;
    Ok(())
}

/// Gives up on a row (the user blocked the bot, or Telegram refuses it for good).
pub fn mark_failed(conn: &Connection, id: i64) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE outbox SET failed = 1, attempts = attempts + 1 WHERE id = ?1")?.execute([id])?;
    Ok(())
}

/// Rows that are due now (the demo waits for these before it prints).
pub fn due_count(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached("SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed = 0 AND next_attempt_at <= ?1")?
        .query_row([now()], |r| r.get(0))?)
}

pub fn backlog(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached("SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed = 0")?
        .query_row([], |r| r.get(0))?)
}
