//! Shop totals shown in the welcome message.

use rusqlite::Connection;

use super::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub users: i64,
    pub transactions: i64,
}

pub fn totals(conn: &Connection) -> Result<Totals, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT (SELECT count(*) FROM users WHERE erased = 0),
                (SELECT count(*) FROM orders WHERE status = 'paid' AND kind = 'order')",
        )?
        .query_row([], |r| Ok(Totals { users: r.get(0)?, transactions: r.get(1)? }))?)
}

/// Counts for `quickcart db stats` (JSON) and for the invariant checks of `db check`.
pub fn snapshot(conn: &Connection) -> Result<serde_json::Value, StoreError> {
    let grouped = |sql: &str| -> Result<serde_json::Map<String, serde_json::Value>, StoreError> {
        let mut stmt = conn.prepare(sql)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows.into_iter().map(|(k, v)| (k, serde_json::Value::from(v))).collect())
    };
    let one = |sql: &str| -> Result<i64, StoreError> { Ok(conn.query_row(sql, [], |r| r.get(0))?) };
    let deliveries = super::outbox::delivery_counts(conn)?;
    Ok(serde_json::json!({
        "users": one("SELECT count(*) FROM users")?,
        "products": one("SELECT count(*) FROM products")?,
        "orders": grouped("SELECT status, count(*) FROM orders GROUP BY status")?,
        "deposits": grouped("SELECT status, count(*) FROM orders WHERE kind = 'deposit' GROUP BY status")?,
        "stock": grouped("SELECT status, count(*) FROM stock_items GROUP BY status")?,
        "ledger": grouped("SELECT kind, sum(amount) FROM ledger GROUP BY kind")?,
        "ledger_sum": one("SELECT coalesce(sum(amount), 0) FROM ledger")?,
        "balance_sum": one("SELECT coalesce(sum(balance), 0) FROM users")?,
        "sold_count_sum": one("SELECT coalesce(sum(sold_count), 0) FROM products")?,
        "outbox": {
            "pending": one("SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed = 0 AND parked = 0")?,
            "sent": one("SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL")?,
            "failed": one("SELECT count(*) FROM outbox WHERE failed = 1")?,
            "parked": one("SELECT count(*) FROM outbox WHERE parked = 1")?,
        },
        "deliveries": {
            "sent": one("SELECT count(*) FROM outbox WHERE delivery = 1 AND sent_at IS NOT NULL")?,
            "waiting": deliveries.0,
            "parked": deliveries.1,
            "given_up": deliveries.2,
        },
        "money_violations": super::money::violations(conn)?.len(),
        "items_in_two_orders": one(
            "SELECT count(*) FROM (SELECT content, product_id FROM stock_items WHERE status = 'sold'
             GROUP BY product_id, content HAVING count(DISTINCT order_id) > 1)"
        )?,
        "ledger_mismatches": super::ledger::mismatches(conn)?.len(),
        "stock_violations": super::orders::integrity_violations(conn)?,
        "security_events": grouped("SELECT kind, count(*) FROM security_events GROUP BY kind")?,
    }))
}

/// The gauges of `/metrics`: (name, help, value).
pub fn gauges(conn: &mut Connection) -> Result<Vec<(&'static str, &'static str, i64)>, StoreError> {
    let one = |sql: &str| -> Result<i64, StoreError> { Ok(conn.query_row(sql, [], |r| r.get(0))?) };
    Ok(vec![
        ("quickcart_outbox_backlog", "messages waiting to be sent", super::outbox::backlog(conn)?),
        (
            "quickcart_broadcast_pending",
            "broadcast recipients still to send to",
            one("SELECT count(*) FROM broadcast_recipients WHERE status IN ('pending','sending')")?,
        ),
        (
            "quickcart_orders_pending",
            "orders waiting for payment",
            one("SELECT count(*) FROM orders WHERE status = 'pending'")?,
        ),
        ("quickcart_users", "known users", one("SELECT count(*) FROM users")?),
        (
            "quickcart_deliveries_parked",
            "deliveries waiting for a buyer who blocked the bot",
            one("SELECT count(*) FROM outbox WHERE delivery = 1 AND parked = 1")?,
        ),
    ])
}

/// (users, active products, paid orders, available items) for `/version`.
pub fn version_counts(conn: &mut Connection) -> Result<(i64, i64, i64, i64), StoreError> {
    Ok(conn.query_row(
        "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM products WHERE active = 1),
                (SELECT count(*) FROM orders WHERE status = 'paid'),
                (SELECT count(*) FROM stock_items WHERE status = 'available')",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?)
}

/// Rows per user table (to compare a backup copy with what it was made from).
pub fn table_counts(conn: &Connection) -> Result<std::collections::BTreeMap<String, i64>, StoreError> {
    let names: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut counts = std::collections::BTreeMap::new();
    for name in names {
        let quoted = name.replace('"', "\"\"");
        // nosemgrep: ci.sql-built-with-format -- a table name from sqlite_master, quoted as an identifier
        let n: i64 = conn.query_row(&format!("SELECT count(*) FROM \"{quoted}\""), [], |r| r.get(0))?;
        counts.insert(name, n);
    }
    Ok(counts)
}
