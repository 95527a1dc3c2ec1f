//! Stock items: one row per sellable item. Counts come from these rows.

use std::collections::HashSet;

use rusqlite::{params, Connection, OptionalExtension};

use super::{now, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportReport {
    pub added: usize,
    pub duplicates: usize,
    /// Available items of the product after the import.
    pub total: i64,
}

/// One item to import: its content and, for expiring stock, its (valid_until, sell_until).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewItem<'a> {
    pub content: &'a str,
    pub limits: Option<(i64, i64)>,
}

impl<'a> NewItem<'a> {
    pub fn plain(content: &'a str) -> Self {
        Self { content, limits: None }
    }
}

/// Adds undated items to a product in one transaction, skipping items already in stock
/// (available or reserved) and repeats within the input.
pub fn add(conn: &mut Connection, product_id: i64, items: &[String]) -> Result<ImportReport, StoreError> {
    let items: Vec<NewItem<'_>> = items.iter().map(|i| NewItem::plain(i)).collect();
    super::writer::transaction(conn, |c| add_in(c, product_id, &items))
}

/// [`add`] inside a transaction the caller holds (see `restock::stock_arrived`).
pub(super) fn add_in(tx: &Connection, product_id: i64, items: &[NewItem<'_>]) -> Result<ImportReport, StoreError> {
    let t = now();
    let mut seen = HashSet::with_capacity(items.len());
    let (mut added, mut duplicates) = (0, 0);
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO stock_items (product_id, content, created_at, updated_at, valid_until, sell_until)
             VALUES (?1, ?2, ?3, ?3, ?4, ?5)
             ON CONFLICT DO NOTHING",
        )?;
        for item in items {
            if !seen.insert(item.content) {
                duplicates += 1;
                continue;
            }
            let (valid_until, sell_until) = item.limits.unzip();
            match insert.execute(params![product_id, item.content, t, valid_until, sell_until])? {
                0 => duplicates += 1,
                _ => added += 1,
            }
        }
    }
    let total = available(tx, product_id)?;
    Ok(ImportReport { added, duplicates, total })
}

/// Items a customer can buy now (available and within their sell-by).
pub fn available(conn: &Connection, product_id: i64) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached(concat!(
            "SELECT count(*) FROM stock_items WHERE product_id = ?1 AND status = 'available' AND ",
            sellable!()
        ))?
        .query_row([product_id], |r| r.get(0))?)
}

#[derive(Debug, PartialEq, Eq)]
pub enum DeleteOutcome {
    Deleted,
    NotFound,
    /// Reserved by a pending order, or already sold.
    NotAvailable,
}

/// `/delstock`: deletes one unsold, unreserved item of a product.
pub fn delete_one(conn: &Connection, product_id: i64, stock_id: i64) -> Result<DeleteOutcome, StoreError> {
    let status: Option<String> = conn
        .prepare_cached("SELECT status FROM stock_items WHERE id = ?1 AND product_id = ?2")?
        .query_row(params![stock_id, product_id], |r| r.get(0))
        .optional()?;
    Ok(match status.as_deref() {
        None | Some("deleted") => DeleteOutcome::NotFound,
        Some("available") => {
            conn.prepare_cached(
                "UPDATE stock_items SET status = 'deleted', updated_at = ?2 WHERE id = ?1 AND status = 'available'",
            )?
            .execute(params![stock_id, now()])?;
            DeleteOutcome::Deleted
        }
        Some(_) => DeleteOutcome::NotAvailable,
    })
}

/// `/delallstock`: deletes every available item; returns how many.
pub fn delete_available(conn: &Connection, product_id: i64) -> Result<usize, StoreError> {
    Ok(conn
        .prepare_cached(
            "UPDATE stock_items SET status = 'deleted', updated_at = ?2 WHERE product_id = ?1 AND status = 'available'",
        )?
        .execute(params![product_id, now()])?)
}

/// An unsold item as `/liststock` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub id: i64,
    pub content: String,
    pub valid_until: Option<i64>,
    /// Past its sell-by: kept (the admin may delete it) but no longer offered.
    pub expired: bool,
}

/// The available items, with their valid-until where set (expired ones included, marked).
pub fn list_available(conn: &Connection, product_id: i64) -> Result<Vec<Listed>, StoreError> {
    let mut stmt = conn.prepare_cached(concat!(
        "SELECT id, content, valid_until, NOT ",
        sellable!(),
        " FROM stock_items WHERE product_id = ?1 AND status = 'available' ORDER BY id"
    ))?;
    let rows = stmt
        .query_map([product_id], |r| {
            Ok(Listed { id: r.get(0)?, content: r.get(1)?, valid_until: r.get(2)?, expired: r.get(3)? })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// The items of an order that never reached its buyer (a held order that was rejected or
/// refunded) go back on sale. An item whose content was added to stock again meanwhile is
/// retired instead (one live copy per content): the decision always completes. Sold counts
/// shrink by what comes back. Returns how many items are on sale again.
pub fn return_undelivered(tx: &Connection, order_id: i64) -> Result<usize, StoreError> {
    let t = now();
    let retired = tx
        .prepare_cached(
            "UPDATE stock_items SET status = 'deleted', order_id = NULL, updated_at = ?2
             WHERE order_id = ?1 AND status = 'sold'
               AND EXISTS (SELECT 1 FROM stock_items live WHERE live.product_id = stock_items.product_id
                           AND live.content = stock_items.content AND live.status IN ('available', 'reserved'))",
        )?
        .execute(params![order_id, t])?;
    let back = tx
        .prepare_cached(
            "UPDATE stock_items SET status = 'available', order_id = NULL, updated_at = ?2
             WHERE order_id = ?1 AND status = 'sold'",
        )?
        .execute(params![order_id, t])?;
    tx.prepare_cached(
        "UPDATE products SET sold_count = max(0, sold_count - (SELECT coalesce(sum(quantity), 0) FROM order_items
                                                               WHERE order_id = ?1 AND product_id = products.id))
         WHERE id IN (SELECT product_id FROM order_items WHERE order_id = ?1)",
    )?
    .execute([order_id])?;
    if retired > 0 {
        tracing::info!(order = order_id, retired, "returned items already in stock again were retired");
    }
    Ok(back)
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;
    use crate::domain::{anomaly::Level, purchase::Purchase};

    fn db() -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        super::super::migrate::migrate_shop(&mut c).unwrap();
        c.execute("INSERT INTO users (id, bank_id, created_at, updated_at) VALUES (1, '000001', 0, 0)", []).unwrap();
        c.execute("INSERT INTO products (id, name, price, created_at, updated_at) VALUES (7, 'P', 100, 0, 0)", [])
            .unwrap();
        c
    }

    /// A pending order in its own transaction (rolled back when refused).
    fn buy(c: &mut Connection, quantity: i64, expires_at: i64) -> Result<super::super::orders::Order, String> {
        let p = Purchase::Product { product_id: 7, quantity, unit_price: 100, voucher: None };
        let tx = c.transaction().unwrap();
        let o =
            super::super::orders::create_pending(&tx, 1, &p, expires_at, Level::None).map_err(|e| format!("{e:?}"))?;
        tx.commit().unwrap();
        Ok(o)
    }

    /// Items past their sell-by are not counted, listed for sale or reserved; an item whose
    /// valid-until comes before the invoice's end is not reserved either.
    #[test]
    fn expired_items_are_never_reserved() {
        let mut c = db();
        let t = now();
        let items = [
            NewItem { content: "past", limits: Some((t + 100, t - 1)) },
            NewItem { content: "short", limits: Some((t + 500, t + 400)) },
            NewItem { content: "long", limits: Some((t + 90_000, t + 89_000)) },
        ];
        let r = super::super::writer::transaction(&mut c, |tx| add_in(tx, 7, &items)).unwrap();
        assert_eq!((r.added, r.total), (3, 2));
        let listed = list_available(&c, 7).unwrap();
        assert_eq!(listed.iter().filter(|i| i.expired).map(|i| i.content.as_str()).collect::<Vec<_>>(), ["past"]);
        // An invoice living past "short"'s valid-until gets only "long"; two are not there.
        assert!(buy(&mut c, 2, t + 600).unwrap_err().contains("OutOfStock"));
        let o = buy(&mut c, 1, t + 600).unwrap();
        let reserved: String =
            c.query_row("SELECT content FROM stock_items WHERE order_id = ?1", [o.id], |r| r.get(0)).unwrap();
        assert_eq!(reserved, "long");
        assert_eq!(available(&c, 7).unwrap(), 1);
    }
}
