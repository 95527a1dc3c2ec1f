//! `quickcart db check`: integrity, cipher integrity and foreign keys of both files.

use rusqlite::Connection;

use super::StoreError;

/// Returns the problems found; empty means "ok".
pub fn check(conn: &Connection) -> Result<Vec<String>, StoreError> {
    let mut problems = Vec::new();
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    for row in stmt.query_map([], |r| r.get::<_, String>(0))? {
        let row = row?;
        if row != "ok" {
            problems.push(format!("integrity_check: {row}"));
        }
    }
    // cipher_integrity_check returns no rows when every page's HMAC is valid.
    let mut stmt = conn.prepare("PRAGMA cipher_integrity_check")?;
    for row in stmt.query_map([], |r| r.get::<_, String>(0))? {
        problems.push(format!("cipher_integrity_check: {}", row?));
    }
    let mut stmt = conn.prepare("PRAGMA foreign_key_check")?;
    for row in
        stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<i64>>(1)?, r.get::<_, String>(2)?)))?
    {
        let (table, rowid, parent) = row?;
        problems.push(format!("foreign_key_check: {table} row {} refers to a missing {parent}", rowid.unwrap_or(-1)));
    }
    // Expiring stock (issue 18): no item is sold at or after its valid-until (shop file only).
    let shop: bool =
        conn.query_row("SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'stock_items')", [], |r| r.get(0))?;
    let late: i64 = if !shop {
        0
    } else {
        conn.query_row(
            "SELECT count(*) FROM stock_items s JOIN orders o ON o.id = s.order_id
         WHERE s.status = 'sold' AND s.valid_until IS NOT NULL AND coalesce(o.paid_at, s.updated_at) >= s.valid_until",
            [],
            |r| r.get(0),
        )?
    };
    if late > 0 {
        problems.push(format!("expiring stock: {late} item(s) sold after their valid-until"));
    }
    Ok(problems)
}
