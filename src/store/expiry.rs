//! Expiring stock's admin note (issue 18 point 6): what went past its sell-by since the last
//! note and what expires soon, per product; and the once-per-WIB-day claim of the note (a `jobs`
//! row of kind [`NOTE`], born done: it survives restarts and its unique key forbids a second).

use std::collections::HashMap;

use rusqlite::{params, Connection};

use super::StoreError;

/// The `jobs.kind` of the daily note; `ref_id` is the WIB day (see `domain::time::wib_day`).
pub const NOTE: &str = "expiry_note";

/// One product's line of the note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductExpiry {
    pub product_id: i64,
    pub name: String,
    /// Unsold items whose sell-by passed since the last note (no longer offered).
    pub expired: i64,
    /// Items on sale whose valid-until ends within the window.
    pub soon: i64,
    /// The earliest valid-until among `soon`.
    pub first_until: Option<i64>,
}

/// Whether WIB day `day` had its note.
pub fn noted(conn: &Connection, day: i64) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM jobs WHERE kind = ?1 AND ref_id = ?2)")?
        .query_row(params![NOTE, day], |r| r.get(0))?)
}

/// When the last note went out (0 = never).
pub fn last_note_at(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached("SELECT coalesce(max(due_at), 0) FROM jobs WHERE kind = ?1")?
        .query_row([NOTE], |r| r.get(0))?)
}

/// Claims WIB day `day`'s note; false when it was claimed before.
pub fn claim(tx: &Connection, day: i64, now: i64) -> Result<bool, StoreError> {
    Ok(tx
        .prepare_cached(
            "INSERT INTO jobs (kind, ref_id, due_at, done, created_at) VALUES (?1, ?2, ?3, 1, ?3)
             ON CONFLICT (kind, ref_id) DO NOTHING",
        )?
        .execute(params![NOTE, day, now])?
        == 1)
}

/// Per product: available items whose sell-by fell in `(since, now]`, and items on sale whose
/// valid-until ends by `soon_until`. Products with neither are left out.
pub fn summary(conn: &Connection, since: i64, now: i64, soon_until: i64) -> Result<Vec<ProductExpiry>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT p.id, p.name,
                sum(s.sell_until > ?1 AND s.sell_until <= ?2),
                sum(s.sell_until > ?2 AND s.valid_until <= ?3),
                min(CASE WHEN s.sell_until > ?2 AND s.valid_until <= ?3 THEN s.valid_until END)
         FROM stock_items s JOIN products p ON p.id = s.product_id
         WHERE s.status = 'available' AND s.valid_until IS NOT NULL AND s.sell_until > ?1
         GROUP BY p.id HAVING sum(s.sell_until > ?1 AND s.sell_until <= ?2) + sum(s.sell_until > ?2 AND s.valid_until <= ?3) > 0
         ORDER BY p.id",
    )?;
    let rows = stmt
        .query_map(params![since, now, soon_until], |r| {
            Ok(ProductExpiry {
                product_id: r.get(0)?,
                name: r.get(1)?,
                expired: r.get(2)?,
                soon: r.get(3)?,
                first_until: r.get(4)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_note_is_claimed_once_per_day_and_counts_per_product() {
        let mut c = Connection::open_in_memory().unwrap();
        super::super::migrate::migrate_shop(&mut c).unwrap();
        c.execute("INSERT INTO products (id, name, price, created_at, updated_at) VALUES (7, 'P', 100, 0, 0)", [])
            .unwrap();
        let t = 1_000_000;
        let items = [
            super::super::stock::NewItem { content: "gone", limits: Some((t + 10, t - 5)) },
            super::super::stock::NewItem { content: "soon", limits: Some((t + 86_400, t + 86_000)) },
            super::super::stock::NewItem { content: "later", limits: Some((t + 9 * 86_400, t + 9 * 86_000)) },
            super::super::stock::NewItem::plain("plain"),
        ];
        super::super::writer::transaction(&mut c, |tx| super::super::stock::add_in(tx, 7, &items)).unwrap();
        let s = summary(&c, 0, t, t + 3 * 86_400).unwrap();
        assert_eq!(
            s,
            [ProductExpiry { product_id: 7, name: "P".into(), expired: 1, soon: 1, first_until: Some(t + 86_400) }]
        );
        // Since a note after the expiry: only what is still to come.
        assert_eq!(summary(&c, t, t, t + 3 * 86_400).unwrap()[0].expired, 0);
        assert!(!noted(&c, 11).unwrap());
        assert!(claim(&c, 11, t).unwrap());
        assert!(!claim(&c, 11, t + 5).unwrap());
        assert!(noted(&c, 11).unwrap());
        assert_eq!(last_note_at(&c).unwrap(), t);
        // The claim is not a job to run.
        assert!(super::super::jobs::due(&c, 10).unwrap().is_empty());
    }
}

/// For the admins' `/stock`: per product with dated unsold items, the earliest valid-until of
/// those on sale and how many are past their sell-by (no longer offered).
pub fn stock_overview(conn: &Connection, now: i64) -> Result<HashMap<i64, (Option<i64>, i64)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT product_id, min(CASE WHEN sell_until > ?1 THEN valid_until END), sum(sell_until <= ?1)
         FROM stock_items WHERE status = 'available' AND valid_until IS NOT NULL GROUP BY product_id",
    )?;
    let rows = stmt.query_map([now], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?.collect::<Result<_, _>>()?;
    Ok(rows)
}

/// One buyer's reminder: the items of one product in one paid order that expire soon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminder {
    pub order_id: i64,
    pub user_id: i64,
    pub product_id: i64,
    pub product_name: String,
    pub items: i64,
    pub valid_until: i64,
}

/// Sold items of paid orders whose reminder is due and not sent: `early` seconds before their
/// valid-until if bought before that, else `late` seconds before it if bought before that (an
/// item bought with less time left gets none). Buyers who erased their data get none.
pub fn due_reminders(conn: &Connection, now: i64, early: i64, late: i64) -> Result<Vec<Reminder>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT s.order_id, o.user_id, s.product_id, p.name, count(*), min(s.valid_until)
         FROM stock_items s JOIN orders o ON o.id = s.order_id JOIN products p ON p.id = s.product_id
              JOIN users u ON u.id = o.user_id
         WHERE s.status = 'sold' AND s.valid_until IS NOT NULL AND s.reminded_at IS NULL AND s.valid_until > ?1
           AND o.status = 'paid' AND u.erased = 0
           AND CASE WHEN coalesce(o.paid_at, o.created_at) < s.valid_until - ?2 THEN s.valid_until - ?2
                    WHEN coalesce(o.paid_at, o.created_at) < s.valid_until - ?3 THEN s.valid_until - ?3
               END <= ?1
         GROUP BY s.order_id, s.product_id ORDER BY s.order_id, s.product_id LIMIT 100",
    )?;
    let rows = stmt
        .query_map(params![now, early, late], |r| {
            Ok(Reminder {
                order_id: r.get(0)?,
                user_id: r.get(1)?,
                product_id: r.get(2)?,
                product_name: r.get(3)?,
                items: r.get(4)?,
                valid_until: r.get(5)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Marks one reminder sent; false when it was marked before (it is then not queued again).
pub fn mark_reminded(tx: &Connection, r: &Reminder, now: i64) -> Result<bool, StoreError> {
    Ok(tx
        .prepare_cached(
            "UPDATE stock_items SET reminded_at = ?3
             WHERE order_id = ?1 AND product_id = ?2 AND status = 'sold' AND valid_until IS NOT NULL AND reminded_at IS NULL",
        )?
        .execute(params![r.order_id, r.product_id, now])?
        > 0)
}
