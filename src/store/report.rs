//! The rows of the sales report (`domain::report`): paid orders by WIB day, deposits and refunds
//! from the ledger (so the report agrees with `db check`), top products and buyers, and the
//! stock left of every active product.

use rusqlite::{params, Connection};

use super::StoreError;
use crate::domain::report::{every_day, running_out, Day, Ranked, Report, Tally, Window};

/// Orders that were sales in the window: paid (or refunded later), by when they were paid.
const SALES: &str = "o.kind = 'order' AND o.status IN ('paid', 'refunded') AND o.paid_at >= ?1 AND o.paid_at < ?2";

/// How many lines the top lists and the runway list have.
pub const TOP: usize = 5;

pub fn gather(conn: &Connection, window: Window) -> Result<Report, StoreError> {
    let (since, until) = (window.since(), window.until());
    let sold: Vec<Day> = conn
        // nosemgrep: ci.sql-built-with-format -- SALES is a constant of this file, values are bound
        .prepare(&format!(
            "SELECT (o.paid_at + 25200) / 86400, count(*), coalesce(sum(o.total), 0) FROM orders o
             WHERE {SALES} GROUP BY 1"
        ))?
        .query_map(params![since, until], |r| Ok(Day { day: r.get(0)?, orders: r.get(1)?, revenue: r.get(2)? }))?
        .collect::<Result<_, _>>()?;
    let days = every_day(window, &sold);
    let sales = Tally { count: days.iter().map(|d| d.orders).sum(), amount: days.iter().map(|d| d.revenue).sum() };
    let ledger = |kind: &str| -> Result<Tally, StoreError> {
        Ok(conn.query_row(
            "SELECT count(*), coalesce(sum(amount), 0) FROM ledger WHERE kind = ?1 AND created_at >= ?2 AND created_at < ?3",
            params![kind, since, until],
            |r| Ok(Tally { count: r.get(0)?, amount: r.get(1)? }),
        )?)
    };
    let top_products: Vec<Ranked> = conn
        // nosemgrep: ci.sql-built-with-format -- SALES is a constant of this file, values are bound
        .prepare(&format!(
            "SELECT max(i.product_name), sum(i.quantity), sum(i.quantity * i.unit_price)
             FROM order_items i JOIN orders o ON o.id = i.order_id WHERE {SALES}
             GROUP BY i.product_id ORDER BY 2 DESC, 3 DESC LIMIT ?3"
        ))?
        .query_map(params![since, until, TOP as i64], |r| {
            Ok(Ranked { label: r.get(0)?, count: r.get(1)?, amount: r.get(2)? })
        })?
        .collect::<Result<_, _>>()?;
    let top_buyers: Vec<Ranked> = conn
        // nosemgrep: ci.sql-built-with-format -- SALES is a constant of this file, values are bound
        .prepare(&format!(
            "SELECT o.user_id, u.name, u.username, count(*), sum(o.total)
             FROM orders o JOIN users u ON u.id = o.user_id WHERE {SALES}
             GROUP BY o.user_id ORDER BY 5 DESC, 4 DESC LIMIT ?3"
        ))?
        .query_map(params![since, until, TOP as i64], |r| {
            let (id, name, username): (i64, String, Option<String>) = (r.get(0)?, r.get(1)?, r.get(2)?);
            let label = match username {
                Some(u) => format!("{name} (@{u}, {id})"),
                None => format!("{name} ({id})"),
            };
            Ok(Ranked { label, count: r.get(3)?, amount: r.get(4)? })
        })?
        .collect::<Result<_, _>>()?;
    const SELLABLE: &str = sellable!();
    let stock: Vec<(String, i64, i64)> = conn
        // nosemgrep: ci.sql-built-with-format -- SALES is a constant of this file, values are bound
        .prepare(&format!(
            "SELECT p.name,
                    (SELECT count(*) FROM stock_items s WHERE s.product_id = p.id AND s.status = 'available' AND {SELLABLE}),
                    (SELECT coalesce(sum(i.quantity), 0) FROM order_items i JOIN orders o ON o.id = i.order_id
                     WHERE i.product_id = p.id AND {SALES})
             FROM products p WHERE p.active = 1"
        ))?
        .query_map(params![since, until], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    Ok(Report {
        window,
        days,
        sales,
        deposits: ledger("deposit")?,
        refunds: ledger("refund")?,
        top_products,
        top_buyers,
        running_out: running_out(window, stock, TOP),
    })
}
