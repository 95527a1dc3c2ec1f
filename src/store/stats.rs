//! Shop totals shown in the welcome message.

use rusqlite::Connection;

use super::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub users: i64,
    pub transactions: i64,
}

pub fn totals(conn: &Connection) -> Result<Totals, StoreError> {
    Ok(conn.prepare_cached(
        "SELECT (SELECT count(*) FROM users WHERE erased = 0),
                (SELECT count(*) FROM orders WHERE status = 'paid' AND kind = 'order')",
    )?
    .query_row([], |r| Ok(Totals { users: r.get(0)?, transactions: r.get(1)? }))?)
}
