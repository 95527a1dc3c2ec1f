//! Broadcasts: a persisted job with one row per recipient, so a restart resumes where it stopped
//! and nobody gets the same broadcast twice.

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::{now, StoreError};
use crate::domain::segment::Segment;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Content {
    /// Telegram HTML text.
    Text { text: String },
    /// A message copied as is (media included).
    Copy { from_chat: i64, message_id: i64 },
    /// Telegram HTML text with inline buttons (a restock alert and its product card button).
    Card { text: String, buttons: Vec<Vec<crate::domain::callback::Button>> },
}

/// The kind of the broadcasts that carry restock alerts (no progress message, no summary).
pub const RESTOCK: &str = "restock";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broadcast {
    pub id: i64,
    pub admin_id: i64,
    /// `broadcast`, `giveaway` or [`RESTOCK`].
    pub kind: String,
    pub content: Content,
    pub progress_chat: Option<i64>,
    pub progress_message: Option<i64>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    pub total: i64,
    pub sent: i64,
    pub failed: i64,
    pub pending: i64,
}

/// The rule of every broadcast's recipients: reachable users (not banned, not erased, not
/// blocking the bot). A macro so that constant SQL can embed it with `concat!`.
macro_rules! reachable {
    () => {
        "banned = 0 AND erased = 0 AND bot_blocked = 0"
    };
}

/// Inserts the broadcast row in the caller's transaction; its recipients come next. Returns
/// (id, now).
fn insert(tx: &Connection, admin_id: i64, kind: &str, content: &Content) -> Result<(i64, i64), StoreError> {
    let payload = serde_json::to_string(content).map_err(|e| StoreError::Migration(e.to_string()))?;
    let t = now();
    let id = tx.query_row(
        "INSERT INTO broadcasts (admin_id, kind, payload, created_at) VALUES (?1, ?2, ?3, ?4) RETURNING id",
        params![admin_id, kind, payload, t],
        |r| r.get(0),
    )?;
    Ok((id, t))
}

/// Inserts a restock alert for `product` and its recipients (the reachable users waiting for
/// it) inside the caller's transaction. Returns (id, recipients).
pub(super) fn open_restock(
    tx: &Connection,
    admin_id: i64,
    content: &Content,
    product: i64,
) -> Result<(i64, i64), StoreError> {
    let (id, t) = insert(tx, admin_id, RESTOCK, content)?;
    let n = tx.execute(
        concat!(
            "INSERT INTO broadcast_recipients (broadcast_id, user_id, updated_at)
             SELECT ?1, id, ?2 FROM users WHERE ",
            reachable!(),
            " AND id IN (SELECT user_id FROM restock_subscriptions WHERE product_id = ?3)"
        ),
        params![id, t, product],
    )?;
    Ok((id, i64::try_from(n).unwrap_or(0)))
}

/// The reachable-user rule and one segment's condition: the count the admin is shown and the
/// insert of the recipients, both fixed SQL text binding `?1` (the segment's number), `?2`
/// (now) and, to insert, `?3` (the broadcast).
macro_rules! segment {
    ($cond:literal) => {
        Queries {
            count: concat!("SELECT count(*) FROM users WHERE ", reachable!(), " AND ?1 = ?1 AND ?2 = ?2 AND ", $cond),
            insert: concat!(
                "INSERT INTO broadcast_recipients (broadcast_id, user_id, updated_at)
                 SELECT ?3, id, ?2 FROM users WHERE ",
                reachable!(),
                " AND ?1 = ?1 AND ",
                $cond
            ),
        }
    };
}

struct Queries {
    count: &'static str,
    insert: &'static str,
}

/// The reachable users of a segment (issue 18 point 3): one query per segment kind, and its number.
fn segment_sql(segment: Segment) -> (Queries, i64) {
    match segment {
        Segment::Everyone => (segment!("1"), 0),
        Segment::Product(p) => (
            segment!(
                "id IN (SELECT o.user_id FROM orders o JOIN order_items i ON i.order_id = o.id
                        WHERE o.status = 'paid' AND i.product_id = ?1)"
            ),
            p,
        ),
        Segment::Category(c) => (
            segment!(
                "id IN (SELECT o.user_id FROM orders o JOIN order_items i ON i.order_id = o.id
                        JOIN products p ON p.id = i.product_id WHERE o.status = 'paid' AND p.category_id = ?1)"
            ),
            c,
        ),
        Segment::Resellers => (segment!("role = 'reseller'"), 0),
        // No sign-up and no order (of any kind, paid or not) in the last ?1 days.
        Segment::Inactive(days) => (
            segment!(
                "created_at <= ?2 - ?1 * 86400
                 AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.user_id = users.id AND o.created_at > ?2 - ?1 * 86400)"
            ),
            days,
        ),
        Segment::Balance => (segment!("balance > 0"), 0),
    }
}

/// How many reachable users a segment has now (what the admin confirms).
pub fn audience(conn: &Connection, segment: Segment) -> Result<i64, StoreError> {
    let (q, n) = segment_sql(segment);
    Ok(conn.prepare_cached(q.count)?.query_row(params![n, now()], |r| r.get(0))?)
}

/// Creates a broadcast to the reachable users of a segment (everyone for a plain `/broadcast`):
/// they are resolved here, once, and the recipient rows are the snapshot the engine works
/// through. Returns (id, recipients).
pub fn create(
    conn: &mut Connection,
    admin_id: i64,
    kind: &str,
    content: &Content,
    segment: Segment,
) -> Result<(i64, i64), StoreError> {
    let tx = super::writer::begin(conn)?;
    let (id, t) = insert(&tx, admin_id, kind, content)?;
    let (q, n) = segment_sql(segment);
    let inserted = tx.execute(q.insert, params![n, t, id])?;
    tx.commit()?;
    Ok((id, i64::try_from(inserted).unwrap_or(0)))
}

pub fn set_progress_message(conn: &Connection, id: i64, chat: i64, message: i64) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE broadcasts SET progress_chat = ?2, progress_message = ?3 WHERE id = ?1")?
        .execute(params![id, chat, message])?;
    Ok(())
}

pub fn running(conn: &Connection) -> Result<Vec<Broadcast>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, admin_id, payload, progress_chat, progress_message, kind FROM broadcasts WHERE status = 'running' ORDER BY id",
    )?;
    let rows = stmt
        .query_map([], |r| {
            Ok((r.get::<_, i64>(0)?, r.get(1)?, r.get::<_, String>(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, admin_id, payload, progress_chat, progress_message, kind)| {
            let content = serde_json::from_str(&payload).ok()?;
            Some(Broadcast { id, admin_id, kind, content, progress_chat, progress_message })
        })
        .collect())
}

/// Up to `limit` recipients still to send to.
pub fn pending(conn: &Connection, id: i64, limit: i64) -> Result<Vec<i64>, StoreError> {
    let rows = conn
        .prepare_cached(
            "SELECT user_id FROM broadcast_recipients WHERE broadcast_id = ?1 AND status = 'pending' ORDER BY user_id LIMIT ?2",
        )?
        .query_map(params![id, limit], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Claims one recipient right before sending: it becomes `sending` first, so a crash mid-send
/// can never lead to a second copy. False if it was not pending any more.
pub fn claim(conn: &Connection, id: i64, user: i64) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached(
            "UPDATE broadcast_recipients SET status = 'sending', attempts = attempts + 1, updated_at = ?3
             WHERE broadcast_id = ?1 AND user_id = ?2 AND status = 'pending'",
        )?
        .execute(params![id, user, now()])?
        == 1)
}

/// `sent`, `failed`, `blocked`, or back to `pending` (Telegram said "later").
pub fn mark(conn: &Connection, id: i64, user: i64, status: &str) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE broadcast_recipients SET status = ?3, updated_at = ?4 WHERE broadcast_id = ?1 AND user_id = ?2",
    )?
    .execute(params![id, user, status, now()])?;
    if status == "blocked" {
        conn.prepare_cached("UPDATE users SET bot_blocked = 1 WHERE id = ?1")?.execute([user])?;
    }
    Ok(())
}

/// After a crash, recipients caught mid-send may or may not have the message: never send those
/// again (no duplicates), count them as failed.
pub fn recover(conn: &Connection) -> Result<usize, StoreError> {
    Ok(conn
        .prepare_cached("UPDATE broadcast_recipients SET status = 'failed', updated_at = ?1 WHERE status = 'sending'")?
        .execute([now()])?)
}

pub fn progress(conn: &Connection, id: i64) -> Result<Progress, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*),
                    count(*) FILTER (WHERE status = 'sent'),
                    count(*) FILTER (WHERE status IN ('failed', 'blocked')),
                    count(*) FILTER (WHERE status IN ('pending', 'sending'))
             FROM broadcast_recipients WHERE broadcast_id = ?1",
        )?
        .query_row([id], |r| {
            Ok(Progress { total: r.get(0)?, sent: r.get(1)?, failed: r.get(2)?, pending: r.get(3)? })
        })?)
}

/// Marks the broadcast done; false if it already was (so the summary goes out once).
pub fn finish(conn: &Connection, id: i64) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("UPDATE broadcasts SET status = 'done', finished_at = ?2 WHERE id = ?1 AND status = 'running'")?
        .execute(params![id, now()])?
        == 1)
}

pub fn get_admin(conn: &Connection, id: i64) -> Result<Option<i64>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT admin_id FROM broadcasts WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Users 1–8: 1 bought product 7 (category 1) today, 2 bought product 8 (category 2) 40 days
    /// ago, 3 is a reseller, 4 has a balance, 5 signed up today, 6 banned, 7 erased, 8 blocks
    /// the bot (6–8 bought product 7 and have a balance: never reachable).
    fn db() -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        super::super::migrate::migrate_shop(&mut c).unwrap();
        let t = now();
        let old = t - 40 * 86_400;
        for id in 1..=8i64 {
            let created = if id == 5 { t } else { old };
            c.execute(
                "INSERT INTO users (id, bank_id, created_at, updated_at, role, balance, banned, erased, bot_blocked)
                 VALUES (?1, printf('%06d', ?1), ?2, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    id,
                    created,
                    if id == 3 { "reseller" } else { "customer" },
                    if id == 4 || id >= 6 { 5_000 } else { 0 },
                    i64::from(id == 6),
                    i64::from(id == 7),
                    i64::from(id == 8)
                ],
            )
            .unwrap();
        }
        c.execute_batch(
            "INSERT INTO categories (id, name) VALUES (1, 'A'), (2, 'B');
             INSERT INTO products (id, name, price, category_id, created_at, updated_at)
             VALUES (7, 'P7', 100, 1, 0, 0), (8, 'P8', 100, 2, 0, 0);",
        )
        .unwrap();
        let orders = [(1, 1, 7, t, "paid"), (2, 2, 8, old, "paid"), (3, 3, 8, t, "expired"), (6, 6, 7, t, "paid")];
        let more = [(7, 7, 7, t, "paid"), (8, 8, 7, t, "paid")];
        for (order, user, product, at, status) in orders.into_iter().chain(more) {
            c.execute(
                "INSERT INTO orders (id, invoice_id, user_id, kind, subtotal, total, method, status, expires_at, created_at, updated_at)
                 VALUES (?1, 'INV' || ?1, ?2, 'order', 100, 100, 'saldo', ?5, ?4, ?4, ?4)",
                params![order, user, product, at, status],
            )
            .unwrap();
            c.execute(
                "INSERT INTO order_items (order_id, product_id, product_name, quantity, unit_price) VALUES (?1, ?2, 'P', 1, 100)",
                params![order, product],
            )
            .unwrap();
        }
        c
    }

    fn recipients(c: &mut Connection, segment: Segment) -> Vec<i64> {
        let (id, n) = create(c, 1, "broadcast", &Content::Text { text: "t".into() }, segment).unwrap();
        let users = pending(c, id, 100).unwrap();
        assert_eq!(i64::try_from(users.len()).unwrap(), n);
        assert_eq!(audience(c, segment).unwrap(), n, "{segment:?}: the audience shown is the one created");
        users
    }

    #[test]
    fn each_segment_is_its_reachable_users() {
        let mut c = db();
        assert_eq!(recipients(&mut c, Segment::Everyone), vec![1, 2, 3, 4, 5]);
        assert_eq!(recipients(&mut c, Segment::Product(7)), vec![1]);
        assert_eq!(recipients(&mut c, Segment::Product(8)), vec![2], "an expired order is no purchase");
        assert_eq!(recipients(&mut c, Segment::Category(1)), vec![1]);
        assert_eq!(recipients(&mut c, Segment::Category(2)), vec![2]);
        assert_eq!(recipients(&mut c, Segment::Resellers), vec![3]);
        assert_eq!(recipients(&mut c, Segment::Balance), vec![4]);
        // 40 days ago: 2's order; 3 ordered today (unpaid), 1 today, 5 signed up today.
        assert_eq!(recipients(&mut c, Segment::Inactive(30)), vec![2, 4]);
        assert_eq!(recipients(&mut c, Segment::Inactive(41)), Vec::<i64>::new());
        assert_eq!(recipients(&mut c, Segment::Inactive(0)), vec![1, 2, 3, 4, 5]);
        assert_eq!(recipients(&mut c, Segment::Product(99)), Vec::<i64>::new());
    }
}
