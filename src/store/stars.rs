//! Telegram Stars (issue 18 point 7): the shop's setting, products' own Stars prices, and the
//! Stars side of orders — created with the pending order, paid once per
//! `telegram_payment_charge_id`, refunded once Telegram said so.

use rusqlite::{params, Connection, OptionalExtension};

use super::{
    jobs, now,
    orders::{self, CheckoutError, Order, Purchase},
    settings, StoreError,
};
use crate::domain::{anomaly::Level, order::Status, stars::StarsSetting};

const SETTING: &str = "stars";

pub fn setting(conn: &Connection) -> Result<StarsSetting, StoreError> {
    Ok(settings::get_json(conn, SETTING)?.unwrap_or_default())
}

pub fn set_setting(conn: &Connection, s: &StarsSetting) -> Result<(), StoreError> {
    settings::set_json(conn, SETTING, s)
}

/// A product's own Stars price per item.
pub fn product_price(conn: &Connection, product_id: i64) -> Result<Option<i64>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT stars FROM product_stars WHERE product_id = ?1")?
        .query_row([product_id], |r| r.get(0))
        .optional()?)
}

/// Sets (or with `None` clears) a product's Stars price. False when there is no such product.
pub fn set_product_price(conn: &Connection, product_id: i64, stars: Option<i64>) -> Result<bool, StoreError> {
    let exists: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM products WHERE id = ?1)")?
        .query_row([product_id], |r| r.get(0))?;
    if !exists {
        return Ok(false);
    }
    match stars {
        Some(s) => conn
            .prepare_cached(
                "INSERT INTO product_stars (product_id, stars, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (product_id) DO UPDATE SET stars = excluded.stars, updated_at = excluded.updated_at",
            )?
            .execute(params![product_id, s, now()])?,
        None => conn.prepare_cached("DELETE FROM product_stars WHERE product_id = ?1")?.execute([product_id])?,
    };
    Ok(true)
}

/// The Stars side of an order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StarsPayment {
    pub order_id: i64,
    pub stars: i64,
    pub charge_id: Option<String>,
    pub refunded_at: Option<i64>,
}

pub fn payment(conn: &Connection, order_id: i64) -> Result<Option<StarsPayment>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT order_id, stars, charge_id, refunded_at FROM stars_payments WHERE order_id = ?1")?
        .query_row([order_id], |r| {
            Ok(StarsPayment { order_id: r.get(0)?, stars: r.get(1)?, charge_id: r.get(2)?, refunded_at: r.get(3)? })
        })
        .optional()?)
}

/// A Stars order: pending, stock reserved, expiry job scheduled (exactly as a QRIS order), and
/// the Stars amount the invoice asks. In the caller's transaction.
pub fn create_pending(
    tx: &Connection,
    user_id: i64,
    purchase: &Purchase,
    stars: i64,
    expires_at: i64,
    risk: Level,
) -> Result<Order, CheckoutError> {
    let order = orders::create_pending(tx, user_id, purchase, expires_at, risk)?;
    tx.prepare_cached("INSERT INTO stars_payments (order_id, stars, created_at) VALUES (?1, ?2, ?3)")?
        .execute(params![order.id, stars, now()])?;
    Ok(order)
}

/// Why a pre-checkout query is refused (`None` from [`precheck`]: accept).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    UnknownOrder,
    NotPending,
    Expired,
    StockGone,
    WrongAmount,
}

/// The re-check before Telegram takes the Stars: the order exists, is this user's Stars order,
/// pending and not expired, its stock still reserved, and the amount the one it asked. Reads only.
pub fn precheck(
    conn: &Connection,
    invoice_id: &str,
    user_id: i64,
    currency: &str,
    total: i64,
) -> Result<Option<Refusal>, StoreError> {
    let Some(order) = orders::by_invoice(conn, invoice_id)?.filter(|o| o.user_id == user_id) else {
        return Ok(Some(Refusal::UnknownOrder));
    };
    let Some(sp) = payment(conn, order.id)? else { return Ok(Some(Refusal::UnknownOrder)) };
    if order.status != Status::Pending {
        return Ok(Some(Refusal::NotPending));
    }
    if order.expires_at <= now() {
        return Ok(Some(Refusal::Expired));
    }
    let wanted: i64 = order.items.iter().map(|l| l.quantity).sum();
    let reserved: i64 = conn
        .prepare_cached("SELECT count(*) FROM stock_items WHERE order_id = ?1 AND status = 'reserved'")?
        .query_row([order.id], |r| r.get(0))?;
    if reserved < wanted {
        return Ok(Some(Refusal::StockGone));
    }
    if currency != crate::domain::stars::CURRENCY || total != sp.stars {
        return Ok(Some(Refusal::WrongAmount));
    }
    Ok(None)
}

/// What a `successful_payment` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applied {
    /// The order is now paid (the caller queues its delivery in the same transaction).
    Delivered(Order),
    /// This charge id was applied before (a replayed update): nothing changed.
    AlreadyApplied(Order),
    /// The order had closed and its stock is gone: the Stars must go back (refundStarPayment).
    /// The charge is recorded on the order, which stays closed until the refund is recorded.
    MustRefund(Order),
    /// A second charge for an order paid with another one: this charge goes back; the order's
    /// own payment stands.
    SecondCharge(Order),
    /// No such Stars order of this user, or the amount/currency is not the one asked (the
    /// charge is kept on record as a refund to make when it names an order).
    Unknown,
}

/// Applies a Stars payment, idempotently on `charge_id`, in the caller's transaction. A
/// pending order becomes paid; a closed one is delivered if its stock can still be taken
/// (reserved again), otherwise it must be refunded. No rupiah balance moves.
pub fn apply_payment(
    tx: &Connection,
    invoice_id: &str,
    user_id: i64,
    charge_id: &str,
    stars: i64,
) -> Result<Applied, StoreError> {
    let Some(order) = orders::by_invoice(tx, invoice_id)?.filter(|o| o.user_id == user_id) else {
        return Ok(Applied::Unknown);
    };
    let Some(sp) = payment(tx, order.id)? else { return Ok(Applied::Unknown) };
    if let Some(known) = &sp.charge_id {
        if known == charge_id {
            return Ok(Applied::AlreadyApplied(order));
        }
        // Another charge for an order already paid: a second payment of the same invoice.
        return Ok(Applied::SecondCharge(order));
    }
    let t = now();
    tx.prepare_cached("UPDATE stars_payments SET charge_id = ?2, paid_stars = ?3, paid_at = ?4 WHERE order_id = ?1")?
        .execute(params![order.id, charge_id, stars, t])?;
    match order.status {
        Status::Pending => Ok(Applied::Delivered(orders::mark_paid(tx, order)?)),
        Status::Expired | Status::Cancelled if order.kind == crate::domain::order::Kind::Order => {
            // Late: take the stock again if it is still there.
            let mut all = true;
            for line in &order.items {
                let taken = tx
                    .prepare_cached(
                        "UPDATE stock_items SET status = 'reserved', order_id = ?1, updated_at = ?2
                         WHERE id IN (SELECT id FROM stock_items WHERE product_id = ?3 AND status = 'available'
                                      ORDER BY id LIMIT ?4)",
                    )?
                    .execute(params![order.id, t, line.product_id, line.quantity])?;
                all &= i64::try_from(taken).unwrap_or(0) == line.quantity;
            }
            if !all {
                tx.prepare_cached(
                    "UPDATE stock_items SET status = 'available', order_id = NULL, updated_at = ?2
                     WHERE order_id = ?1 AND status = 'reserved'",
                )?
                .execute(params![order.id, t])?;
                return Ok(Applied::MustRefund(order));
            }
            // Reopened only inside this transaction, and paid at once.
            tx.prepare_cached("UPDATE orders SET status = 'pending' WHERE id = ?1")?.execute([order.id])?;
            jobs::finish(tx, jobs::EXPIRE_ORDER, order.id)?;
            Ok(Applied::Delivered(orders::mark_paid(tx, Order { status: Status::Pending, ..order })?))
        }
        _ => Ok(Applied::MustRefund(order)),
    }
}

/// The Stars order's own charge, when it was paid and not refunded yet (to refund it): paid
/// orders, and closed ones whose late payment could not be delivered.
pub fn refundable_charge(conn: &Connection, order_id: i64) -> Result<Option<(String, i64)>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT s.charge_id, s.stars FROM stars_payments s JOIN orders o ON o.id = s.order_id
              WHERE s.order_id = ?1 AND s.charge_id IS NOT NULL AND s.refunded_at IS NULL
                AND o.status IN ('paid', 'expired', 'cancelled')",
        )?
        .query_row([order_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// A Stars order whose refund Telegram confirmed: `refunded_at` set, and a paid order becomes
/// refunded (its items stay sold: digital goods once delivered are not taken back). True when
/// this call recorded it.
pub fn mark_refunded(tx: &Connection, order_id: i64) -> Result<bool, StoreError> {
    let t = now();
    let n = tx
        .prepare_cached(
            "UPDATE stars_payments SET refunded_at = ?2 WHERE order_id = ?1 AND charge_id IS NOT NULL
               AND refunded_at IS NULL",
        )?
        .execute(params![order_id, t])?;
    if n == 0 {
        return Ok(false);
    }
    tx.prepare_cached("UPDATE orders SET status = 'refunded', updated_at = ?2 WHERE id = ?1 AND status = 'paid'")?
        .execute(params![order_id, t])?;
    Ok(true)
}

/// Closes a requested refund claim of a Stars order as approved once Telegram returned the
/// Stars (no rupiah is credited), counting it for the customer. False when it was decided before.
pub fn approve_claim(tx: &Connection, claim_id: i64, admin: i64) -> Result<bool, StoreError> {
    let t = now();
    let user: Option<i64> = tx
        .prepare_cached(
            "UPDATE refund_claims SET status = 'approved', decided_by = ?2, decided_at = ?3
              WHERE id = ?1 AND status = 'requested' RETURNING user_id",
        )?
        .query_row(params![claim_id, admin, t], |r| r.get(0))
        .optional()?;
    let Some(user) = user else { return Ok(false) };
    tx.prepare_cached("UPDATE users SET refund_claims = refund_claims + 1 WHERE id = ?1")?.execute([user])?;
    Ok(true)
}

/// `db check`'s Stars rules: every paid Stars order has its charge id with the amount asked; a
/// refunded Stars order has its refund recorded; a charge id is never used twice (also UNIQUE).
pub fn problems(conn: &Connection) -> Result<Vec<String>, StoreError> {
    let mut out = Vec::new();
    let mut stmt = conn.prepare(
        "SELECT o.invoice_id, o.status, s.stars, s.charge_id, s.paid_stars, s.refunded_at
           FROM stars_payments s JOIN orders o ON o.id = s.order_id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, Option<i64>>(4)?,
            r.get::<_, Option<i64>>(5)?,
        ))
    })?;
    for row in rows {
        let (invoice, status, stars, charge, paid, refunded) = row?;
        if status == "paid" && (charge.is_none() || paid != Some(stars)) {
            out.push(format!("stars: paid order {invoice} has no charge id with {stars} Stars"));
        }
        if status == "refunded" && refunded.is_none() {
            out.push(format!("stars: refunded order {invoice} has no Stars refund"));
        }
        if charge.is_some() && status != "paid" && status != "refunded" && refunded.is_none() {
            out.push(format!("stars: order {invoice} was charged but neither delivered nor refunded"));
        }
    }
    let dup: i64 = conn.query_row(
        "SELECT count(*) FROM (SELECT charge_id FROM stars_payments WHERE charge_id IS NOT NULL
                                GROUP BY charge_id HAVING count(*) > 1)",
        [],
        |r| r.get(0),
    )?;
    if dup > 0 {
        out.push(format!("stars: {dup} charge id(s) used more than once"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        super::super::migrate::migrate_shop(&mut c).unwrap();
        c.execute_batch(
            "INSERT INTO users (id, name, bank_id, created_at, updated_at) VALUES (1, 'A', '000001', 0, 0);
             INSERT INTO products (id, name, price, created_at, updated_at) VALUES (3, 'P', 15000, 0, 0);
             INSERT INTO stock_items (product_id, content, created_at, updated_at) VALUES (3, 'item-1', 0, 0);",
        )
        .unwrap();
        c
    }

    fn order(c: &Connection) -> Order {
        let p = Purchase::Product { product_id: 3, quantity: 1, unit_price: 15000, voucher: None };
        create_pending(c, 1, &p, 60, now() + 600, Level::None).unwrap()
    }

    #[test]
    fn a_charge_is_applied_once_and_db_check_agrees() {
        let c = db();
        let o = order(&c);
        assert_eq!(precheck(&c, &o.invoice_id, 1, "XTR", 60).unwrap(), None);
        assert_eq!(precheck(&c, &o.invoice_id, 1, "XTR", 59).unwrap(), Some(Refusal::WrongAmount));
        assert_eq!(precheck(&c, &o.invoice_id, 2, "XTR", 60).unwrap(), Some(Refusal::UnknownOrder));
        assert!(matches!(apply_payment(&c, &o.invoice_id, 1, "ch1", 60).unwrap(), Applied::Delivered(_)));
        assert!(matches!(apply_payment(&c, &o.invoice_id, 1, "ch1", 60).unwrap(), Applied::AlreadyApplied(_)));
        assert!(matches!(apply_payment(&c, &o.invoice_id, 1, "ch2", 60).unwrap(), Applied::SecondCharge(_)));
        assert_eq!(precheck(&c, &o.invoice_id, 1, "XTR", 60).unwrap(), Some(Refusal::NotPending));
        assert!(problems(&c).unwrap().is_empty(), "{:?}", problems(&c).unwrap());
        assert!(mark_refunded(&c, o.id).unwrap());
        assert!(!mark_refunded(&c, o.id).unwrap());
        assert!(problems(&c).unwrap().is_empty(), "{:?}", problems(&c).unwrap());
    }

    #[test]
    fn db_check_finds_a_paid_stars_order_without_its_charge_and_a_refund_without_record() {
        let c = db();
        let o = order(&c);
        c.execute("UPDATE orders SET status = 'paid' WHERE id = ?1", [o.id]).unwrap();
        let p = problems(&c).unwrap();
        assert!(p.iter().any(|l| l.contains("no charge id")), "{p:?}");
        c.execute("UPDATE orders SET status = 'refunded' WHERE id = ?1", [o.id]).unwrap();
        let p = problems(&c).unwrap();
        assert!(p.iter().any(|l| l.contains("no Stars refund")), "{p:?}");
    }

    #[test]
    fn a_late_charge_takes_the_stock_again_or_must_be_refunded() {
        let c = db();
        let o = order(&c);
        orders::close(&c, o.id, crate::domain::order::Event::Timer, None).unwrap();
        assert_eq!(precheck(&c, &o.invoice_id, 1, "XTR", 60).unwrap(), Some(Refusal::NotPending));
        assert!(matches!(apply_payment(&c, &o.invoice_id, 1, "late", 60).unwrap(), Applied::Delivered(_)));
        let o2 = {
            c.execute_batch(
                "INSERT INTO stock_items (product_id, content, created_at, updated_at) VALUES (3, 'item-2', 0, 0);",
            )
            .unwrap();
            order(&c)
        };
        orders::close(&c, o2.id, crate::domain::order::Event::Cancel, None).unwrap();
        c.execute("UPDATE stock_items SET status = 'deleted' WHERE status = 'available'", []).unwrap();
        assert!(matches!(apply_payment(&c, &o2.invoice_id, 1, "late2", 60).unwrap(), Applied::MustRefund(_)));
        assert!(problems(&c).unwrap().iter().any(|l| l.contains("neither delivered nor refunded")));
        assert_eq!(refundable_charge(&c, o2.id).unwrap(), Some(("late2".to_string(), 60)));
        assert!(mark_refunded(&c, o2.id).unwrap());
        assert!(problems(&c).unwrap().is_empty(), "{:?}", problems(&c).unwrap());
    }
}
