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

/// Adds items to a product in one transaction, skipping items already in stock (available or
/// reserved) and repeats within the input.
pub fn add(conn: &mut Connection, product_id: i64, items: &[String]) -> Result<ImportReport, StoreError> {
    super::writer::transaction(conn, |c| add_in(c, product_id, items))
}

/// [`add`] inside a transaction the caller holds (see `restock::stock_arrived`).
pub(super) fn add_in(tx: &Connection, product_id: i64, items: &[String]) -> Result<ImportReport, StoreError> {
    let t = now();
    let mut seen = HashSet::with_capacity(items.len());
    let (mut added, mut duplicates) = (0, 0);
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO stock_items (product_id, content, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)
             ON CONFLICT DO NOTHING",
        )?;
        for item in items {
            if !seen.insert(item.as_str()) {
                duplicates += 1;
                continue;
            }
            match insert.execute(params![product_id, item, t])? {
                0 => duplicates += 1,
                _ => added += 1,
            }
        }
    }
    let total = available(tx, product_id)?;
    Ok(ImportReport { added, duplicates, total })
}

pub fn available(conn: &Connection, product_id: i64) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached("SELECT count(*) FROM stock_items WHERE product_id = ?1 AND status = 'available'")?
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

/// `/exportstock`: (stock id, content) of the available items.
pub fn export_available(conn: &Connection, product_id: i64) -> Result<Vec<(i64, String)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, content FROM stock_items WHERE product_id = ?1 AND status = 'available' ORDER BY id",
    )?;
    let rows = stmt.query_map([product_id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
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
