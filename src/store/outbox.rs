//! Messages that must reach Telegram. Written in the same transaction as the change they
//! announce; sent (and retried) by the outbox worker, so a restart or an outage delays them but
//! never loses them. A row to a chat that blocked the bot is parked until that chat talks to the
//! bot again; only rows that are not deliveries are ever given up.

use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};

use super::{now, StoreError};
use crate::domain::{callback::Button, digest::Tally};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Payload {
    Text {
        text: String,
        #[serde(default)]
        buttons: Vec<Vec<Button>>,
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
    /// Text without markup: the form a message Telegram refused for its markup falls back to.
    Plain {
        text: String,
    },
    /// An admin notice about money coming in: sent as it is when alone, summed up with the
    /// chat's other notices due at the same time otherwise (see [`crate::domain::digest`]).
    Notice {
        text: String,
        tally: Tally,
    },
}

impl Payload {
    fn kind(&self) -> &'static str {
        match self {
            Payload::Text { .. } | Payload::Plain { .. } | Payload::Notice { .. } => "text",
            Payload::Document { .. } => "document",
            Payload::Delete { .. } => "delete",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub chat_id: i64,
    pub payload: Payload,
    /// The goods of a paid order: retried or parked, never given up.
    pub delivery: bool,
}

impl Message {
    pub fn new(chat_id: i64, payload: Payload) -> Self {
        Self { chat_id, payload, delivery: false }
    }

    pub fn text(chat_id: i64, text: impl Into<String>) -> Self {
        Self::new(chat_id, Payload::Text { text: text.into(), buttons: Vec::new() })
    }

    /// Removes a message the bot sent (e.g. a QR invoice that was paid or expired).
    pub fn delete(chat_id: i64, message_id: i64) -> Self {
        Self::new(chat_id, Payload::Delete { message_id })
    }

    /// A new-order or deposit notice to an admin chat (may go out in a digest).
    pub fn notice(chat_id: i64, text: String, tally: Tally) -> Self {
        Self::new(chat_id, Payload::Notice { text, tally })
    }

    pub fn delivery(chat_id: i64, payload: Payload) -> Self {
        Self { chat_id, payload, delivery: true }
    }
}

#[derive(Clone, Debug)]
pub struct Row {
    pub id: i64,
    pub chat_id: i64,
    pub payload: Payload,
    pub attempts: i64,
    pub delivery: bool,
    pub order_id: Option<i64>,
    pub created_at: i64,
    pub stuck_noticed: bool,
}

pub fn enqueue(tx: &Connection, msg: &Message, order_id: Option<i64>) -> Result<(), StoreError> {
    let kind = msg.payload.kind();
    let json = serde_json::to_string(&msg.payload).map_err(|e| StoreError::Migration(e.to_string()))?;
    let t = now();
    tx.prepare_cached(
        "INSERT INTO outbox (chat_id, kind, payload, order_id, next_attempt_at, created_at, delivery)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)",
    )?
    .execute(params![msg.chat_id, kind, json, order_id, t, msg.delivery])?;
    Ok(())
}

/// Queues every message of one state change of `order_id`, in the caller's transaction.
pub fn enqueue_all(tx: &Connection, msgs: &[Message], order_id: Option<i64>) -> Result<(), StoreError> {
    msgs.iter().try_for_each(|m| enqueue(tx, m, order_id))
}

/// Due rows: at most `per_chat` of each chat, in the chat's order, and never a row behind one
/// of its chat's rows that waits for a retry (a chat's messages arrive in the order they were
/// written). Chats with a delivery come first, then oldest first.
pub fn due(conn: &Connection, limit: i64, per_chat: i64) -> Result<Vec<Row>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, chat_id, payload, attempts, delivery, order_id, created_at, stuck_noticed FROM (
             SELECT o.*, row_number() OVER (PARTITION BY chat_id ORDER BY id) AS nth,
                    max(delivery) OVER (PARTITION BY chat_id) AS chat_has_delivery
             FROM outbox o
             WHERE sent_at IS NULL AND failed = 0 AND parked = 0 AND next_attempt_at <= ?1
               AND NOT EXISTS (SELECT 1 FROM outbox w WHERE w.chat_id = o.chat_id AND w.id < o.id
                               AND w.sent_at IS NULL AND w.failed = 0 AND w.parked = 0 AND w.next_attempt_at > ?1))
         WHERE nth <= ?3 ORDER BY chat_has_delivery DESC, id LIMIT ?2",
    )?;
    let rows = read_rows(stmt.query(params![now(), limit, per_chat])?)?;
    Ok(rows)
}

/// The chat's rows after `after_id` that are due now, in order, stopping at the first one that
/// is not (for a lane that may have been handed only the start of its chat's queue).
pub fn due_in_chat(conn: &Connection, chat_id: i64, after_id: i64, limit: i64) -> Result<Vec<Row>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, chat_id, payload, attempts, delivery, order_id, created_at, stuck_noticed, next_attempt_at <= ?4
         FROM outbox WHERE chat_id = ?1 AND id > ?2 AND sent_at IS NULL AND failed = 0 AND parked = 0
         ORDER BY id LIMIT ?3",
    )?;
    let mut rows = stmt.query(params![chat_id, after_id, limit, now()])?;
    let mut due = Vec::new();
    while let Some(r) = rows.next()? {
        if !r.get::<_, bool>(8)? {
            break;
        }
        due.extend(read_row(r)?);
    }
    Ok(due)
}

fn read_rows(mut rows: rusqlite::Rows<'_>) -> Result<Vec<Row>, StoreError> {
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.extend(read_row(r)?);
    }
    Ok(out)
}

/// One row; `None` for a payload this program cannot read (only it writes them: a bug to see
/// in the log, not a reason to stop the outbox).
fn read_row(r: &rusqlite::Row<'_>) -> Result<Option<Row>, StoreError> {
    let json: String = r.get(2)?;
    let id: i64 = r.get(0)?;
    let payload = match serde_json::from_str(&json) {
        Ok(payload) => payload,
        Err(e) => {
            tracing::error!(outbox = id, error = %e, "outbox: unreadable payload skipped");
            return Ok(None);
        }
    };
    Ok(Some(Row {
        id,
        chat_id: r.get(1)?,
        payload,
        attempts: r.get(3)?,
        delivery: r.get(4)?,
        order_id: r.get(5)?,
        created_at: r.get(6)?,
        stuck_noticed: r.get(7)?,
    }))
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

pub fn retry_at(conn: &Connection, id: i64, at: i64, error: &str) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?2, last_error = ?3 WHERE id = ?1",
    )?
    .execute(params![id, at, error])?;
    Ok(())
}

/// Gives up on a row Telegram refuses for good. Deliveries are never given up: they are parked.
pub fn mark_failed(conn: &Connection, id: i64, error: &str) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE outbox SET failed = 1 - delivery, parked = delivery, attempts = attempts + 1, last_error = ?2
         WHERE id = ?1",
    )?
    .execute(params![id, error])?;
    Ok(())
}

/// The chat blocked the bot (or is gone): its unsent rows wait until it talks to the bot again.
/// Message deletions are dropped (nothing to delete in a chat we cannot reach).
pub fn park_chat(conn: &Connection, chat_id: i64) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE outbox SET sent_at = ?2, last_error = 'chat unreachable'
         WHERE chat_id = ?1 AND kind = 'delete' AND sent_at IS NULL AND failed = 0",
    )?
    .execute(params![chat_id, now()])?;
    conn.prepare_cached(
        "UPDATE outbox SET parked = 1, attempts = attempts + 1, last_error = 'chat unreachable'
         WHERE chat_id = ?1 AND sent_at IS NULL AND failed = 0 AND parked = 0",
    )?
    .execute([chat_id])?;
    Ok(())
}

/// The chat talks to the bot again: what was parked for it is due now. Returns how many.
pub fn unpark_chat(conn: &Connection, chat_id: i64) -> Result<usize, StoreError> {
    Ok(conn
        .prepare_cached("UPDATE outbox SET parked = 0, next_attempt_at = ?2 WHERE chat_id = ?1 AND parked = 1")?
        .execute(params![chat_id, now()])?)
}

/// Replaces the payload of a row with a form Telegram accepts (plain text, a document).
pub fn replace_payload(conn: &Connection, id: i64, payload: &Payload) -> Result<(), StoreError> {
    let kind = payload.kind();
    let json = serde_json::to_string(payload).map_err(|e| StoreError::Migration(e.to_string()))?;
    conn.prepare_cached("UPDATE outbox SET payload = ?2, kind = ?3, next_attempt_at = ?4 WHERE id = ?1")?
        .execute(params![id, json, kind, now()])?;
    Ok(())
}

/// Admins were told about this stuck row.
pub fn mark_stuck_noticed(conn: &Connection, id: i64) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE outbox SET stuck_noticed = 1 WHERE id = ?1")?.execute([id])?;
    Ok(())
}

/// (waiting, parked, given up) deliveries: what `db stats` and admins see.
pub fn delivery_counts(conn: &Connection) -> Result<(i64, i64, i64), StoreError> {
    Ok(conn.query_row(
        "SELECT coalesce(sum(sent_at IS NULL AND failed = 0 AND parked = 0), 0),
                coalesce(sum(sent_at IS NULL AND parked = 1), 0),
                coalesce(sum(failed = 1), 0)
         FROM outbox WHERE delivery = 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?)
}

/// Rows that are due now (the demo waits for these before it prints).
pub fn due_count(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed = 0 AND parked = 0 AND next_attempt_at <= ?1",
        )?
        .query_row([now()], |r| r.get(0))?)
}

pub fn backlog(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached("SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed = 0 AND parked = 0")?
        .query_row([], |r| r.get(0))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        super::super::migrate::migrate_shop(&mut c).unwrap();
        c
    }

    fn queue(c: &Connection, chat: i64, text: &str, delivery: bool) -> i64 {
        let payload = Payload::Text { text: text.into(), buttons: Vec::new() };
        enqueue(c, &Message { chat_id: chat, payload, delivery }, None).unwrap();
        c.last_insert_rowid()
    }

    fn ids(rows: &[Row]) -> Vec<i64> {
        rows.iter().map(|r| r.id).collect()
    }

    #[test]
    fn a_chat_waiting_for_a_retry_holds_its_later_rows_only() {
        let c = db();
        let a1 = queue(&c, 1, "a1", false);
        let b1 = queue(&c, 2, "b1", false);
        let a2 = queue(&c, 1, "a2", false);
        assert_eq!(ids(&due(&c, 10, 10).unwrap()), vec![a1, b1, a2]);
        retry_at(&c, a1, now() + 60, "429").unwrap();
        // a2 must not overtake a1; chat 2 goes on.
        assert_eq!(ids(&due(&c, 10, 10).unwrap()), vec![b1]);
        let _ = a2;
    }

    #[test]
    fn chats_with_a_delivery_go_first_and_one_chat_cannot_fill_a_read() {
        let c = db();
        let notices: Vec<i64> = (0..5).map(|i| queue(&c, 9, &format!("notice {i}"), false)).collect();
        let delivery = queue(&c, 3, "goods", true);
        let rows = due(&c, 4, 2).unwrap();
        assert_eq!(ids(&rows), vec![delivery, notices[0], notices[1]], "two of the admin's notices at most");
    }
}
