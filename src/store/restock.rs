//! Restock alerts: customers who pressed `[Kabari saya]` on a sold-out card wait for the product;
//! when stock arrives they become the recipients of one broadcast (kind [`broadcasts::RESTOCK`]) and stop
//! waiting, both in the transaction that adds the stock. So the alert goes out through the
//! broadcast engine's rate limits, resumes after a restart, and nobody gets it twice.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension};

use super::{
    broadcasts::{self, Content},
    now,
    stock::{add_in, ImportReport},
    StoreError,
};

/// Subscribes `user` to `product`; false if they were already waiting.
pub fn subscribe(conn: &Connection, product: i64, user: i64) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached(
            "INSERT INTO restock_subscriptions (product_id, user_id, created_at) VALUES (?1, ?2, ?3)
             ON CONFLICT DO NOTHING",
        )?
        .execute(params![product, user, now()])?
        == 1)
}

/// Ends `user`'s wait for `product` (`[Batal kabari]`); false if they were not waiting.
pub fn unsubscribe(conn: &Connection, product: i64, user: i64) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("DELETE FROM restock_subscriptions WHERE product_id = ?1 AND user_id = ?2")?
        .execute(params![product, user])?
        == 1)
}

/// Whether `user` waits for `product`.
pub fn is_waiting(conn: &Connection, product: i64, user: i64) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM restock_subscriptions WHERE product_id = ?1 AND user_id = ?2")?
        .query_row(params![product, user], |_| Ok(()))
        .optional()?
        .is_some())
}

/// How many customers wait for each product (products nobody waits for are absent).
pub fn waiting(conn: &Connection) -> Result<HashMap<i64, i64>, StoreError> {
    let rows = conn
        .prepare_cached("SELECT product_id, count(*) FROM restock_subscriptions GROUP BY product_id")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// What a stock import did, and the restock broadcast it queued (id, recipients), if any.
#[derive(Debug)]
pub struct Arrival {
    pub report: ImportReport,
    pub alert: Option<(i64, i64)>,
    /// What `first` returned: the ids of the warranty claims served from the new stock.
    pub served: Vec<i64>,
}

/// `/addstock`: adds the items, lets `first` take what it needs before anything is sellable
/// (waiting warranty claims are served first), and, when something is left on sale, turns the
/// product's subscriptions into one restock broadcast of `content` (recipients who can still be
/// reached) and ends them, all in one transaction.
pub fn stock_arrived(
    conn: &mut Connection,
    product: i64,
    items: &[super::stock::NewItem<'_>],
    admin: i64,
    content: &Content,
    first: impl FnOnce(&Connection) -> Result<Vec<i64>, StoreError>,
) -> Result<Arrival, StoreError> {
    super::writer::transaction(conn, |tx| {
        let mut report = add_in(tx, product, items)?;
        if report.added == 0 {
            return Ok(Arrival { report, alert: None, served: Vec::new() });
        }
        let served = first(tx)?;
        report.total = super::stock::available(tx, product)?;
        if report.total == 0 {
            return Ok(Arrival { report, alert: None, served });
        }
        let waiting: i64 = tx
            .prepare_cached("SELECT count(*) FROM restock_subscriptions WHERE product_id = ?1")?
            .query_row([product], |r| r.get(0))?;
        if waiting == 0 {
            return Ok(Arrival { report, alert: None, served });
        }
        let alert = broadcasts::open_restock(tx, admin, content, product)?;
        tx.execute("DELETE FROM restock_subscriptions WHERE product_id = ?1", [product])?;
        if alert.1 == 0 {
            // Nobody reachable waited: nothing for the engine to send (and no summary).
            broadcasts::finish(tx, alert.0)?;
        }
        Ok(Arrival { report, alert: Some(alert), served })
    })
}

/// Erasure: the user's subscriptions go with the rest of their personal data.
pub(super) fn forget(conn: &Connection, user: i64) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM restock_subscriptions WHERE user_id = ?1")?.execute([user])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        super::super::migrate::migrate_shop(&mut c).unwrap();
        for id in [1, 2, 3] {
            c.execute(
                "INSERT INTO users (id, bank_id, created_at, updated_at) VALUES (?1, printf('%06d', ?1), 0, 0)",
                [id],
            )
            .unwrap();
        }
        c.execute("INSERT INTO products (id, name, price, created_at, updated_at) VALUES (7, 'P', 100, 0, 0)", [])
            .unwrap();
        c
    }

    #[test]
    fn subscribers_become_recipients_once() {
        let mut c = db();
        assert!(subscribe(&c, 7, 1).unwrap());
        assert!(!subscribe(&c, 7, 1).unwrap());
        assert!(subscribe(&c, 7, 2).unwrap());
        assert_eq!(waiting(&c).unwrap().get(&7), Some(&2));
        let content = Content::Text { text: "t".into() };
        let a = stock_arrived(&mut c, 7, &[super::super::stock::NewItem::plain("a")], 3, &content, |_| Ok(Vec::new()))
            .unwrap();
        assert_eq!(a.report.added, 1);
        assert_eq!(a.alert.map(|(_, n)| n), Some(2));
        assert!(waiting(&c).unwrap().is_empty());
        let again =
            stock_arrived(&mut c, 7, &[super::super::stock::NewItem::plain("b")], 3, &content, |_| Ok(Vec::new()))
                .unwrap();
        assert!(again.alert.is_none());
    }
}
